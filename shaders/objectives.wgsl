// The objectives of docs/algorithms.md §5 as per-token credit c_ij = ∂J/∂ℓ_ij (J maximised;
// c is the `coefficients` input of the model's output kernel, whose loss is −Σ c ℓ).
// Twin, with each equation: src/objectives/reference.ts. Driver: src/objectives/kernels.ts.
//
// hp.mode: 0 BCPG-NSA (BCPG = β 1), 1 GRPO-offline, 2 TOPR, 3 DPO, 4 RFT.
// Five dispatches, in order, each a thread per item looping in a fixed order (deterministic):
//   group_stats     thread per group g:    count, r̄, Bessel std (0 for a group of one)
//   batch_stats     one thread:            N₊, Σ|y_i|, M (pairs)
//   response_stats  thread per response i: D_i = Σ_j (ℓ − ℓ^ref), A_i, the normaliser weight w_i,
//                                          and for a rejected response of a DPO pair: margin m, s = σ(−β_DPO m)
//   response_terms  thread per response i: the partial terms of J (summed on the CPU in float64),
//                                          and for DPO the Σ s of the pairs i is chosen in
//   token_credit    thread per token:      c_ij
// Dispatch x (· y past 65535 workgroups) of WG threads; batch_stats is one workgroup.

struct Hyper {
  mode: u32,
  nTokens: u32,
  nResponses: u32,
  nGroups: u32,
  beta: f32,
  tau: f32,
  epsilon: f32,
  betaKL: f32,
  betaDPO: f32,
  toprConstant: f32,
  toprBaseline: u32, // 0 group mean: R = r − r̄; 1 constant: R = ±1 − toprConstant
  toprRatio: u32,    // 0 per token; 1 sequence geometric mean exp(D_i/|y_i|)
  lossType: u32,     // GRPO: 0 'grpo' (N·|y_i|), 1 'dapo' (Σ|y|)
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

struct Response {
  offset: u32, // first token in the flat arrays
  length: u32, // |y_i| ≥ 1
  group: u32,  // g_i ∈ 0 … P−1
  reward: u32, // r_i ∈ {0, 1}
  partner: u32, // DPO: the chosen response this one is rejected against; NONE otherwise
}

const WG: u32 = 64u;
const NONE: u32 = 0xffffffffu;
const BCPG: u32 = 0u;
const GRPO: u32 = 1u;
const TOPR: u32 = 2u;
const DPO: u32 = 3u;
const RFT: u32 = 4u;
// scratch = [batch: N₊, Σ|y|, M, 0][groups: P × (count, r̄, std, 0)][responses: N × STATS]
const STATS: u32 = 8u; // D, A, w, s, m, S, 0, 0
// terms, per response: J_i, policy-gradient_i, constraint_i, D_i, negative tokens, mined negative
// tokens, extra₁, extra₂ (GRPO: clipped tokens, |y_i|; TOPR: Σ w over negative tokens, 0;
// DPO: 1 when rejected in a pair, its margin)
const TERMS: u32 = 8u;

@group(0) @binding(0) var<storage, read> logprobs: array<f32>;
@group(0) @binding(1) var<storage, read> refLogprobs: array<f32>;
@group(0) @binding(2) var<storage, read> tokenInfo: array<vec2<u32>>; // (response or NONE, β mask)
@group(0) @binding(3) var<storage, read> responses: array<Response>;
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(5) var<storage, read_write> terms: array<f32>;
@group(0) @binding(6) var<storage, read_write> coefficients: array<f32>;
@group(0) @binding(7) var<uniform> hp: Hyper;

//#include "common/index.wgsl"

fn group_base(g: u32) -> u32 { return 4u + 4u * g; }
fn stats_base(i: u32) -> u32 { return 4u + 4u * hp.nGroups + STATS * i; }

/** D_i = Σ_j (ℓ_ij − ℓ^ref_ij), in token order. */
fn log_ratio_sum(r: Response) -> f32 {
  var D = 0.0;
  for (var t = r.offset; t < r.offset + r.length; t++) { D += logprobs[t] - refLogprobs[t]; }
  return D;
}

/** σ(x), stable both ways. */
fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

/** log σ(x) = −log(1 + e^{−x}), stable both ways. */
fn log_sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return -log(1.0 + exp(-x)); }
  return x - log(1.0 + exp(x));
}

