// The objectives of docs/algorithms.md §5 as per-token credit, in float64: the
// twins of shaders/objectives.wgsl, and the definition the GPU is tested against.
//
// Every objective J here is MAXIMISED. Its gradient is Σ_ij c_ij ∇θ ℓ_ij with
// c_ij = ∂J/∂ℓ_ij, so c is exactly the `coefficients` input of the model's output
// kernel (whose loss is L = −Σ c ℓ: descending L ascends J).
//
// For each objective two short functions:
//   xxxObjective(batch, hyper, ℓ) — the written objective J as a function of ℓ only
//                                   (everything else fixed), with its named terms;
//   xxx(batch, hyper)              — the coefficients c_ij, derived by hand, plus J and
//                                   the terms at ℓ = batch.logprobs.
// and xxxLoss = −J, which test/objectives.test.ts differentiates numerically.
//
// Conventions shared by all objectives (this project's choices where the paper is silent):
// - A batch holds whole groups (one prompt's G responses), numbered 0 … P−1. r̄ and the
//   std are taken over each group's responses in the batch.
// - A response is a contiguous span of the flat token arrays (offset, length). Tokens in
//   no response (prompt, padding) get c = 0.
// - A response is negative when r_i = 0 and positive when r_i = 1.
// - The std of a group of one is 0 (Bessel's n − 1 = 0; torch would give NaN): its
//   advantage r − r̄ is 0 anyway.
import { Random } from '../util/random.ts';

type Numbers = ArrayLike<number>;

export interface ResponseSpan {
  /** g_i: the prompt's group, 0 … P−1. */
  group: number;
  /** r_i ∈ {0, 1}: 1 when the verifier accepts the answer. */
  reward: number;
  /** Index of the response's first token in the flat token arrays. */
  offset: number;
  /** |y_i| ≥ 1. */
  length: number;
}

export interface DpoPair {
  chosen: number;
  rejected: number;
}

export interface ObjectiveBatch {
  responses: ResponseSpan[];
  /** ℓ_ij = log πθ(y_ij | x, y_i,<j), flat. */
  logprobs: Numbers;
  /** ℓ^ref_ij under π_ref (which is also the behaviour policy μ and π_old), flat. */
  refLogprobs: Numbers;
  /** 1 where token j of a NEGATIVE response lies in a step judged correct (Eq. 7); ignored on positives. */
  betaMask: Numbers;
  /** DPO only: the (chosen, rejected) pairs; default dpoPairs(responses, hyper.dpoSeed). */
  pairs?: DpoPair[];
}

export interface ObjectiveHyper {
  /** β of Eq. 7: the weight on mined (correct-step) tokens of negatives. 1 = BCPG. */
  beta: number;
  /** τ of Eq. 6: strength of the squared log-ratio constraint. */
  tau: number;
  /** GRPO clip range ε. */
  epsilon: number;
  /** GRPO KL weight β_KL (k3 estimator). */
  betaKL: number;
  /** DPO temperature β_DPO. */
  betaDPO: number;
  /** GRPO normaliser: 'grpo' = per-sequence mean then mean over sequences; 'dapo' = mean over all tokens. */
  lossType: 'grpo' | 'dapo';
  /** TOPR return: 'group-mean' R = r − r̄; 'constant' R = (±1) − toprConstant. */
  toprBaseline: 'group-mean' | 'constant';
  toprConstant: number;
  /** TOPR importance ratio of negatives: per token, or the sequence's geometric mean. */
  toprRatio: 'token' | 'sequence';
  /** Seed of the default DPO pairing. */
  dpoSeed: number;
}

export interface ObjectiveResult {
  /** c_ij = ∂J/∂ℓ_ij per flat token (0 outside responses). */
  coefficients: Float64Array;
  /** J at ℓ = batch.logprobs (maximised). */
  objective: number;
  /** Named scalars: objective, policyGradient, constraint, meanAbsD, maxAbsD, betaShare, and per-objective extras. */
  terms: Record<string, number>;
}

// ---- shared pieces ----------------------------------------------------------------

export interface GroupStats {
  count: number;
  /** r̄ */
  mean: number;
  /** Bessel-corrected std of r over the group (0 for a group of one). */
  std: number;
}

