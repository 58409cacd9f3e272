// The rollout dataset: a header line (what the token ids mean), then one line
// per sampled response. The same records feed annotation (steps, judges,
// consensus) and training. Reading validates every line; writing is atomic.
import { z } from 'zod';
import { DataError, type JsonlFormat, parseJsonLine, readJsonlText, schemaError } from './jsonl.ts';
import { RolloutSetCheck, type RolloutReadOptions } from './rollout-checks.ts';

export const ROLLOUT_FORMAT = 'gemstone-rollouts';
export const ROLLOUT_VERSION = 1;

export const rolloutHeaderSchema = z.object({
  format: z.literal(ROLLOUT_FORMAT),
  version: z.literal(ROLLOUT_VERSION),
  task: z.string(),
  /** For a task loaded from a module: the module's absolute path (the task is loaded from it again). */
  task_module: z.string().optional(),
  tokenizer: z.unknown(),
  vocab_size: z.number().int().positive(),
  context_length: z.number().int().positive(),
  /** How the responses were sampled. */
  sampling: z.object({
    temperature: z.number().positive(),
    top_k: z.number().int().nonnegative(),
    seed: z.number().int(),
    group_size: z.number().int().positive(),
  }),
  /** Which policy produced them (π_ref): checkpoint path and step. */
  policy: z.object({ checkpoint: z.string(), step: z.number().int().nonnegative() }),
});
export type RolloutHeader = z.infer<typeof rolloutHeaderSchema>;

const tokenId = z.number().int().nonnegative();
/** A log-probability: finite and ≤ 0 (float32 log-softmax may round a certain token a hair above 0). */
const logprob = z.number().max(1e-5, 'a log-probability must be ≤ 0');

export const rolloutSchema = z.object({
  /** The problem's id (task + seed): one group per prompt. */
  prompt_id: z.string(),
  prompt: z.string(),
  reference_answer: z.string(),
  /** Index of this response within its group, 0 … G−1. */
  index: z.number().int().nonnegative(),
  response: z.string(),
  prompt_tokens: z.array(tokenId).min(1),
  response_tokens: z.array(tokenId).min(1),
  /** log π_ref(y_j | x, y_<j) for each response token (the model at temperature 1). */
  logprobs_ref: z.array(logprob),
  /** log π_s(y_j | …) under the sampling policy (temperature, top-k) that produced it. */
  logprobs_sample: z.array(logprob),
  /** 1 when the verifier accepts the final answer. */
  reward: z.union([z.literal(0), z.literal(1)]),
  answer: z.string().nullable(),
});
export type Rollout = z.infer<typeof rolloutSchema>;

/** Checks what the schema alone cannot: ids within the vocabulary, lengths within the context, aligned arrays. */
export function checkRollout(
  r: Rollout,
  header: Pick<RolloutHeader, 'vocab_size' | 'context_length'>,
  source: string,
  line: number,
): void {
  for (const field of ['prompt_tokens', 'response_tokens'] as const) {
    const bad = r[field].findIndex((t) => t >= header.vocab_size);
    if (bad >= 0)
      throw new DataError(
        source,
        line,
        `${field}.${bad}`,
        `token id ${r[field][bad]} is outside the vocabulary of ${header.vocab_size}`,
      );
  }
  const total = r.prompt_tokens.length + r.response_tokens.length;
  if (total > header.context_length) {
    throw new DataError(
      source,
      line,
      'response_tokens',
      `prompt + response hold ${total} tokens, longer than the context of ${header.context_length}`,
    );
  }
  for (const field of ['logprobs_ref', 'logprobs_sample'] as const) {
    if (r[field].length !== r.response_tokens.length) {
      throw new DataError(
        source,
        line,
        field,
        `has ${r[field].length} values for ${r.response_tokens.length} response tokens`,
      );
    }
  }
}

/** Parses one line (1-based `line`) of a rollout file: the header when `header` is null, else a record. */
export function parseRolloutLine(
  text: string,
  source: string,
  line: number,
  header: RolloutHeader | null,
): RolloutHeader | Rollout {
  const value = parseJsonLine(text, source, line);
  if (header === null) {
    const parsed = rolloutHeaderSchema.safeParse(value);
    if (!parsed.success) throw schemaError(parsed.error, source, line, `the header line of a ${ROLLOUT_FORMAT} file: `);
    return parsed.data;
  }
  const parsed = rolloutSchema.safeParse(value);
  if (!parsed.success) throw schemaError(parsed.error, source, line);
  checkRollout(parsed.data, header, source, line);
  return parsed.data;
}

/** How rollout files are read: each line checked, then the records across the file (see RolloutSetCheck). */
export function rolloutFormat(source: string, options: RolloutReadOptions = {}): JsonlFormat<RolloutHeader, Rollout> {
  return {
    parseHeader: (text, line) => parseRolloutLine(text, source, line, null) as RolloutHeader,
    parseRecord: (text, line, header) => parseRolloutLine(text, source, line, header) as Rollout,
    check: (header, line) => new RolloutSetCheck(header, source, line, options),
  };
}

/** Reads a whole rollout file's text (the browser's way; Node streams files with readRolloutFile). */
export function parseRolloutText(
  text: string,
  source: string,
  options: RolloutReadOptions = {},
): { header: RolloutHeader; rollouts: Rollout[] } {
  const { header, records } = readJsonlText(text, source, rolloutFormat(source, options));
  return { header, rollouts: records };
}

/** Table 2 of the paper, for this dataset. */
export interface RolloutStats {
  prompts: number;
  responses: number;
  positives: number;
  negatives: number;
  /** Response tokens. */
  tokens: number;
  /** Response tokens in negatives. */
  negativeTokens: number;
}

export function rolloutStats(rollouts: Iterable<Rollout>): RolloutStats {
  const prompts = new Set<string>();
  const stats: RolloutStats = { prompts: 0, responses: 0, positives: 0, negatives: 0, tokens: 0, negativeTokens: 0 };
  for (const r of rollouts) {
    prompts.add(r.prompt_id);
    stats.responses += 1;
    stats.tokens += r.response_tokens.length;
    if (r.reward === 1) stats.positives += 1;
    else {
      stats.negatives += 1;
      stats.negativeTokens += r.response_tokens.length;
    }
  }
  stats.prompts = prompts.size;
  return stats;
}

/** Keeps only groups with both right and wrong responses (the paper drops all-right and all-wrong groups). */
export function keepMixedGroups(rollouts: Rollout[]): { kept: Rollout[]; droppedGroups: number } {
  const groups = new Map<string, Rollout[]>();
  for (const r of rollouts) {
    const group = groups.get(r.prompt_id) ?? [];
    group.push(r);
    groups.set(r.prompt_id, group);
  }
  const kept: Rollout[] = [];
  let droppedGroups = 0;
  for (const group of groups.values()) {
    const right = group.filter((r) => r.reward === 1).length;
    if (right === 0 || right === group.length) droppedGroups += 1;
    else kept.push(...group);
  }
  return { kept, droppedGroups };
}
