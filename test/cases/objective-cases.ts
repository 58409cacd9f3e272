// The objectives on the GPU (shaders/objectives.wgsl) against their float64 twins
// (src/objectives/reference.ts), on random batches: several groups of uneven sizes and
// lengths, a group of one, all-right and all-wrong groups, random β masks, prompt and
// padding tokens between responses, more groups and responses than one workgroup.
//
// Tolerance: coefficients |gpu − twin| ≤ 2e-6·max|c| + 2e-5·|c|; summed terms ≤ 1e-7 + 2e-5·|term|
// (the pair count exactly). Measured on llvmpipe and SwiftShader: worst coefficient error
// ≤ 0.21 × (1e-6·max|c| + 1e-5·|c|) (GRPO), worst term error 4e-7 on |D| ≈ 4.
// The GPU works in f32 (sums of up to ~60 log-ratios per response, exp and σ in f32), the
// twin in float64 from the same f32 inputs. GRPO inputs keep every ratio ≥ 1e-3 away from
// 1 ± ε, where the clip decision (c jumps between ρA/n and 0) could round either way.
import type { GpuContext } from '../../src/gpu/context.ts';
import { DEFAULT_HYPER, OBJECTIVES, type ObjectiveHyper, type ObjectiveName } from '../../src/objectives/index.ts';
import {
  createObjectiveBuffers,
  destroyObjectiveBuffers,
  objectiveCoefficients,
  readObjectiveTerms,
  reuseObjectiveBuffers,
  type ObjectiveBuffers,
} from '../../src/objectives/kernels.ts';
import { dpoPairs, type ObjectiveBatch, type ResponseSpan } from '../../src/objectives/reference.ts';
import { assertClose } from '../../src/util/compare.ts';
import { Random } from '../../src/util/random.ts';
import type { KernelCase } from './kernel-cases.ts';

export interface RandomBatchOptions {
  /** Responses per group. */
  groups: number[];
  /** Per group: 'mixed' rewards, or every response right or wrong. Default mixed. */
  kinds?: ('mixed' | 'all-right' | 'all-wrong')[];
  maxLength: number;
  /** |ℓ − ℓ^ref| ≤ spread per token. */
  spread?: number;
  /** Keep every exp(ℓ − ℓ^ref) at least this far from 1 ± epsilon (GRPO clip edges). */
  clipMargin?: { epsilon: number; margin: number };
  /** Round ℓ and ℓ^ref to f32 (what the GPU sees). */
  f32?: boolean;
}

/** A random batch: responses in shuffled order, 0–3 prompt/padding tokens before each. */
export function randomObjectiveBatch(random: Random, options: RandomBatchOptions): ObjectiveBatch {
  const { groups, kinds = [], maxLength, spread = 0.5, clipMargin, f32 = false } = options;
  const spans: Omit<ResponseSpan, 'offset'>[] = [];
  groups.forEach((size, g) => {
    const kind = kinds[g] ?? 'mixed';
    for (let k = 0; k < size; k++) {
      const reward = kind === 'all-right' ? 1 : kind === 'all-wrong' ? 0 : random.next() < 0.5 ? 1 : 0;
      spans.push({ group: g, reward, length: 1 + Math.floor(random.next() * maxLength) });
    }
  });
  for (let k = spans.length - 1; k > 0; k--) {
    const j = Math.floor(random.next() * (k + 1));
    [spans[k], spans[j]] = [spans[j], spans[k]];
  }
  const responses: ResponseSpan[] = [];
  let offset = 0;
  for (const span of spans) {
    offset += Math.floor(random.next() * 4); // prompt or padding tokens
    responses.push({ ...span, offset });
    offset += span.length;
  }
  const n = offset + Math.floor(random.next() * 3);
  const round = (x: number) => (f32 ? Math.fround(x) : x);
  const logprobs = new Float64Array(n);
  const refLogprobs = new Float64Array(n);
  const betaMask = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    logprobs[t] = round(random.uniform(-3, -0.05));
    refLogprobs[t] = round(logprobs[t] + random.uniform(-spread, spread));
    betaMask[t] = random.next() < 0.4 ? 1 : 0;
    if (clipMargin !== undefined) {
      const edges = [1 - clipMargin.epsilon, 1 + clipMargin.epsilon];
      while (edges.some((e) => Math.abs(Math.exp(logprobs[t] - refLogprobs[t]) - e) < clipMargin.margin))
        refLogprobs[t] = round(refLogprobs[t] + 0.01);
    }
  }
  return { responses, logprobs, refLogprobs, betaMask };
}

const TERM_TOLERANCE = { atol: 1e-7, rtol: 2e-5 };

interface Variant {
  objective: ObjectiveName;
  label: string;
  hyper: Partial<ObjectiveHyper>;
}

