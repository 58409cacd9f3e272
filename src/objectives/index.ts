// The objectives by name, with the paper's hyper-parameters and every choice the paper
// leaves open. Twins in ./reference.ts, GPU in ./kernels.ts (shaders/objectives.wgsl).
import {
  bcpg,
  bcpgLoss,
  bcpgNsa,
  bcpgNsaLoss,
  dpo,
  dpoLoss,
  grpoOffline,
  grpoOfflineLoss,
  rft,
  rftLoss,
  topr,
  toprLoss,
  type ObjectiveBatch,
  type ObjectiveHyper,
  type ObjectiveResult,
} from './reference.ts';

export type { DpoPair, ObjectiveBatch, ObjectiveHyper, ObjectiveResult, ResponseSpan } from './reference.ts';
export { coefficientsForLoss, dpoPairs } from './reference.ts';

export const OBJECTIVE_NAMES = ['bcpg-nsa', 'bcpg', 'grpo-offline', 'topr', 'dpo', 'rft'] as const;
export type ObjectiveName = (typeof OBJECTIVE_NAMES)[number];

/**
 * Paper values (arXiv 2505.14403: β = 0.5, τ = 1e-3, β_DPO = 0.5; GRPO's ε = 0.2, β_KL = 0.04)
 * and this project's defaults for the rest.
 */
export const DEFAULT_HYPER: ObjectiveHyper = {
  beta: 0.5,
  tau: 1e-3,
  epsilon: 0.2,
  betaKL: 0.04,
  betaDPO: 0.5,
  lossType: 'grpo', // choice: TRL's "grpo" (per-sequence mean); "dapo" is the token-level option
  toprBaseline: 'group-mean', // choice: R = r − r̄ like BCPG; "constant" gives R = ±1 − c
  toprConstant: 0,
  toprRatio: 'token', // choice: per-token ratio; "sequence" uses exp(mean_j(ℓ − ℓ^ref))
  dpoSeed: 0,
};

export interface ObjectiveSpec {
  name: ObjectiveName;
  title: string;
  /** The objective as written (maximised), docs/algorithms.md §5. */
  equation: string;
  /** The per-token credit c_ij = ∂J/∂ℓ_ij. */
  coefficient: string;
  /** The hyper-parameters it reads. */
  uses: (keyof ObjectiveHyper)[];
  /** Values it always runs with, whatever is asked (BCPG: β = 1). */
  fixed: Partial<ObjectiveHyper>;
  /** The float64 twin: coefficients, J and the named terms. */
  reference(batch: ObjectiveBatch, hyper: ObjectiveHyper): ObjectiveResult;
  /** −J as a function of ℓ alone (c = −∂loss/∂ℓ). */
  loss(batch: ObjectiveBatch, hyper: ObjectiveHyper, logprobs: ArrayLike<number>): number;
  /** Choices the paper leaves open, as made here. */
  choices: string[];
}

const COMMON_CHOICES = [
  'A batch holds whole groups numbered 0 … P−1; r̄ and std are over the group in the batch.',
  'Tokens outside every response (prompt, padding) get c = 0.',
];

