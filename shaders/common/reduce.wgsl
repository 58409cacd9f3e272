// Workgroup tree reductions: every thread passes its value, every thread gets the max or the
// sum over the workgroup. The including kernel declares `const WG: u32` (a power of two, its
// workgroup size) and calls these from uniform control flow (they hold barriers).
var<workgroup> partial: array<f32, WG>;

fn reduce_max(local: u32, value: f32) -> f32 {
  partial[local] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (local < stride) { partial[local] = max(partial[local], partial[local + stride]); }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}

fn reduce_sum(local: u32, value: f32) -> f32 {
  partial[local] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (local < stride) { partial[local] += partial[local + stride]; }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}
