// log πθ of stored responses under the policy being trained: one forward per
// batch of rows and one read-back per batch, for the credit view (c_ij needs
// ℓ_ij to form D_i). Run after an epoch, not inside the training loop.
import type { Gpt2 } from '../../../src/model/gpt2.ts';
import { packResponse } from '../../../src/train/offline-rl.ts';

export interface ScoredSequence {
  promptTokens: readonly number[];
  responseTokens: readonly number[];
}

export async function responseLogprobs(
  model: Gpt2,
  sequences: readonly ScoredSequence[],
  rows = 16,
  tick: () => Promise<void> = async () => {},
): Promise<number[][]> {
  const T = model.config.contextLength;
  const out: number[][] = [];
  for (let start = 0; start < sequences.length; start += rows) {
    await tick();
    const chunk = sequences.slice(start, start + rows);
    const B = rows; // a fixed shape keeps the activation arena from being rebuilt per chunk
    const tokens = new Uint32Array(B * T);
    const targets = new Uint32Array(B * T);
    const offsets = chunk.map((s, b) => packResponse(tokens, targets, b, T, s.promptTokens, s.responseTokens));
    await model.forward({ tokens, targets, coefficients: new Float32Array(B * T), B, T });
    const logprobs = await model.context.read(model.logprobsView());
    chunk.forEach((s, b) => out.push(Array.from(logprobs.subarray(offsets[b], offsets[b] + s.responseTokens.length))));
  }
  return out;
}
