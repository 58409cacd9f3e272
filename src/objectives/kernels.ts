// The objectives' per-token credit on the GPU (shaders/objectives.wgsl; twins and
// equations: ./reference.ts). The batch layout (spans, groups, rewards, β mask, DPO
// pairs) is uploaded once per batch; each step then runs five small dispatches from
// ℓ (the model's log-probs) and ℓ^ref to c, with no read-back. The per-response
// partial terms stay on the GPU until readObjectiveTerms (read rarely).
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from '../kernels/grid.ts';
import { OBJECTIVES, type ObjectiveName } from './index.ts';
import { groupCount, type DpoPair, type ObjectiveHyper, type ResponseSpan } from './reference.ts';

const WG = 64;
const NONE = 0xffffffff;
/** Floats per response in the scratch stats and in the terms (shaders/objectives.wgsl). */
const STATS = 8;
const TERMS = 8;

const MODE: Record<ObjectiveName, number> = { 'bcpg-nsa': 0, bcpg: 0, 'grpo-offline': 1, topr: 2, dpo: 3, rft: 4 };

/** What stays fixed while θ moves: which tokens belong to which response, groups, rewards, the β mask, DPO pairs. */
export interface ObjectiveLayout {
  /** Length of the flat token arrays (ℓ, ℓ^ref, c); tokens outside every span get c = 0. */
  nTokens: number;
  responses: ResponseSpan[];
  /** [nTokens], 1 on mined tokens of negatives (Eq. 7). */
  betaMask: ArrayLike<number>;
  /** DPO: the pairs, e.g. dpoPairs(responses, hyper.dpoSeed); a response may be rejected in at most one pair. */
  pairs?: DpoPair[];
}

export interface ObjectiveBuffers {
  /** [nTokens] (response index or NONE, β mask) u32 pairs. */
  tokenInfo: BufferView;
  /** [N] (offset, length, group, reward, DPO partner) u32. */
  responses: BufferView;
  /** Batch, group and response statistics, written by the kernels. */
  scratch: BufferView;
  /** [N × 8] f32 per-response partial terms, written; summed by readObjectiveTerms. */
  terms: BufferView;
  nTokens: number;
  nResponses: number;
  nGroups: number;
  hasPairs: boolean;
}

/** The layout as the two u32 arrays the shader reads. */
export function packObjectiveLayout(layout: ObjectiveLayout): {
  tokenInfo: Uint32Array;
  responses: Uint32Array;
  nGroups: number;
} {
  const { nTokens, responses, betaMask, pairs = [] } = layout;
  const nGroups = groupCount(responses);
  if (betaMask.length !== nTokens)
    throw new Error(`objective layout: betaMask has ${betaMask.length} values for ${nTokens} tokens.`);
  const tokenInfo = new Uint32Array(2 * nTokens);
  for (let t = 0; t < nTokens; t++) {
    tokenInfo[2 * t] = NONE;
    tokenInfo[2 * t + 1] = betaMask[t] !== 0 ? 1 : 0;
  }
  for (const [i, y] of responses.entries()) {
    if (y.offset + y.length > nTokens)
      throw new Error(
        `objective layout: response ${i} spans tokens [${y.offset}, ${y.offset + y.length}) of ${nTokens}.`,
      );
    for (let t = y.offset; t < y.offset + y.length; t++) {
      if (tokenInfo[2 * t] !== NONE)
        throw new Error(`objective layout: token ${t} lies in responses ${tokenInfo[2 * t]} and ${i}.`);
      tokenInfo[2 * t] = i;
    }
  }
  const packed = new Uint32Array(5 * responses.length);
  for (const [i, y] of responses.entries()) packed.set([y.offset, y.length, y.group, y.reward, NONE], 5 * i);
  for (const { chosen, rejected } of pairs) {
    if (
      !(chosen >= 0 && chosen < responses.length && rejected >= 0 && rejected < responses.length) ||
      chosen === rejected
    ) {
      throw new Error(
        `objective layout: DPO pair (${chosen}, ${rejected}) does not name two of the ${responses.length} responses.`,
      );
    }
    if (packed[5 * rejected + 4] !== NONE)
      throw new Error(
        `objective layout: response ${rejected} is rejected in two DPO pairs; the GPU layout allows one.`,
      );
    packed[5 * rejected + 4] = chosen;
  }
  return { tokenInfo, responses: packed, nGroups };
}

