// LayerNorm over rows of C values, forward and backward (twin: src/reference/layernorm.ts).
// forward:  μ = mean(x), σ² = mean((x − μ)²) (biased), rstd = 1/√(σ² + eps),
//           out = (x − μ)·rstd·w + b; saves mean and rstd for backward.
// backward, with n = (x − μ)·rstd and g = dout·w (three dispatches, each writing `out`):
//   backward_dx       out = dx   += rstd·(g − mean(g) − n·mean(g·n))   a thread a row
//   backward_dweight  out = dw   += Σ_rows dout·n                       a thread a column
//   backward_dbias    out = db   += Σ_rows dout                         a thread a column
// One set of bindings serves every entry point (the layout is read from this file), so an
// entry point that does not use a binding is given any buffer for it. No workgroup memory and
// no barriers: every sum runs in one thread in a fixed order.
// Dispatch: x · y workgroups of WG threads over rows (or C); y > 1 only past 65535 workgroups.
struct Params { rows: u32, C: u32, eps: f32, pad0: u32 }

const WG: u32 = 64u; // threads per workgroup (set by the host: src/kernels/tuning.ts)

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

//#include "common/index.wgsl"

// out = layernorm(x)·w + b; mean, rstd [rows]
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = index(gid, groups);
  if (row >= params.rows) { return; }
  let C = params.C;
  let base = row * C;
  var s = 0.0;
  for (var c = 0u; c < C; c++) { s += x[base + c]; }
  let m = s / f32(C);
  var v = 0.0;
  for (var c = 0u; c < C; c++) {
    let d = x[base + c] - m;
    v = fma(d, d, v);
  }
  let r = 1.0 / sqrt(v / f32(C) + params.eps);
  for (var c = 0u; c < C; c++) {
    out[base + c] = fma((x[base + c] - m) * r, weight[c], bias[c]);
  }
  mean[row] = m;
  rstd[row] = r;
}

// out (dx) += rstd·(g − mean(g) − n·mean(g·n)), a thread a row
@compute @workgroup_size(WG)
fn backward_dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = index(gid, groups);
  if (row >= params.rows) { return; }
  let C = params.C;
  let base = row * C;
  let m = mean[row];
  let r = rstd[row];
  var gSum = 0.0;
  var gnSum = 0.0;
  for (var c = 0u; c < C; c++) {
    let g = dout[base + c] * weight[c];
    gSum += g;
    gnSum = fma(g, (x[base + c] - m) * r, gnSum);
  }
  let gMean = gSum / f32(C);
  let gnMean = gnSum / f32(C);
  for (var c = 0u; c < C; c++) {
    let n = (x[base + c] - m) * r;
    let g = dout[base + c] * weight[c];
    out[base + c] += r * (g - gMean - n * gnMean);
  }
}

// out (dweight) += Σ_rows dout·n, a thread a column
@compute @workgroup_size(WG)
fn backward_dweight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = index(gid, groups);
  let C = params.C;
  if (c >= C) { return; }
  var s = 0.0;
  for (var row = 0u; row < params.rows; row++) {
    let i = row * C + c;
    s = fma(dout[i], (x[i] - mean[row]) * rstd[row], s);
  }
  out[c] += s;
}

// out (dbias) += Σ_rows dout, a thread a column
@compute @workgroup_size(WG)
fn backward_dbias(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c = index(gid, groups);
  let C = params.C;
  if (c >= C) { return; }
  var s = 0.0;
  for (var row = 0u; row < params.rows; row++) { s += dout[row * C + c]; }
  out[c] += s;
}
