// log πθ of stored responses under the policy being trained: one forward per
// batch of rows and one read-back per batch, for the credit view (c_ij needs
// ℓ_ij to form D_i). Run after an epoch, not inside the training loop.
import type { Gpt2 } from '../../../src/model/gpt2.ts';

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
    chunk.forEach((s, b) => {
      const sequence = [...s.promptTokens, ...s.responseTokens];
      for (let t = 0; t + 1 < sequence.length && t < T; t++) {
        tokens[b * T + t] = sequence[t];
        targets[b * T + t] = sequence[t + 1];
      }
    });
    await model.forward({ tokens, targets, coefficients: new Float32Array(B * T), B, T });
    const logprobs = await model.context.read(model.logprobsView());
    chunk.forEach((s, b) => {
      // Response token j is the target at position |prompt| − 1 + j.
      const offset = b * T + s.promptTokens.length - 1;
      out.push(Array.from(logprobs.subarray(offset, offset + s.responseTokens.length)));
    });
  }
  return out;
}
