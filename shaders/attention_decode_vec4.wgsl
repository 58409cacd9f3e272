// attention_decode.wgsl for head sizes that are multiples of 4: one thread per
// (row a, head h) keeps q and the output in D4 = d/4 vec4 registers, reads keys
// and values as vec4, and writes out once. Same sums in the same order as the
// scalar kernel up to the vec4 grouping of each dot product.
//   s_j = (q · k_j)/√d;  out = Σ_j exp(s_j − max s) v_j / Σ_j exp(s_j − max s)
// Row a of q starts at a·qStride (C, or 3C when q is read in place from qkv).
// Row a of q and out is sequence b = rows[a] of the caches when `mapped`, else a.
// Dispatch: ceil(B·H / WG) workgroups (x only).
struct Params { B: u32, H: u32, C: u32, position: u32, maxT: u32, mapped: u32, qStride: u32, pad2: u32 }

const WG: u32 = 64u; // threads per workgroup (set by the host: src/kernels/tuning.ts)
const D4: u32 = 8u;

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> kCache: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> vCache: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<storage, read> rows: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= params.B * params.H) { return; }
  let C4 = params.C / 4u;
  let a = r / params.H;
  let h = r % params.H;
  let b = select(a, rows[a], params.mapped != 0u);
  let scale = 1.0 / sqrt(f32(D4 * 4u));
  let q0 = a * (params.qStride / 4u) + h * D4;
  let out0 = a * C4 + h * D4;
  let cache0 = b * params.maxT * C4 + h * D4;
  var qv: array<vec4<f32>, D4>;
  for (var i = 0u; i < D4; i++) { qv[i] = q[q0 + i]; }
  var m = -3.402823e38;
  for (var j = 0u; j <= params.position; j++) {
    let k0 = cache0 + j * C4;
    var s = vec4<f32>(0.0);
    for (var i = 0u; i < D4; i++) { s = fma(qv[i], kCache[k0 + i], s); }
    m = max(m, (s.x + s.y + s.z + s.w) * scale);
  }
  var acc: array<vec4<f32>, D4>;
  var sum = 0.0;
  for (var j = 0u; j <= params.position; j++) {
    let k0 = cache0 + j * C4;
    var s = vec4<f32>(0.0);
    for (var i = 0u; i < D4; i++) { s = fma(qv[i], kCache[k0 + i], s); }
    let e = exp((s.x + s.y + s.z + s.w) * scale - m);
    sum += e;
    for (var i = 0u; i < D4; i++) { acc[i] = fma(vec4<f32>(e), vCache[k0 + i], acc[i]); }
  }
  let inv = 1.0 / sum;
  for (var i = 0u; i < D4; i++) { out[out0 + i] = acc[i] * inv; }
}
