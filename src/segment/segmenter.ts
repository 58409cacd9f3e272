// Stage 1: cutting a response into steps. Steps are character spans that
// cover the response exactly once; tokens map to steps by their first character.
import type { StepSpan } from '../tasks/task.ts';

export type { StepSpan };

export interface Segmenter {
  readonly name: string;
  /** Contiguous spans [start, end) covering response exactly once, in order (none for an empty response). */
  segment(response: string): StepSpan[];
}

/** The step index of every token, from each token's first-character offset. Exact for any tokenizer. */
export function tokenSteps(tokenOffsets: readonly number[], steps: readonly StepSpan[]): Int32Array {
  const out = new Int32Array(tokenOffsets.length);
  let k = 0;
  for (let i = 0; i < tokenOffsets.length; i++) {
    while (k + 1 < steps.length && tokenOffsets[i] >= steps[k].end) k++;
    out[i] = k;
  }
  return out;
}