/** P = number of groups; every id 0 … P−1 must have a response; rewards 0 or 1. */
export function groupCount(responses: readonly ResponseSpan[]): number {
  let P = 0;
  for (const [i, y] of responses.entries()) {
    if (!Number.isInteger(y.group) || y.group < 0)
      throw new Error(`objective batch: response ${i} has group ${y.group}; groups are numbered 0 … P−1.`);
    if (y.reward !== 0 && y.reward !== 1)
      throw new Error(`objective batch: response ${i} has reward ${y.reward}; rewards are 0 or 1.`);
    if (!Number.isInteger(y.length) || y.length < 1 || !Number.isInteger(y.offset) || y.offset < 0)
      throw new Error(`objective batch: response ${i} has offset ${y.offset} and length ${y.length}.`);
    P = Math.max(P, y.group + 1);
  }
  const seen = new Set(responses.map((y) => y.group));
  if (seen.size !== P)
    throw new Error(`objective batch: group ids must be 0 … P−1 with no gaps (P = ${P}, ${seen.size} used).`);
  return P;
}

/** Checks the batch (spans inside the token arrays, one value per token) and returns P. */
export function checkBatch(batch: ObjectiveBatch): number {
  const n = batch.logprobs.length;
  if (batch.refLogprobs.length !== n || batch.betaMask.length !== n) {
    throw new Error(
      `objective batch: logprobs (${n}), refLogprobs (${batch.refLogprobs.length}) ` +
        `and betaMask (${batch.betaMask.length}) must have one value per token.`,
    );
  }
  for (const [i, y] of batch.responses.entries()) {
    if (y.offset + y.length > n)
      throw new Error(`objective batch: response ${i} spans tokens [${y.offset}, ${y.offset + y.length}) of ${n}.`);
  }
  return groupCount(batch.responses);
}

export function groupStats(batch: ObjectiveBatch): GroupStats[] {
  const P = checkBatch(batch);
  return Array.from({ length: P }, (_, g) => {
    const r = batch.responses.filter((y) => y.group === g).map((y) => y.reward);
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    const std = r.length > 1 ? Math.sqrt(r.reduce((s, v) => s + (v - mean) ** 2, 0) / (r.length - 1)) : 0;
    return { count: r.length, mean, std };
  });
}

function tokens(y: ResponseSpan): number[] {
  return Array.from({ length: y.length }, (_, j) => y.offset + j);
}

/** D_i = Σ_j (ℓ_ij − ℓ^ref_ij), the sequence log-ratio. */
export function logRatioSum(batch: ObjectiveBatch, logprobs: Numbers, y: ResponseSpan): number {
  let D = 0;
  for (const t of tokens(y)) D += logprobs[t] - batch.refLogprobs[t];
  return D;
}

/** β_ij of Eq. 7: β on mined tokens of negatives, 1 everywhere else. */
function betaOf(batch: ObjectiveBatch, y: ResponseSpan, t: number, beta: number): number {
  return y.reward === 0 && batch.betaMask[t] !== 0 ? beta : 1;
}

/** Scalars every objective reports: mean and max |D_i| (distance from π_ref), share of negative tokens carrying β. */
function commonTerms(batch: ObjectiveBatch): Record<string, number> {
  const D = batch.responses.map((y) => Math.abs(logRatioSum(batch, batch.logprobs, y)));
  let negative = 0;
  let mined = 0;
  for (const y of batch.responses) {
    if (y.reward !== 0) continue;
    negative += y.length;
    for (const t of tokens(y)) mined += batch.betaMask[t] !== 0 ? 1 : 0;
  }
  return {
    meanAbsD: D.length > 0 ? D.reduce((s, v) => s + v, 0) / D.length : 0,
    maxAbsD: D.reduce((m, v) => Math.max(m, v), 0),
    betaShare: negative > 0 ? mined / negative : 0,
  };
}

function result(batch: ObjectiveBatch, coefficients: Float64Array, terms: Record<string, number>): ObjectiveResult {
  return { coefficients, objective: terms.objective, terms: { ...terms, ...commonTerms(batch) } };
}

const log1pexp = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
/** log σ(x), stable both ways. */
export const logSigmoid = (x: number) => -log1pexp(-x);
export const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

// ---- BCPG-NSA and BCPG ------------------------------------------------------------

