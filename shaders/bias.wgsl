// Bias of a linear layer over rows of N values (twin: src/reference/bias.ts).
// add:      out[r, n] += bias[n]        (in place; a thread a value)
// backward: out[n] (dbias) += Σ_r dout[r, n]   (a thread a column, rows summed in order)
// Both entry points share the bindings; the one that does not use a binding is given any buffer.
// Dispatch: x · y workgroups of WG threads (y > 1 only past 65535 workgroups).
struct Params { rows: u32, N: u32, pad0: u32, pad1: u32 }

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> bias: array<f32>;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//#include "common/index.wgsl"

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i >= params.rows * params.N) { return; }
  out[i] += bias[i % params.N];
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let n = index(gid, groups);
  let N = params.N;
  if (n >= N) { return; }
  var s = 0.0;
  for (var r = 0u; r < params.rows; r++) { s += dout[r * N + n]; }
  out[n] += s;
}