/** β_ij of Eq. 7: β on mined tokens of negatives, 1 elsewhere. */
fn beta_of(r: Response, mask: u32) -> f32 {
  return select(1.0, hp.beta, r.reward == 0u && mask != 0u);
}

/** GRPO: the clip is active in the branch min(ρA, clip(ρ)A) takes (gradient 0 there). */
fn grpo_clipped(ratio: f32, A: f32) -> bool {
  return (A > 0.0 && ratio > 1.0 + hp.epsilon) || (A < 0.0 && ratio < 1.0 - hp.epsilon);
}

/** TOPR weight: 1 on positives; min(1, π/π_ref) on negatives, per token or by the sequence's geometric mean. */
fn topr_weight(r: Response, t: u32, D: f32) -> f32 {
  if (r.reward == 1u) { return 1.0; }
  let logRatio = select(logprobs[t] - refLogprobs[t], D / f32(r.length), hp.toprRatio == 1u);
  return exp(min(logRatio, 0.0)); // = min(1, exp(logRatio)), never overflows
}

@compute @workgroup_size(WG)
fn group_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let g = index(gid, groups);
  if (g >= hp.nGroups) { return; }
  var count = 0.0;
  var sum = 0.0;
  for (var i = 0u; i < hp.nResponses; i++) {
    if (responses[i].group == g) { count += 1.0; sum += f32(responses[i].reward); }
  }
  let mean = sum / max(count, 1.0);
  var squares = 0.0;
  for (var i = 0u; i < hp.nResponses; i++) {
    if (responses[i].group == g) { let d = f32(responses[i].reward) - mean; squares += d * d; }
  }
  let base = group_base(g);
  scratch[base] = count;
  scratch[base + 1u] = mean;
  scratch[base + 2u] = select(0.0, sqrt(squares / (count - 1.0)), count > 1.0);
  scratch[base + 3u] = 0.0;
}

@compute @workgroup_size(1)
fn batch_stats() {
  var positives = 0.0;
  var tokens = 0.0;
  var pairs = 0.0;
  for (var i = 0u; i < hp.nResponses; i++) {
    positives += f32(responses[i].reward);
    tokens += f32(responses[i].length);
    pairs += select(0.0, 1.0, responses[i].partner != NONE);
  }
  scratch[0] = positives;
  scratch[1] = tokens;
  scratch[2] = pairs;
  scratch[3] = 0.0;
}

@compute @workgroup_size(WG)
fn response_stats(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i >= hp.nResponses) { return; }
  let r = responses[i];
  let gb = group_base(r.group);
  let G = scratch[gb];
  let rBar = scratch[gb + 1u];
  let sd = scratch[gb + 2u]; // Bessel std
  let reward = f32(r.reward);
  let len = f32(r.length);
  let N = f32(hp.nResponses);
  var A = 0.0;
  var w = 0.0;
  switch hp.mode {
    case BCPG: { // BCPG: r − r̄ over (P·G·|y|)
      A = reward - rBar;
      w = 1.0 / (f32(hp.nGroups) * G * len);
    }
    case GRPO: { // GRPO: (r − r̄)/(sd + 1e-4) over N·|y| or Σ|y|
      A = (reward - rBar) / (sd + 1e-4);
      w = select(1.0 / (N * len), 1.0 / scratch[1], hp.lossType == 1u);
    }
    case TOPR: { // TOPR: R over N·|y|
      A = select(reward - rBar, 2.0 * reward - 1.0 - hp.toprConstant, hp.toprBaseline == 1u);
      w = 1.0 / (N * len);
    }
    case DPO: { // DPO: mean over the M pairs
      w = select(0.0, 1.0 / scratch[2], scratch[2] > 0.0);
    }
    case RFT, default: { // RFT: r over N₊·|y|
      A = reward;
      w = select(0.0, 1.0 / (scratch[0] * len), scratch[0] > 0.0);
    }
  }
  let D = log_ratio_sum(r);
  var margin = 0.0;
  var s = 0.0;
  if (hp.mode == DPO && r.partner != NONE) {
    margin = log_ratio_sum(responses[r.partner]) - D; // (Σℓ_w − Σℓ^ref_w) − (Σℓ_l − Σℓ^ref_l)
    s = sigmoid(-hp.betaDPO * margin);
  }
  let base = stats_base(i);
  scratch[base] = D;
  scratch[base + 1u] = A;
  scratch[base + 2u] = w;
  scratch[base + 3u] = s;
  scratch[base + 4u] = margin;
  scratch[base + 5u] = 0.0;
  scratch[base + 6u] = 0.0;
  scratch[base + 7u] = 0.0;
}