/**
 * Eq. 6 (maximised), with β_ij from Eq. 7:
 *   J = E_x (1/G) Σ_i (1/|y_i|) [ Σ_j β_ij (r_i − r̄) ℓ_ij − (τ/2) (Σ_j (ℓ_ij − ℓ^ref_ij))² ]
 * Choice: E_x over a batch is the mean over its P prompts, so with every group of size G
 * the weight 1/(P·G) is 1/N.
 */
export function bcpgNsaObjective(batch: ObjectiveBatch, hyper: ObjectiveHyper, logprobs: Numbers = batch.logprobs) {
  const groups = groupStats(batch);
  const P = groups.length;
  let policyGradient = 0;
  let constraint = 0;
  for (const y of batch.responses) {
    const { count: G, mean: rBar } = groups[y.group];
    const A = y.reward - rBar; // r_i − r̄: no std normalisation
    let pg = 0;
    for (const t of tokens(y)) pg += betaOf(batch, y, t, hyper.beta) * A * logprobs[t];
    const D = logRatioSum(batch, logprobs, y);
    let weight = 1 / y.length; // 1/|y_i|
    weight /= G; // (1/G) Σ_i
    weight /= P; // E_x: mean over the batch's prompts
    policyGradient += weight * pg;
    constraint += weight * (hyper.tau / 2) * D * D;
  }
  return { objective: policyGradient - constraint, policyGradient, constraint };
}

/** c_ij = (β_ij A_i − τ D_i) / (P · G · |y_i|), A_i = r_i − r̄, D_i = Σ_j (ℓ_ij − ℓ^ref_ij). */
export function bcpgNsa(batch: ObjectiveBatch, hyper: ObjectiveHyper): ObjectiveResult {
  const groups = groupStats(batch);
  const P = groups.length;
  const c = new Float64Array(batch.logprobs.length);
  for (const y of batch.responses) {
    const { count: G, mean: rBar } = groups[y.group];
    const A = y.reward - rBar;
    const D = logRatioSum(batch, batch.logprobs, y);
    for (const t of tokens(y)) c[t] = (betaOf(batch, y, t, hyper.beta) * A - hyper.tau * D) / (P * G * y.length);
  }
  return result(batch, c, bcpgNsaObjective(batch, hyper));
}

export const bcpgNsaLoss = (batch: ObjectiveBatch, hyper: ObjectiveHyper, logprobs: Numbers) =>
  -bcpgNsaObjective(batch, hyper, logprobs).objective;

/** BCPG = BCPG-NSA with β = 1 (every token of a negative carries the full penalty). */
export const bcpg = (batch: ObjectiveBatch, hyper: ObjectiveHyper) => bcpgNsa(batch, { ...hyper, beta: 1 });
export const bcpgLoss = (batch: ObjectiveBatch, hyper: ObjectiveHyper, logprobs: Numbers) =>
  bcpgNsaLoss(batch, { ...hyper, beta: 1 }, logprobs);

// ---- GRPO-offline -----------------------------------------------------------------

/** A_i = (r_i − r̄) / (std(r) + 1e-4), Bessel-corrected std over the group. */
function grpoAdvantage(y: ResponseSpan, g: GroupStats): number {
  return (y.reward - g.mean) / (g.std + 1e-4);
}

/** The normaliser of response i's tokens: TRL loss_type 'grpo' = N·|y_i|, 'dapo' = Σ_i |y_i|. */
function grpoNormaliser(batch: ObjectiveBatch, y: ResponseSpan, lossType: ObjectiveHyper['lossType']): number {
  if (lossType === 'dapo') return batch.responses.reduce((s, r) => s + r.length, 0); // token-level mean
  return batch.responses.length * y.length; // per-sequence mean, then mean over sequences
}

/** True where min(ρA, clip(ρ)A) takes the clipped branch with the clip active (gradient 0). */
function grpoClipped(ratio: number, A: number, epsilon: number): boolean {
  return (A > 0 && ratio > 1 + epsilon) || (A < 0 && ratio < 1 - epsilon);
}

