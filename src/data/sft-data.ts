// Supervised fine-tuning data: {prompt, completion} records turned into
// fixed-length token rows with a loss mask on completion tokens only.
import { z } from 'zod';
import { DataError, parseJsonl, withoutByteOrderMark } from './jsonl.ts';
import type { CharTokenizer } from './tokenizer.ts';

export const promptCompletionSchema = z.object({
  prompt: z.string(),
  completion: z.string().min(1, 'must not be empty'),
});
export type PromptCompletion = z.infer<typeof promptCompletionSchema>;

/**
 * Reads and checks SFT data: every line a {prompt, completion}, at least one record. A record
 * may repeat (the bundled examples do: repeating is how a small set weights an example).
 */
export function readPromptCompletions(text: string, source: string): PromptCompletion[] {
  const records = parseJsonl(text, source, promptCompletionSchema);
  if (records.length === 0) {
    const lines = withoutByteOrderMark(text).split('\n').length;
    throw new DataError(source, Math.max(lines - 1, 1), null, 'no records: expected {"prompt", "completion"} lines');
  }
  return records;
}

/** One training row: T input tokens, T targets, and which targets count. */
export interface SftRow {
  tokens: Uint32Array;
  targets: Uint32Array;
  /** The loss weight of each target: 1 for counted targets, 0 for the rest; fractions for soft labels (the PRM's). */
  mask: Float32Array | Uint8Array;
}

/** prompt + completion + eos, cut to T + 1 tokens, padded; the loss counts completion targets (and eos). */
export function toSftRow(record: PromptCompletion, tokenizer: CharTokenizer, T: number): SftRow {
  const prompt = tokenizer.encode(record.prompt);
  const completion = [...tokenizer.encode(record.completion), tokenizer.eos];
  const sequence = [...prompt, ...completion].slice(0, T + 1);
  const tokens = new Uint32Array(T).fill(tokenizer.pad);
  const targets = new Uint32Array(T).fill(tokenizer.pad);
  const mask = new Uint8Array(T);
  for (let t = 0; t + 1 < sequence.length; t++) {
    tokens[t] = sequence[t];
    targets[t] = sequence[t + 1];
    mask[t] = t + 1 >= prompt.length ? 1 : 0;
  }
  return { tokens, targets, mask };
}