const VARIANTS: Variant[] = [
  { objective: 'bcpg-nsa', label: 'β 0.5, τ 1e-3', hyper: {} },
  { objective: 'bcpg-nsa', label: 'β −0.5, τ 0.05', hyper: { beta: -0.5, tau: 0.05 } },
  { objective: 'bcpg', label: 'τ 0.05', hyper: { tau: 0.05 } },
  { objective: 'grpo-offline', label: 'loss_type grpo', hyper: {} },
  { objective: 'grpo-offline', label: 'loss_type dapo, β_KL 0.3', hyper: { lossType: 'dapo', betaKL: 0.3 } },
  { objective: 'topr', label: 'group mean, token ratio', hyper: {} },
  {
    objective: 'topr',
    label: 'constant 0.2, sequence ratio',
    hyper: { toprBaseline: 'constant', toprConstant: 0.2, toprRatio: 'sequence' },
  },
  { objective: 'dpo', label: 'β_DPO 0.5', hyper: {} },
  { objective: 'dpo', label: 'β_DPO 2, seed 7', hyper: { betaDPO: 2, dpoSeed: 7 } },
  { objective: 'rft', label: '', hyper: {} },
];

const BATCHES: { label: string; options: RandomBatchOptions }[] = [
  {
    label: 'mixed groups with a G = 1, all-right and all-wrong group',
    options: {
      groups: [4, 3, 1, 5, 4, 2],
      kinds: ['mixed', 'mixed', 'mixed', 'all-right', 'all-wrong', 'mixed'],
      maxLength: 23,
    },
  },
  { label: 'one response', options: { groups: [1], maxLength: 7 } },
  { label: 'all wrong', options: { groups: [3, 2], kinds: ['all-wrong', 'all-wrong'], maxLength: 9 } },
  {
    label: '70 groups, 1–6 responses, lengths to 60',
    options: { groups: Array.from({ length: 70 }, (_, g) => 1 + ((g * 7) % 6)), maxLength: 60, spread: 0.3 },
  },
];

async function checkObjective(
  context: GpuContext,
  variant: Variant,
  batch: ObjectiveBatch,
  what: string,
  previous: ObjectiveBuffers | null,
): Promise<ObjectiveBuffers> {
  const hyper = { ...DEFAULT_HYPER, ...variant.hyper, ...OBJECTIVES[variant.objective].fixed };
  const pairs = variant.objective === 'dpo' ? dpoPairs(batch.responses, hyper.dpoSeed) : undefined;
  const expected = OBJECTIVES[variant.objective].reference({ ...batch, pairs }, hyper);
  const n = batch.logprobs.length;
  // The buffers of the previous batch are reused when they fit (larger and smaller batches alternate below).
  const layout = { nTokens: n, responses: batch.responses, betaMask: batch.betaMask, pairs };
  const buffers =
    previous === null ? createObjectiveBuffers(context, layout) : reuseObjectiveBuffers(context, previous, layout);
  const views = {
    logprobs: context.tensor('test.logprobs', Float32Array.from(batch.logprobs)),
    refLogprobs: context.tensor('test.refLogprobs', Float32Array.from(batch.refLogprobs)),
    // Padding must be overwritten with 0.
    coefficients: context.tensor('test.coefficients', new Float32Array(n).fill(7)),
  };
  try {
    await objectiveCoefficients(context, { objective: variant.objective, hyper, buffers, ...views });
    const got = await context.read(views.coefficients);
    const scale = expected.coefficients.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assertClose(`${what}: c`, got, expected.coefficients, { atol: 2e-6 * scale + 1e-12, rtol: 2e-5 });
    const terms = await readObjectiveTerms(context, variant.objective, buffers);
    for (const [name, value] of Object.entries(expected.terms)) {
      if (!(name in terms)) throw new Error(`${what}: the GPU reports no term "${name}"`);
      assertClose(
        `${what}: term ${name}`,
        [terms[name]],
        [value],
        name === 'pairs' ? { atol: 0, rtol: 0 } : TERM_TOLERANCE,
      );
    }
    return buffers;
  } catch (error) {
    destroyObjectiveBuffers(context, buffers);
    throw error;
  } finally {
    for (const v of Object.values(views)) context.destroyBuffer(v.buffer);
  }
}

export const objectiveCases: KernelCase[] = [...new Set(VARIANTS.map((v) => v.objective))].map((objective) => ({
  name: `objective ${objective}: GPU coefficients and terms match the twin`,
  async run(context: GpuContext) {
    let seed = 300;
    let buffers: ObjectiveBuffers | null = null;
    for (const variant of VARIANTS.filter((v) => v.objective === objective)) {
      const clipMargin =
        objective === 'grpo-offline'
          ? { epsilon: variant.hyper.epsilon ?? DEFAULT_HYPER.epsilon, margin: 1e-3 }
          : undefined;
      for (const { label, options } of BATCHES) {
        const batch = randomObjectiveBatch(new Random(seed++), { ...options, f32: true, clipMargin });
        buffers = await checkObjective(context, variant, batch, `${objective} (${variant.label}) on ${label}`, buffers);
      }
    }
    if (buffers !== null) destroyObjectiveBuffers(context, buffers);
  },
}));