/**
 * DeepSeekMath GRPO (Shao et al. 2024, Eq. 3 objective, Eq. 4 k3 estimator) on a fixed dataset,
 * π_old := π_ref (precomputed):
 *   J = mean_i (1/|y_i|) Σ_j [ min(ρ_ij A_i, clip(ρ_ij, 1−ε, 1+ε) A_i) − β_KL k3_ij ]
 *   ρ_ij = exp(ℓ_ij − ℓ^old_ij),   k3_ij = exp(ℓ^ref_ij − ℓ_ij) − (ℓ^ref_ij − ℓ_ij) − 1
 * ('dapo': (1/Σ|y|) Σ_ij instead.) Deviation from online GRPO: π_old is π_ref, not the
 * previous θ, so ρ measures the drift from the data's policy and the clip bounds it.
 */
export function grpoOfflineObjective(batch: ObjectiveBatch, hyper: ObjectiveHyper, logprobs: Numbers = batch.logprobs) {
  const groups = groupStats(batch);
  let policyGradient = 0;
  let constraint = 0;
  let clipped = 0;
  let total = 0;
  for (const y of batch.responses) {
    const A = grpoAdvantage(y, groups[y.group]);
    const normaliser = grpoNormaliser(batch, y, hyper.lossType);
    for (const t of tokens(y)) {
      const ratio = Math.exp(logprobs[t] - batch.refLogprobs[t]); // π_old := π_ref
      const clippedRatio = Math.min(Math.max(ratio, 1 - hyper.epsilon), 1 + hyper.epsilon);
      const surrogate = Math.min(ratio * A, clippedRatio * A);
      const k3 = Math.exp(batch.refLogprobs[t] - logprobs[t]) - (batch.refLogprobs[t] - logprobs[t]) - 1;
      policyGradient += surrogate / normaliser;
      constraint += (hyper.betaKL * k3) / normaliser;
      clipped += grpoClipped(ratio, A, hyper.epsilon) ? 1 : 0;
      total += 1;
    }
  }
  return {
    objective: policyGradient - constraint,
    policyGradient,
    constraint,
    clipFraction: total > 0 ? clipped / total : 0,
  };
}

/** c_ij = [ρ_ij A_i · 1(clip not active) + β_KL (exp(ℓ^ref_ij − ℓ_ij) − 1)] / normaliser_i. */
export function grpoOffline(batch: ObjectiveBatch, hyper: ObjectiveHyper): ObjectiveResult {
  const groups = groupStats(batch);
  const c = new Float64Array(batch.logprobs.length);
  for (const y of batch.responses) {
    const A = grpoAdvantage(y, groups[y.group]);
    const normaliser = grpoNormaliser(batch, y, hyper.lossType);
    for (const t of tokens(y)) {
      const ratio = Math.exp(batch.logprobs[t] - batch.refLogprobs[t]);
      const policy = grpoClipped(ratio, A, hyper.epsilon) ? 0 : ratio * A;
      const kl = hyper.betaKL * (Math.exp(batch.refLogprobs[t] - batch.logprobs[t]) - 1); // −β_KL ∂k3/∂ℓ
      c[t] = (policy + kl) / normaliser;
    }
  }
  return result(batch, c, grpoOfflineObjective(batch, hyper));
}

export const grpoOfflineLoss = (batch: ObjectiveBatch, hyper: ObjectiveHyper, logprobs: Numbers) =>
  -grpoOfflineObjective(batch, hyper, logprobs).objective;

// ---- TOPR -------------------------------------------------------------------------

/** R_i: r_i − r̄ (group-mean baseline) or (±1) − c (constant baseline; r = 1 → +1, r = 0 → −1). */
function toprReturn(y: ResponseSpan, g: GroupStats, hyper: ObjectiveHyper): number {
  return hyper.toprBaseline === 'group-mean' ? y.reward - g.mean : 2 * y.reward - 1 - hyper.toprConstant;
}

/**
 * The truncated importance weight w = clip(π/μ, 0, 1) with μ = π_ref, evaluated at `frozen`
 * (a stop-gradient): 1 on positives; on negatives min(1, exp(ℓ − ℓ^ref)) per token, or
 * min(1, exp(D_i / |y_i|)) for the sequence's geometric-mean ratio.
 */
function toprWeight(batch: ObjectiveBatch, hyper: ObjectiveHyper, frozen: Numbers, y: ResponseSpan, t: number): number {
  if (y.reward === 1) return 1;
  const logRatio =
    hyper.toprRatio === 'token' ? frozen[t] - batch.refLogprobs[t] : logRatioSum(batch, frozen, y) / y.length;
  return Math.min(1, Math.exp(logRatio));
}

