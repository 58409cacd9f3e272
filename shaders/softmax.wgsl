// Row softmax over a [rows × cols] matrix and its backward, one workgroup a row.
// forward:  p_j = exp(x_j − max x) / Σ_k exp(x_k − max x)
// backward: dx_j = p_j (dp_j − Σ_k p_k dp_k)
// Dispatch: x = rows (y > 1 when rows exceed 65535: row = wid.x + wid.y · groups.x).
struct Params { rows: u32, cols: u32, pad0: u32, pad1: u32 }

const WG: u32 = 64u; // threads a row, a power of two (set by the host: src/kernels/tuning.ts)

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dp: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//#include "common/reduce.wgsl"

// out = softmax(x) along each row
@compute @workgroup_size(WG)
fn forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= params.rows) { return; } // uniform per workgroup, so barriers stay uniform
  let base = row * params.cols;
  var m = -3.402823e38;
  for (var j = local; j < params.cols; j += WG) { m = max(m, x[base + j]); }
  m = reduce_max(local, m);
  var s = 0.0;
  for (var j = local; j < params.cols; j += WG) { s += exp(x[base + j] - m); }
  s = reduce_sum(local, s);
  let inv = 1.0 / s;
  for (var j = local; j < params.cols; j += WG) { out[base + j] = exp(x[base + j] - m) * inv; }
}

// out = dx given x = p (the forward's output) and dp
@compute @workgroup_size(WG)
fn backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var d = 0.0;
  for (var j = local; j < params.cols; j += WG) { d += x[base + j] * dp[base + j]; }
  d = reduce_sum(local, d);
  for (var j = local; j < params.cols; j += WG) { out[base + j] = x[base + j] * (dp[base + j] - d); }
}
