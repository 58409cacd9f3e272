// Moving runs in and out of the page: checkpoints in browser storage and as
// safetensors files (the CLI's gemstone-checkpoint format), and a CLI run
// folder's annotated.jsonl read back into the credit view (and trainable).
import { decodeCheckpoint } from '../../../src/checkpoint/checkpoint.ts';
import { parseAnnotatedText } from '../../../src/data/annotated.ts';
import { rolloutStats } from '../../../src/data/rollouts.ts';
import { agreementFromAnnotated } from '../../../src/judge/annotate.ts';
import type { IterationRecord } from '../pipeline/run-record.ts';

/** The name checkpoints are saved under in browser storage (one slot: the latest save). */
export const STORAGE_NAME = 'gemstone-demo-policy.safetensors';

/** One line that says what a checkpoint is, after checking it decodes. */
export function describeCheckpoint(bytes: Uint8Array, source: string): string {
  const state = decodeCheckpoint(bytes, source);
  const extra = (state.extra ?? {}) as { kind?: string; objective?: string; difficulty?: number; tokenizer?: unknown };
  if (extra.tokenizer === undefined)
    throw new Error(
      `${source}: no tokenizer inside; use a checkpoint written by the demo or by \`gemstone sft --task\` / ` +
        `\`gemstone train\`.`,
    );
  const { width, layers, contextLength } = state.config;
  return (
    `${source}: ${extra.objective ?? extra.kind ?? 'policy'}, step ${state.step}, ${layers} layers × ${width} ` +
    `wide, context ${contextLength}${extra.difficulty !== undefined ? `, difficulty ${extra.difficulty}` : ''}`
  );
}

/** An annotated JSONL (from `gemstone annotate` or `gemstone pipeline`) as the credit view's data. */
export function importAnnotated(
  text: string,
  source: string,
): { data: IterationRecord; tokenizer: unknown; contextLength: number } {
  // Every check the CLI makes (byte-order mark, duplicates, group sizes, rewards, tokens) runs here too.
  const { header, records } = parseAnnotatedText(text, source);
  const hasOracle = records.every((r) => r.judges.some((j) => j.name === 'oracle'));
  const stats = rolloutStats(records);
  const data: IterationRecord = {
    iteration: 0,
    source,
    dataset: { ...stats, droppedGroups: 0, sampledAccuracy: stats.positives / Math.max(1, stats.responses) },
    annotation: {
      voters: header.annotation.voters,
      consensus: header.annotation.consensus,
      simulated: header.annotation.simulated,
    },
    agreement: hasOracle
      ? agreementFromAnnotated(records, 'oracle', {
          consensus: header.annotation.voters.length > 1 ? [header.annotation.consensus] : [],
          voters: header.annotation.voters,
        })
      : null,
    records,
    policyLogprobs: records.map(() => null),
    policyLabel: null,
  };
  return { data, tokenizer: header.tokenizer, contextLength: header.context_length };
}