export const OBJECTIVES: Record<ObjectiveName, ObjectiveSpec> = {
  'bcpg-nsa': {
    name: 'bcpg-nsa',
    title: 'BCPG with negative sample augmentation (Eqs. 6–7)',
    equation: 'J = E_x (1/G) Σ_i (1/|y_i|) [Σ_j β_ij (r_i − r̄) ℓ_ij − (τ/2)(Σ_j (ℓ_ij − ℓ^ref_ij))²]',
    coefficient: 'c_ij = (β_ij A_i − τ D_i) / (P·G·|y_i|), A_i = r_i − r̄, D_i = Σ_j (ℓ_ij − ℓ^ref_ij)',
    uses: ['beta', 'tau'],
    fixed: {},
    reference: bcpgNsa,
    loss: bcpgNsaLoss,
    choices: [
      ...COMMON_CHOICES,
      'E_x is the mean over the P prompts of the batch (1/N when every group has G responses).',
      'β_ij = β only on masked tokens of responses with r_i = 0; the mask is ignored on positives.',
    ],
  },
  bcpg: {
    name: 'bcpg',
    title: 'BCPG (Eq. 6 with β = 1)',
    equation: 'J = E_x (1/G) Σ_i (1/|y_i|) [Σ_j (r_i − r̄) ℓ_ij − (τ/2)(Σ_j (ℓ_ij − ℓ^ref_ij))²]',
    coefficient: 'c_ij = (A_i − τ D_i) / (P·G·|y_i|)',
    uses: ['tau'],
    fixed: { beta: 1 },
    reference: bcpg,
    loss: bcpgLoss,
    choices: [...COMMON_CHOICES, 'E_x is the mean over the P prompts of the batch.'],
  },
  'grpo-offline': {
    name: 'grpo-offline',
    title: 'GRPO on a fixed dataset (π_old := π_ref)',
    equation:
      'J = mean_i (1/|y_i|) Σ_j [min(ρA, clip(ρ, 1−ε, 1+ε)A) − β_KL k3], A = (r − r̄)/(std + 1e-4), ρ = exp(ℓ − ℓ^ref)',
    coefficient: 'c_ij = [ρ_ij A_i·1(clip inactive) + β_KL (exp(ℓ^ref − ℓ) − 1)] / (N|y_i|)  (dapo: / Σ|y|)',
    uses: ['epsilon', 'betaKL', 'lossType'],
    fixed: {},
    reference: grpoOffline,
    loss: grpoOfflineLoss,
    choices: [
      ...COMMON_CHOICES,
      'π_old := π_ref (the data policy), so the clip bounds the drift from the data.',
      'std is Bessel-corrected; a group of one has std 0 (and A = 0).',
      'loss_type "grpo" (TRL): per-sequence mean, then mean over the N sequences; "dapo": mean over all tokens.',
      'Where the clip is active in the branch min() takes, the policy term contributes 0.',
    ],
  },
  topr: {
    name: 'topr',
    title: 'Tapered off-policy REINFORCE (Le Roux et al., arXiv 2503.14286)',
    equation: 'J = mean_i (1/|y_i|) Σ_j sg(w_ij) R_i ℓ_ij, w = 1 on positives, clip(π/π_ref, 0, 1) on negatives',
    coefficient: 'c_ij = w_ij R_i / (N|y_i|)',
    uses: ['toprBaseline', 'toprConstant', 'toprRatio'],
    fixed: {},
    reference: topr,
    loss: toprLoss,
    choices: [
      ...COMMON_CHOICES,
      'μ = π_ref; the weight is a stop-gradient constant evaluated at the current ℓ.',
      'Positive = r_i = 1; default R = r − r̄ (group mean), option R = ±1 − c.',
      'Default ratio per token; option: the sequence geometric mean exp(D_i/|y_i|).',
      'Per-sequence mean, then mean over the N sequences. No KL term.',
    ],
  },
  dpo: {
    name: 'dpo',
    title: 'DPO, sigmoid loss',
    equation: 'J = (1/M) Σ_pairs log σ(β_DPO [(Σℓ_w − Σℓ^ref_w) − (Σℓ_l − Σℓ^ref_l)])',
    coefficient:
      'c = +β_DPO σ(−β_DPO m)/M on y_w, −β_DPO σ(−β_DPO m)/M on y_l (summed over the pairs a response is in)',
    uses: ['betaDPO', 'dpoSeed'],
    fixed: {},
    reference: dpo,
    loss: dpoLoss,
    choices: [
      ...COMMON_CHOICES,
      'Pairs within a group: each negative with a positive drawn without replacement from a seeded shuffle, ' +
        'cycling when positives run out (dpoPairs).',
      'Mean over the M pairs of the batch; a positive may be chosen in several pairs, ' +
        'a response is rejected in at most one (the GPU layout needs that).',
    ],
  },
  rft: {
    name: 'rft',
    title: 'Rejection-sampling fine-tuning (SFT on correct responses)',
    equation: 'J = (1/N₊) Σ_{i: r_i = 1} (1/|y_i|) Σ_j ℓ_ij',
    coefficient: 'c_ij = r_i / (N₊|y_i|)',
    uses: [],
    fixed: {},
    reference: rft,
    loss: rftLoss,
    choices: [...COMMON_CHOICES, 'N₊ is the number of positives in the batch; negatives get 0.'],
  },
};

export function isObjectiveName(name: string): name is ObjectiveName {
  return (OBJECTIVE_NAMES as readonly string[]).includes(name);
}

/** The hyper-parameters an objective runs with: defaults, then overrides, then its fixed values. */
export function resolveHyper(name: ObjectiveName, overrides: Partial<ObjectiveHyper> = {}): ObjectiveHyper {
  const spec = OBJECTIVES[name];
  if (spec === undefined) throw new Error(`Unknown objective "${name}" (known: ${OBJECTIVE_NAMES.join(', ')}).`);
  const hyper = { ...DEFAULT_HYPER, ...overrides, ...spec.fixed };
  if (!(hyper.beta >= -1 && hyper.beta <= 1)) throw new Error(`β must lie in [−1, 1] (Eq. 7), got ${hyper.beta}.`);
  if (!(hyper.tau >= 0)) throw new Error(`τ must be ≥ 0, got ${hyper.tau}.`);
  if (!(hyper.epsilon > 0 && hyper.epsilon < 1)) throw new Error(`ε must lie in (0, 1), got ${hyper.epsilon}.`);
  return hyper;
}
