// Helpers for generation with a KV cache (one new position for the live rows).
// Row a of x and qkv is sequence b = rows[a] of tokens and the caches (the live
// sequences packed first, so finished ones cost nothing).
// embed:    x[a, c] = wte[tokens[b·maxT + position], c] + wpe[position, c]
// kv_write: kCache[b, position, :] = qkv[a, C:2C]; vCache[b, position, :] = qkv[a, 2C:3C]
//           (attention_decode reads the query in place, qkv[a, 0:C])
// Dispatch: ceil(B·C / WG) workgroups (x only), B the live rows.
// embed binds rows first … last − 1 of wte (all of it, or one piece of a table larger than one binding) and
// writes only the rows whose token is among them.
struct Params { B: u32, C: u32, position: u32, maxT: u32, first: u32, last: u32, pad0: u32, pad1: u32 }

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> wte: array<f32>;
@group(0) @binding(2) var<storage, read> wpe: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(4) var<storage, read> qkv: array<f32>;
@group(0) @binding(5) var<storage, read> rows: array<u32>;
@group(0) @binding(6) var<storage, read_write> kCache: array<f32>;
@group(0) @binding(7) var<storage, read_write> vCache: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn embed(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.B * params.C) { return; }
  let a = i / params.C;
  let c = i % params.C;
  let token = tokens[rows[a] * params.maxT + params.position];
  if (token < params.first || token >= params.last) { return; } // another piece's row
  x[i] = wte[(token - params.first) * params.C + c] + wpe[params.position * params.C + c];
}

@compute @workgroup_size(WG)
fn kv_write(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.B * params.C) { return; }
  let a = i / params.C;
  let c = i % params.C;
  let row = a * 3u * params.C;
  let slot = (rows[a] * params.maxT + params.position) * params.C + c;
  kCache[slot] = qkv[row + params.C + c];
  vCache[slot] = qkv[row + 2u * params.C + c];
}