/** Uploads a batch's layout and allocates the statistics and terms. Destroy with destroyObjectiveBuffers. */
export function createObjectiveBuffers(context: GpuContext, layout: ObjectiveLayout): ObjectiveBuffers {
  const packed = packObjectiveLayout(layout);
  const N = layout.responses.length;
  return {
    tokenInfo: context.tensor('objective.tokenInfo', packed.tokenInfo),
    responses: context.tensor('objective.responses', packed.responses),
    scratch: context.tensor('objective.scratch', 4 + 4 * packed.nGroups + STATS * N),
    terms: context.tensor('objective.terms', Math.max(1, TERMS * N)),
    nTokens: layout.nTokens,
    nResponses: N,
    nGroups: packed.nGroups,
    hasPairs: layout.pairs !== undefined,
  };
}

/**
 * Buffers for a new batch's layout, reusing `previous` when each of its buffers is large enough
 * (the trainer keeps one set across steps instead of four allocations a step); otherwise previous
 * is destroyed and a new set made. Statistics and terms start from zero either way.
 */
export function reuseObjectiveBuffers(
  context: GpuContext,
  previous: ObjectiveBuffers | null,
  layout: ObjectiveLayout,
): ObjectiveBuffers {
  if (previous === null) return createObjectiveBuffers(context, layout);
  const packed = packObjectiveLayout(layout);
  const N = layout.responses.length;
  const fits =
    previous.tokenInfo.size >= packed.tokenInfo.byteLength &&
    previous.responses.size >= packed.responses.byteLength &&
    previous.scratch.size >= (4 + 4 * packed.nGroups + STATS * N) * 4 &&
    previous.terms.size >= Math.max(1, TERMS * N) * 4;
  if (!fits) {
    context.flush(); // submitted work keeps what it uses
    destroyObjectiveBuffers(context, previous);
    return createObjectiveBuffers(context, layout);
  }
  // Uploads land after the work already recorded (context.upload flushes first).
  context.upload(previous.tokenInfo, packed.tokenInfo);
  context.upload(previous.responses, packed.responses);
  context.upload(previous.scratch, new Float32Array(previous.scratch.size / 4));
  context.upload(previous.terms, new Float32Array(previous.terms.size / 4));
  return {
    ...previous,
    nTokens: layout.nTokens,
    nResponses: N,
    nGroups: packed.nGroups,
    hasPairs: layout.pairs !== undefined,
  };
}

export function destroyObjectiveBuffers(context: GpuContext, buffers: ObjectiveBuffers): void {
  for (const view of [buffers.tokenInfo, buffers.responses, buffers.scratch, buffers.terms])
    context.destroyBuffer(view.buffer);
}

export interface ObjectiveArgs {
  objective: ObjectiveName;
  /** e.g. resolveHyper(objective, overrides); the objective's fixed values (BCPG: β = 1) are applied again here. */
  hyper: ObjectiveHyper;
  buffers: ObjectiveBuffers;
  /** [nTokens] f32 ℓ = log πθ. */
  logprobs: BufferView;
  /** [nTokens] f32 ℓ^ref = log π_ref. */
  refLogprobs: BufferView;
  /** [nTokens] f32, written: c_ij = ∂J/∂ℓ_ij, exactly the model's `coefficients` input (loss −Σ c ℓ). */
  coefficients: BufferView;
}

/** The uniform of shaders/objectives.wgsl (struct Hyper, 16 words). */
function hyperUniform(objective: ObjectiveName, hyper: ObjectiveHyper, buffers: ObjectiveBuffers): ArrayBuffer {
  const bytes = new ArrayBuffer(64);
  new Uint32Array(bytes, 0, 4).set([MODE[objective], buffers.nTokens, buffers.nResponses, buffers.nGroups]);
  new Float32Array(bytes, 16, 6).set([
    hyper.beta,
    hyper.tau,
    hyper.epsilon,
    hyper.betaKL,
    hyper.betaDPO,
    hyper.toprConstant,
  ]);
  new Uint32Array(bytes, 40, 3).set([
    hyper.toprBaseline === 'constant' ? 1 : 0,
    hyper.toprRatio === 'sequence' ? 1 : 0,
    hyper.lossType === 'dapo' ? 1 : 0,
  ]);
  return bytes;
}