/**
 * TOPR (Le Roux et al., arXiv 2503.14286; as docs/algorithms.md §5 states it), offline with μ = π_ref:
 *   J = mean_i (1/|y_i|) Σ_j sg(w_ij) R_i ℓ_ij,   w = 1 on positives, clip(π/μ, 0, 1) on negatives
 * The weight is a constant (stop-gradient), so J is the surrogate whose gradient is the
 * TOPR update; `frozen` is where the weights are evaluated (the FD test holds it at
 * batch.logprobs while it moves ℓ). No KL term.
 */
export function toprObjective(
  batch: ObjectiveBatch,
  hyper: ObjectiveHyper,
  logprobs: Numbers = batch.logprobs,
  frozen: Numbers = batch.logprobs,
) {
  const groups = groupStats(batch);
  const N = batch.responses.length;
  let positiveTerm = 0;
  let negativeTerm = 0;
  let negativeWeight = 0;
  let negativeTokens = 0;
  for (const y of batch.responses) {
    const R = toprReturn(y, groups[y.group], hyper);
    let sum = 0;
    for (const t of tokens(y)) {
      const w = toprWeight(batch, hyper, frozen, y, t);
      sum += w * R * logprobs[t];
      if (y.reward === 0) {
        negativeWeight += w;
        negativeTokens += 1;
      }
    }
    let weight = 1 / y.length; // 1/|y_i|
    weight /= N; // mean over sequences
    if (y.reward === 1) positiveTerm += weight * sum;
    else negativeTerm += weight * sum;
  }
  const objective = positiveTerm + negativeTerm;
  return {
    objective,
    policyGradient: objective,
    constraint: 0,
    positiveTerm,
    negativeTerm,
    meanNegativeWeight: negativeTokens > 0 ? negativeWeight / negativeTokens : 0,
  };
}

/** c_ij = w_ij R_i / (N |y_i|). */
export function topr(batch: ObjectiveBatch, hyper: ObjectiveHyper): ObjectiveResult {
  const groups = groupStats(batch);
  const N = batch.responses.length;
  const c = new Float64Array(batch.logprobs.length);
  for (const y of batch.responses) {
    const R = toprReturn(y, groups[y.group], hyper);
    for (const t of tokens(y)) c[t] = (toprWeight(batch, hyper, batch.logprobs, y, t) * R) / (N * y.length);
  }
  return result(batch, c, toprObjective(batch, hyper));
}

/** −J with the weights frozen at `frozen` (default batch.logprobs): differentiate at ℓ = frozen. */
export const toprLoss = (
  batch: ObjectiveBatch,
  hyper: ObjectiveHyper,
  logprobs: Numbers,
  frozen: Numbers = batch.logprobs,
) => -toprObjective(batch, hyper, logprobs, frozen).objective;

// ---- DPO --------------------------------------------------------------------------

/**
 * Default pairing (this project's choice): in each group (ascending id), the negatives in
 * response order are each paired with a positive drawn without replacement from a shuffle
 * of the group's positives, starting the same shuffle again when they run out. One
 * Random(seed) for the whole batch, used only by groups with both kinds: deterministic.
 * Groups that are all right or all wrong give no pair.
 */
export function dpoPairs(responses: readonly ResponseSpan[], seed: number): DpoPair[] {
  const P = groupCount(responses);
  const random = new Random(seed);
  const pairs: DpoPair[] = [];
  for (let g = 0; g < P; g++) {
    const members = responses.map((y, i) => ({ y, i })).filter(({ y }) => y.group === g);
    const positives = members.filter(({ y }) => y.reward === 1).map(({ i }) => i);
    const negatives = members.filter(({ y }) => y.reward === 0).map(({ i }) => i);
    if (positives.length === 0 || negatives.length === 0) continue;
    for (let k = positives.length - 1; k > 0; k--) {
      const j = Math.floor(random.next() * (k + 1));
      [positives[k], positives[j]] = [positives[j], positives[k]];
    }
    negatives.forEach((rejected, k) => pairs.push({ chosen: positives[k % positives.length], rejected }));
  }
  return pairs;
}

function pairsOf(batch: ObjectiveBatch, hyper: ObjectiveHyper): DpoPair[] {
  return batch.pairs ?? dpoPairs(batch.responses, hyper.dpoSeed);
}

