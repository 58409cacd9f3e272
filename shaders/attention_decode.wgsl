// One decoding step of causal attention with a KV cache: one thread per
// (sequence b, head h). The new token's query q [B, C] (heads concatenated)
// attends to keys and values kCache, vCache [B, maxT, C] at positions
// 0 … position (inclusive, already written); out [B, C] must not overlap q or
// the caches. Equal to row `position` of attention.wgsl's forward.
// Row a of q starts at a·qStride (C, or 3C when q is read in place from qkv).
// With `mapped`, row a of q and out is sequence rows[a] of the caches (generation
// skips finished sequences by packing the live ones into the first rows).
//   s_j = (q · k_j)/√d;  out = Σ_j exp(s_j − max s) v_j / Σ_j exp(s_j − max s)
// Dispatch: ceil(B·H / WG) workgroups (x only).
struct Params { B: u32, H: u32, C: u32, position: u32, maxT: u32, mapped: u32, qStride: u32, pad2: u32 }

const WG: u32 = 64u; // threads per workgroup (set by the host: src/kernels/tuning.ts)

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> kCache: array<f32>;
@group(0) @binding(2) var<storage, read> vCache: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<storage, read> rows: array<u32>;

fn score(q0: u32, k0: u32, d: u32, scale: f32) -> f32 {
  var s = 0.0;
  for (var i = 0u; i < d; i++) { s += q[q0 + i] * kCache[k0 + i]; }
  return s * scale;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= params.B * params.H) { return; }
  let C = params.C;
  let d = C / params.H;
  let a = r / params.H;
  let h = r % params.H;
  let b = select(a, rows[a], params.mapped != 0u);
  let scale = 1.0 / sqrt(f32(d));
  let q0 = a * params.qStride + h * d;
  let out0 = a * C + h * d;
  let cache0 = b * params.maxT * C + h * d;
  var m = -3.402823e38;
  for (var j = 0u; j <= params.position; j++) { m = max(m, score(q0, cache0 + j * C, d, scale)); }
  for (var i = 0u; i < d; i++) { out[out0 + i] = 0.0; }
  var sum = 0.0;
  for (var j = 0u; j <= params.position; j++) {
    let e = exp(score(q0, cache0 + j * C, d, scale) - m);
    sum += e;
    for (var i = 0u; i < d; i++) { out[out0 + i] += e * vCache[cache0 + j * C + i]; }
  }
  let inv = 1.0 / sum;
  for (var i = 0u; i < d; i++) { out[out0 + i] *= inv; }
}
