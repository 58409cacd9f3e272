// Sampling the next token of B sequences from logits [B, V] with temperature τ
// and top-k, one thread a row (V is scanned serially: rows are few, V small).
// Position p's logits give the token at p + 1; rows whose prompt still covers
// p + 1 keep the prompt token (teacher forcing), the others take the sample:
//   π_s(i) ∝ exp((x_i − max x)/τ) over the k largest logits (ties at the k-th kept)
//   writes tokens[b, p+1], logprobs[b, p+1] = log π_s(token), modelLogprobs[b, p+1] = log softmax(x)[token]
// u ~ U[0,1) from a hash of (seed, position, row), the same in src/reference/sample.ts.
// Thread a samples from logits row a for sequence b = rows[a] when `mapped` (generation packs
// the live sequences first), else b = a; the hash takes b. With eos1 = eos + 1 > 0, a sampled
// eos sets done[b] = 1, which generation reads back now and then to drop finished rows.
// Logits rows are `stride` apart (the vocabulary padded for the fast matmuls); only tokens < V are read,
// so a padding token is never drawn.
struct Params {
  B: u32, V: u32, position: u32, maxT: u32, topK: u32, seed: u32, temperature: f32, mapped: u32, eos1: u32,
  stride: u32, pad1: u32, pad2: u32,
}

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> promptLengths: array<u32>;
@group(0) @binding(2) var<storage, read_write> tokens: array<u32>;
@group(0) @binding(3) var<storage, read_write> logprobs: array<f32>;
@group(0) @binding(4) var<storage, read_write> modelLogprobs: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
@group(0) @binding(6) var<storage, read> rows: array<u32>;
@group(0) @binding(7) var<storage, read_write> done: array<u32>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn uniform01(seed: u32, position: u32, row: u32) -> f32 {
  let h = pcg(seed ^ pcg(position ^ pcg(row)));
  return f32(h >> 8u) / 16777216.0;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let a = gid.x;
  if (a >= params.B) { return; }
  let next = params.position + 1u;
  if (next >= params.maxT) { return; }
  let b = select(a, rows[a], params.mapped != 0u);
  let V = params.V;
  let base = a * params.stride;
  var m = -3.402823e38;
  for (var i = 0u; i < V; i++) { m = max(m, logits[base + i]); }
  // k-th largest logit: walk down the distinct values, counting ties.
  var threshold = -3.402823e38;
  if (params.topK > 0u && params.topK < V) {
    var above = 3.402823e38;
    var counted = 0u;
    loop {
      var current = -3.402823e38;
      for (var i = 0u; i < V; i++) { let x = logits[base + i]; if (x < above) { current = max(current, x); } }
      var ties = 0u;
      for (var i = 0u; i < V; i++) { if (logits[base + i] == current) { ties++; } }
      counted += ties;
      above = current;
      if (counted >= params.topK || ties == 0u) { threshold = current; break; }
    }
  }
  let invT = 1.0 / params.temperature;
  var zs = 0.0; // Σ over kept tokens of exp((x − m)/τ)
  var z1 = 0.0; // Σ over all tokens of exp(x − m)
  for (var i = 0u; i < V; i++) {
    let x = logits[base + i];
    z1 += exp(x - m);
    if (x >= threshold) { zs += exp((x - m) * invT); }
  }
  var token = 0u;
  let slot = b * params.maxT + next;
  if (next < promptLengths[b]) {
    token = tokens[slot];
  } else {
    let goal = uniform01(params.seed, params.position, b) * zs;
    var cumulative = 0.0;
    var last = 0u;
    var found = false;
    for (var i = 0u; i < V; i++) {
      let x = logits[base + i];
      if (x >= threshold) {
        last = i;
        cumulative += exp((x - m) * invT);
        if (!found && cumulative > goal) { token = i; found = true; }
      }
    }
    if (!found) { token = last; }
    tokens[slot] = token;
    if (params.eos1 != 0u && token + 1u == params.eos1) { done[b] = 1u; }
  }
  let xt = logits[base + token];
  logprobs[slot] = select(-3.402823e38, (xt - m) * invT - log(zs), xt >= threshold);
  modelLogprobs[slot] = (xt - m) - log(z1);
}
