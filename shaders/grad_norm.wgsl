// The global gradient norm ‖g‖₂ over n values and the clip factor, in two deterministic stages
// (twin: globalNorm and clipScale in src/reference/adamw.ts).
// partial_sums: threads i < P (P = params.threads): partials[i] = Σ g[j]², j = i, i + P, … < n.
//               Dispatch: P / WG workgroups. Over a long range, one dispatch a piece: grads is the piece
//               starting at value params.base of the range, and thread i continues its sum over the j ≡ i
//               (mod P) of the piece (from 0 when params.first ≠ 0): the sums of one dispatch, in order.
// finish:       one workgroup: each thread sums partials l, l + WG, …, then a tree in workgroup
//               memory; norm[0] = √Σ, scale[0] = min(1, maxNorm / (norm + 1e-6)), or 1 when
//               clipping is off. Dispatch: 1 workgroup.
// n: values in this piece (partial_sums) or in all (finish); base: the piece's first value.
struct Params { n: u32, threads: u32, clip: u32, maxNorm: f32, base: u32, first: u32, pad0: u32, pad1: u32 }

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> grads: array<f32>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;
@group(0) @binding(3) var<storage, read_write> scale: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

//#include "common/reduce.wgsl"

@compute @workgroup_size(WG)
fn partial_sums(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.threads) { return; }
  var s = select(partials[i], 0.0, params.first != 0u);
  let P = params.threads;
  // The first value of the piece this thread owns: global index ≡ i (mod P).
  for (var j = (i + P - params.base % P) % P; j < params.n; j += P) {
    let g = grads[j];
    s = fma(g, g, s);
  }
  partials[i] = s;
}

@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) local: u32) {
  var s = 0.0;
  for (var j = local; j < params.threads; j += WG) { s += partials[j]; }
  s = reduce_sum(local, s);
  if (local == 0u) {
    let total = sqrt(s);
    norm[0] = total;
    scale[0] = select(1.0, min(1.0, params.maxNorm / (total + 1e-6)), params.clip != 0u);
  }
}