/**
 * DPO, sigmoid loss (Rafailov et al. 2023, Eq. 7), maximised as its negative:
 *   J = (1/M) Σ_pairs log σ(β_DPO [(Σℓ_w − Σℓ^ref_w) − (Σℓ_l − Σℓ^ref_l)])
 * Choice: the mean over the batch's M pairs (TRL's loss.mean()); no pair gives J = 0.
 */
export function dpoObjective(batch: ObjectiveBatch, hyper: ObjectiveHyper, logprobs: Numbers = batch.logprobs) {
  const pairs = pairsOf(batch, hyper);
  let sum = 0;
  let margins = 0;
  for (const { chosen, rejected } of pairs) {
    const margin =
      logRatioSum(batch, logprobs, batch.responses[chosen]) - logRatioSum(batch, logprobs, batch.responses[rejected]);
    sum += logSigmoid(hyper.betaDPO * margin);
    margins += margin;
  }
  const M = pairs.length;
  const objective = M > 0 ? sum / M : 0;
  return {
    objective,
    policyGradient: objective,
    constraint: 0,
    loss: -objective,
    pairs: M,
    meanMargin: M > 0 ? margins / M : 0,
  };
}

/**
 * s = σ(−β_DPO · margin);
 * c = +β_DPO s / M on every token of y_w, −β_DPO s / M on every token of y_l (summed over pairs).
 */
export function dpo(batch: ObjectiveBatch, hyper: ObjectiveHyper): ObjectiveResult {
  const pairs = pairsOf(batch, hyper);
  const M = pairs.length;
  const c = new Float64Array(batch.logprobs.length);
  for (const { chosen, rejected } of pairs) {
    const yw = batch.responses[chosen];
    const yl = batch.responses[rejected];
    const margin = logRatioSum(batch, batch.logprobs, yw) - logRatioSum(batch, batch.logprobs, yl);
    const s = sigmoid(-hyper.betaDPO * margin);
    for (const t of tokens(yw)) c[t] += (hyper.betaDPO * s) / M;
    for (const t of tokens(yl)) c[t] -= (hyper.betaDPO * s) / M;
  }
  return result(batch, c, dpoObjective(batch, hyper));
}

export const dpoLoss = (batch: ObjectiveBatch, hyper: ObjectiveHyper, logprobs: Numbers) =>
  -dpoObjective(batch, hyper, logprobs).objective;

// ---- RFT --------------------------------------------------------------------------

/**
 * Rejection-sampling fine-tuning: SFT on the correct responses only,
 *   J = (1/N₊) Σ_{i: r_i = 1} (1/|y_i|) Σ_j ℓ_ij
 * Choice: N₊ counts the batch's positives (per-sequence mean, then mean over positives);
 * a batch with none gives J = 0.
 */
export function rftObjective(batch: ObjectiveBatch, _hyper: ObjectiveHyper, logprobs: Numbers = batch.logprobs) {
  checkBatch(batch);
  const nPositive = batch.responses.filter((y) => y.reward === 1).length;
  let objective = 0;
  for (const y of batch.responses) {
    if (y.reward !== 1) continue; // negatives get no credit
    let sum = 0;
    for (const t of tokens(y)) sum += logprobs[t];
    objective += sum / y.length / nPositive;
  }
  return { objective, policyGradient: objective, constraint: 0 };
}

/** c_ij = r_i / (N₊ |y_i|). */
export function rft(batch: ObjectiveBatch, hyper: ObjectiveHyper): ObjectiveResult {
  const nPositive = batch.responses.filter((y) => y.reward === 1).length;
  const c = new Float64Array(batch.logprobs.length);
  for (const y of batch.responses) {
    if (y.reward === 1) for (const t of tokens(y)) c[t] = 1 / (nPositive * y.length);
  }
  return result(batch, c, rftObjective(batch, hyper));
}

export const rftLoss = (batch: ObjectiveBatch, hyper: ObjectiveHyper, logprobs: Numbers) =>
  -rftObjective(batch, hyper, logprobs).objective;

/**
 * The model's output kernel takes the loss weight c of L = −Σ c ℓ, and descending L ascends
 * Σ c ℓ: the ascent coefficients above are already what it wants. Kept as a named identity so
 * the sign convention is written down at the one place the trainer hands c over.
 */
export function coefficientsForLoss<T extends ArrayLike<number>>(c: T): T {
  return c;
}
