// The model's output layer, fused: per row r of logits [rows, V] with target
// y_r and coefficient c_r, one workgroup computes max, log-sum-exp and the
// target's log-prob, then OVERWRITES the row with the loss gradient.
//   logprobs_r = logits_r[y_r] − lse_r,   lse_r = max + log Σ_j exp(logits_rj − max)
//   logits_r  ← c_r · (exp(logits_r − lse_r) − onehot(y_r))
// which is ∂/∂logits of L = −Σ_r c_r logprob_r. Rows with c_r = 0 get zeros;
// a target ≥ V (padding sentinel) gives logprob 0 and no one-hot term.
// Rows are `stride` apart (the vocabulary padded for the fast matmuls); columns V … stride − 1 are
// padding: left out of the softmax and given zero gradient.
// Dispatch: x = rows (y > 1 when rows exceed 65535: row = wid.x + wid.y · groups.x).
// Logits larger than one binding go in pieces of rows: logits holds rows first … first + rows − 1 of the whole;
// targets, coefficients and logprobs are bound whole and read at first + row.
struct Params { rows: u32, V: u32, stride: u32, first: u32 }

const WG: u32 = 64u; // threads a row, a power of two (set by the host: src/kernels/tuning.ts)

@group(0) @binding(0) var<storage, read> targets: array<u32>;
@group(0) @binding(1) var<storage, read> coefficients: array<f32>;
@group(0) @binding(2) var<storage, read_write> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> logprobs: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

//#include "common/reduce.wgsl"

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let row = wid.x + wid.y * groups.x;
  if (row >= params.rows) { return; } // uniform per workgroup, so barriers stay uniform
  let V = params.V;
  let base = row * params.stride;
  let y = targets[params.first + row];
  let valid = y < V;
  var m = -3.402823e38;
  for (var j = local; j < V; j += WG) { m = max(m, logits[base + j]); }
  m = reduce_max(local, m);
  var s = 0.0;
  for (var j = local; j < V; j += WG) { s += exp(logits[base + j] - m); }
  s = reduce_sum(local, s);
  // Work with (x − max) − log s rather than x − lse: x − max is exact when x is near max.
  let log_s = log(s);
  // Read the target's logit before any thread overwrites the row.
  var target_logit = 0.0;
  if (local == 0u && valid) { target_logit = logits[base + y]; }
  storageBarrier();
  if (local == 0u) { logprobs[params.first + row] = select(0.0, (target_logit - m) - log_s, valid); }
  let c = coefficients[params.first + row];
  for (var j = local; j < V; j += WG) {
    let onehot = select(0.0, 1.0, valid && j == y);
    logits[base + j] = c * (exp((logits[base + j] - m) - log_s) - onehot);
  }
  for (var j = V + local; j < params.stride; j += WG) { logits[base + j] = 0.0; }
}