/** Records the five dispatches that write c (and the per-response terms) for one step. Nothing is read back. */
export async function objectiveCoefficients(context: GpuContext, args: ObjectiveArgs): Promise<void> {
  const { objective, buffers, logprobs, refLogprobs, coefficients } = args;
  const spec = OBJECTIVES[objective];
  if (spec === undefined) throw new Error(`objectiveCoefficients: unknown objective "${objective}".`);
  if (objective === 'dpo' && !buffers.hasPairs)
    throw new Error(
      'objectiveCoefficients: DPO needs pairs in the layout (pairs: dpoPairs(responses, hyper.dpoSeed)).',
    );
  const hyper = { ...args.hyper, ...spec.fixed };
  const n = buffers.nTokens;
  for (const [name, view] of Object.entries({ logprobs, refLogprobs, coefficients })) {
    if (view.size < n * 4)
      throw new Error(`objectiveCoefficients: ${name} holds ${Math.floor(view.size / 4)} values, needs ${n}.`);
  }
  const uniform = hyperUniform(objective, hyper, buffers);
  const all = {
    logprobs,
    refLogprobs,
    tokenInfo: buffers.tokenInfo,
    responses: buffers.responses,
    scratch: buffers.scratch,
    terms: buffers.terms,
    coefficients,
  };
  const max = context.device.limits.maxComputeWorkgroupsPerDimension;
  const over = (items: number) => grid1d(Math.ceil(items / WG), max);
  const run = (entryPoint: string, workgroups: [number, number]) =>
    context.run({ kernel: { shader: 'objectives', entryPoint }, buffers: all, uniform, workgroups });
  await run('group_stats', over(buffers.nGroups));
  await run('batch_stats', [1, 1]);
  await run('response_stats', over(buffers.nResponses));
  await run('response_terms', over(buffers.nResponses));
  await run('token_credit', over(n));
}

/** Reads the per-response terms and sums them in float64 into the twin's named terms. */
export async function readObjectiveTerms(
  context: GpuContext,
  objective: ObjectiveName,
  buffers: ObjectiveBuffers,
): Promise<Record<string, number>> {
  const terms = await context.read(buffers.terms);
  return summariseObjectiveTerms(objective, terms, buffers.nResponses);
}

/**
 * Per-response slots (shaders/objectives.wgsl): J_i, policy-gradient_i, constraint_i, D_i,
 * negative tokens, mined negative tokens, extra₁, extra₂.
 */
export function summariseObjectiveTerms(
  objective: ObjectiveName,
  terms: ArrayLike<number>,
  nResponses: number,
): Record<string, number> {
  let J = 0;
  let policyGradient = 0;
  let constraint = 0;
  let sumAbsD = 0;
  let maxAbsD = 0;
  let negative = 0;
  let mined = 0;
  let extra1 = 0;
  let extra2 = 0;
  let positiveTerm = 0;
  let negativeTerm = 0;
  for (let i = 0; i < nResponses; i++) {
    const at = TERMS * i;
    J += terms[at];
    policyGradient += terms[at + 1];
    constraint += terms[at + 2];
    sumAbsD += Math.abs(terms[at + 3]);
    maxAbsD = Math.max(maxAbsD, Math.abs(terms[at + 3]));
    negative += terms[at + 4];
    mined += terms[at + 5];
    extra1 += terms[at + 6];
    extra2 += terms[at + 7];
    if (terms[at + 4] > 0) negativeTerm += terms[at];
    else positiveTerm += terms[at];
  }
  const common = {
    objective: J,
    policyGradient,
    constraint,
    meanAbsD: nResponses > 0 ? sumAbsD / nResponses : 0,
    maxAbsD,
    betaShare: negative > 0 ? mined / negative : 0,
  };
  switch (objective) {
    case 'grpo-offline':
      return { ...common, clipFraction: extra2 > 0 ? extra1 / extra2 : 0 };
    case 'topr':
      return { ...common, positiveTerm, negativeTerm, meanNegativeWeight: negative > 0 ? extra1 / negative : 0 };
    case 'dpo':
      return { ...common, loss: -J, pairs: extra1, meanMargin: extra1 > 0 ? extra2 / extra1 : 0 };
    default:
      return common;
  }
}
