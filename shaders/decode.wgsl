// Helpers for generation with a KV cache (one new position for B sequences).
// embed:    x[b, c] = wte[tokens[b·maxT + position], c] + wpe[position, c]
// kv_write: q[b, :] = qkv[b, 0:C]; kCache[b, position, :] = qkv[b, C:2C]; vCache[b, position, :] = qkv[b, 2C:3C]
// Dispatch: ceil(B·C / WG) workgroups (x only).
struct Params { B: u32, C: u32, position: u32, maxT: u32 }

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> wte: array<f32>;
@group(0) @binding(2) var<storage, read> wpe: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(4) var<storage, read> qkv: array<f32>;
@group(0) @binding(5) var<storage, read_write> q: array<f32>;
@group(0) @binding(6) var<storage, read_write> kCache: array<f32>;
@group(0) @binding(7) var<storage, read_write> vCache: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn embed(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.B * params.C) { return; }
  let b = i / params.C;
  let c = i % params.C;
  let token = tokens[b * params.maxT + params.position];
  x[i] = wte[token * params.C + c] + wpe[params.position * params.C + c];
}

@compute @workgroup_size(WG)
fn kv_write(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.B * params.C) { return; }
  let b = i / params.C;
  let c = i % params.C;
  let row = b * 3u * params.C;
  let slot = (b * params.maxT + params.position) * params.C + c;
  q[i] = qkv[row + c];
  kCache[slot] = qkv[row + params.C + c];
  vCache[slot] = qkv[row + 2u * params.C + c];
}