@compute @workgroup_size(WG)
fn response_terms(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i >= hp.nResponses) { return; }
  let r = responses[i];
  let base = stats_base(i);
  let D = scratch[base];
  let A = scratch[base + 1u];
  let w = scratch[base + 2u];
  var policy = 0.0;
  var constraint = 0.0;
  var extra1 = 0.0;
  var extra2 = 0.0;
  var mined = 0.0;
  for (var t = r.offset; t < r.offset + r.length; t++) {
    let mask = tokenInfo[t].y;
    mined += select(0.0, 1.0, r.reward == 0u && mask != 0u);
    let l = logprobs[t];
    let x = l - refLogprobs[t]; // ℓ − ℓ^ref
    switch hp.mode {
      case BCPG: { policy += beta_of(r, mask) * A * l; } // Σ_j β_ij A_i ℓ_ij
      case GRPO: {
        let ratio = exp(x);
        let clippedRatio = clamp(ratio, 1.0 - hp.epsilon, 1.0 + hp.epsilon);
        policy += min(ratio * A, clippedRatio * A);
        constraint += exp(-x) + x - 1.0; // k3
        extra1 += select(0.0, 1.0, grpo_clipped(ratio, A));
      }
      case TOPR: {
        let weight = topr_weight(r, t, D);
        policy += weight * A * l;
        if (r.reward == 0u) { extra1 += weight; }
      }
      case RFT: { policy += A * l; } // Σ_j r_i ℓ_ij
      default: {}
    }
  }
  switch hp.mode {
    case BCPG: { constraint = (hp.tau / 2.0) * D * D; }
    case GRPO: { constraint *= hp.betaKL; extra2 = f32(r.length); }
    case DPO: {
      // this response's side of its pairs: log σ(β m) if rejected, and the Σ s of the pairs it is chosen in
      if (r.partner != NONE) {
        let margin = scratch[base + 4u];
        policy = log_sigmoid(hp.betaDPO * margin);
        extra1 = 1.0;
        extra2 = margin;
      }
      var chosenS = 0.0;
      for (var k = 0u; k < hp.nResponses; k++) {
        if (responses[k].partner == i) { chosenS += scratch[stats_base(k) + 3u]; }
      }
      scratch[base + 5u] = chosenS;
    }
    default: {}
  }
  let at = TERMS * i;
  terms[at] = w * (policy - constraint);
  terms[at + 1u] = w * policy;
  terms[at + 2u] = w * constraint;
  terms[at + 3u] = D;
  terms[at + 4u] = select(0.0, f32(r.length), r.reward == 0u);
  terms[at + 5u] = mined;
  terms[at + 6u] = extra1;
  terms[at + 7u] = extra2;
}

@compute @workgroup_size(WG)
fn token_credit(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = index(gid, groups);
  if (t >= hp.nTokens) { return; }
  let info = tokenInfo[t];
  if (info.x == NONE) { coefficients[t] = 0.0; return; }
  let r = responses[info.x];
  let base = stats_base(info.x);
  let D = scratch[base];
  let A = scratch[base + 1u];
  let w = scratch[base + 2u];
  let x = logprobs[t] - refLogprobs[t];
  var c = 0.0;
  switch hp.mode {
    case BCPG: { c = w * (beta_of(r, info.y) * A - hp.tau * D); } // (β_ij A_i − τ D_i)/(P·G·|y_i|)
    case GRPO: {
      let ratio = exp(x);
      let policy = select(ratio * A, 0.0, grpo_clipped(ratio, A));
      c = w * (policy + hp.betaKL * (exp(-x) - 1.0)); // [ρA·1(no clip) + β_KL(e^{ℓ^ref − ℓ} − 1)]/normaliser
    }
    case TOPR: { c = w * topr_weight(r, t, D) * A; } // w_ij R_i/(N|y_i|)
    case DPO: { c = w * hp.betaDPO * (scratch[base + 5u] - scratch[base + 3u]); } // β(Σ s_chosen − s_rejected)/M
    case RFT, default: { c = w * A; } // r_i/(N₊|y_i|)
  }
  coefficients[t] = c;
}
