// The credit view's numbers: c_ij of every token of one prompt's group, from
// the objective twins in src/objectives/reference.ts (float64, CPU) and the
// log-probs stored with the run — so moving β recomputes every colour at once
// without the GPU. The group is the batch (P = 1): r̄ and G are the group's,
// as in training, where a batch holds whole groups (c is then also divided
// by the batch's P; that common factor does not change the picture).
import { OBJECTIVES, resolveHyper, type ObjectiveName } from '../../../src/objectives/index.ts';
import type { ObjectiveBatch, ResponseSpan } from '../../../src/objectives/reference.ts';

/** What the credit of one response needs. */
export interface CreditResponse {
  reward: 0 | 1;
  /** 1 where the token lies in a consensus-correct step of a negative (the β mask). */
  betaMask: readonly number[];
  /** log π_ref of each response token. */
  refLogprobs: readonly number[];
  /** log πθ of each response token under the policy being trained; null before training (then πθ = π_ref, D = 0). */
  logprobs: readonly number[] | null;
}

/** c_ij of every response of a group under `objective` with β and τ; one array per response, one value per token. */
export function groupCredit(
  group: readonly CreditResponse[],
  objective: ObjectiveName,
  beta: number,
  tau: number,
): Float64Array[] {
  const responses: ResponseSpan[] = [];
  let offset = 0;
  for (const r of group) {
    responses.push({ group: 0, reward: r.reward, offset, length: r.refLogprobs.length });
    offset += r.refLogprobs.length;
  }
  const logprobs = new Float64Array(offset);
  const refLogprobs = new Float64Array(offset);
  const betaMask = new Float64Array(offset);
  group.forEach((r, i) => {
    const at = responses[i].offset;
    refLogprobs.set(r.refLogprobs, at);
    logprobs.set(r.logprobs ?? r.refLogprobs, at);
    betaMask.set(r.betaMask, at);
  });
  const batch: ObjectiveBatch = { responses: responses.filter((y) => y.length > 0), logprobs, refLogprobs, betaMask };
  const { coefficients } = OBJECTIVES[objective].reference(batch, resolveHyper(objective, { beta, tau }));
  return responses.map((y) => coefficients.slice(y.offset, y.offset + y.length));
}

/** The largest |c| over several arrays: one colour scale for panels that are compared side by side. */
export function creditScale(...arrays: readonly Float64Array[][]): number {
  let max = 0;
  for (const list of arrays) for (const a of list) for (const v of a) max = Math.max(max, Math.abs(v));
  return max;
}
