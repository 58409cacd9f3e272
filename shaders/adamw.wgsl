// AdamW with decoupled weight decay (as torch.optim.AdamW), one thread a value
// (twin: src/reference/adamw.ts). The clip factor is read from the GPU (scale[0], written
// by shaders/grad_norm.wgsl), so clipping needs no read-back.
//   g = scale·grad
//   m = β1·m + (1 − β1)·g          v = β2·v + (1 − β2)·g²
//   m̂ = m / (1 − β1^t)             v̂ = v / (1 − β2^t)
//   p −= lr·(m̂ / (√v̂ + eps) + weightDecay·p)
// 1 − β and the bias corrections come from the CPU, computed in float64.
// Dispatch: x · y workgroups of WG threads covering n (y > 1 only past 65535 workgroups).
struct Hyper {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  correction1: f32, // 1 − β1^t
  correction2: f32, // 1 − β2^t
  eps: f32,
  weightDecay: f32,
  pad0: u32,
  pad1: u32,
}

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> grads: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read_write> params: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<uniform> hp: Hyper;

//#include "common/index.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i >= hp.n) { return; }
  let g = scale[0] * grads[i];
  let mi = hp.beta1 * m[i] + hp.oneMinusBeta1 * g;
  let vi = hp.beta2 * v[i] + hp.oneMinusBeta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  let mHat = mi / hp.correction1;
  let vHat = vi / hp.correction2;
  let p = params[i];
  params[i] = p - hp.lr * (mHat / (sqrt(vHat) + hp.eps) + hp.weightDecay * p);
}
