// Row reductions over a [rows × cols] matrix: out[r] = Σ_j x[r, j] or max_j x[r, j].
// One workgroup a row. Dispatch: x = rows (y > 1 when rows exceed 65535).
struct Params { rows: u32, cols: u32, pad0: u32, pad1: u32 }

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

//#include "common/reduce.wgsl"

@compute @workgroup_size(WG)
fn row_sum(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var s = 0.0;
  for (var j = local; j < params.cols; j += WG) { s += x[base + j]; }
  s = reduce_sum(local, s);
  if (local == 0u) { out[row] = s; }
}

@compute @workgroup_size(WG)
fn row_max(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var m = -3.402823e38;
  for (var j = local; j < params.cols; j += WG) { m = max(m, x[base + j]); }
  m = reduce_max(local, m);
  if (local == 0u) { out[row] = m; }
}
