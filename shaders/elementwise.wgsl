// Elementwise ops over n values. Dispatch: x * y workgroups of WG threads
// covering n (y > 1 only when n needs more than 65535 workgroups).
struct Params { n: u32, alpha: f32, pad0: u32, pad1: u32 }

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//#include "common/index.wgsl"

// out = x + y
@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i < params.n) { out[i] = x[i] + y[i]; }
}

// out = x ⊙ y
@compute @workgroup_size(WG)
fn mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i < params.n) { out[i] = x[i] * y[i]; }
}

// out = alpha · x
@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i < params.n) { out[i] = params.alpha * x[i]; }
}

// out += alpha · x
@compute @workgroup_size(WG)
fn axpy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i < params.n) { out[i] = fma(params.alpha, x[i], out[i]); }
}
