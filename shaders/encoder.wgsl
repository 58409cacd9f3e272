// Token plus position embedding, forward and backward (twin: src/reference/encoder.ts).
// forward:      out[b, t, c] = wte[tokens[b, t], c] + wpe[t, c]   (a thread a value; a token ≥ V gives NaN)
// backward_wte: out (dwte)[token, c] += Σ dout[p, c] over the positions p that hold the token.
//               A thread a (distinct token, c); the buckets come from the CPU, built from the
//               batch's token ids (src/kernels/encoder.ts), so no two threads write one value
//               and positions are summed in ascending order: deterministic, no atomics.
//               buckets = [tokens (D) | starts (D + 1) | positions (B·T)], positions of
//               distinct token d at buckets[2D + 1 + starts[d] .. 2D + 1 + starts[d + 1]].
// backward_wpe: out (dwpe)[t, c] += Σ_b dout[b, t, c]   (a thread a (t, c), b in order)
// Entry points share the bindings; one that does not use a binding is given any buffer.
// Dispatch: x · y workgroups of WG threads (y > 1 only past 65535 workgroups).
// Over a vocabulary larger than one binding, one dispatch a piece: wte (dwte) holds rows first … last − 1 of
// the whole table, and only tokens in that range are gathered (scattered). V: the whole table's rows.
struct Params { B: u32, T: u32, C: u32, V: u32, D: u32, nanBits: u32, first: u32, last: u32 } // nanBits = 0x7fc00000

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> buckets: array<u32>;
@group(0) @binding(2) var<storage, read> wte: array<f32>;
@group(0) @binding(3) var<storage, read> wpe: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

//#include "common/index.wgsl"

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  let C = params.C;
  if (i >= params.B * params.T * C) { return; }
  let row = i / C;
  let c = i - row * C;
  let t = row % params.T;
  let token = tokens[row];
  if (token >= params.V) {
    out[i] = bitcast<f32>(params.nanBits); // NaN (a constant NaN does not compile): a bad id must not pass unnoticed
    return;
  }
  if (token < params.first || token >= params.last) { return; } // another piece's row
  out[i] = wte[(token - params.first) * C + c] + wpe[t * C + c];
}

@compute @workgroup_size(WG)
fn backward_wte(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  let C = params.C;
  let D = params.D;
  if (i >= D * C) { return; }
  let d = i / C;
  let c = i - d * C;
  let token = buckets[d];
  if (token < params.first || token >= params.last) { return; } // another piece's row
  let positions = 2u * D + 1u;
  var s = 0.0;
  for (var k = buckets[D + d]; k < buckets[D + d + 1u]; k++) {
    s += dout[buckets[positions + k] * C + c];
  }
  out[(token - params.first) * C + c] += s;
}

@compute @workgroup_size(WG)
fn backward_wpe(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  let TC = params.T * params.C;
  if (i >= TC) { return; }
  var s = 0.0;
  for (var b = 0u; b < params.B; b++) { s += dout[b * TC + i]; }
  out[i] += s;
}
