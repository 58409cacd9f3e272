// The annotated dataset: each rollout with its steps, every judge's verdicts,
// the consensus labels and the per-token β mask — what the offline RL trainer
// reads, and what a large-scale trainer can import. A header line says which
// judges voted and how; the oracle's verdicts, when present, measure them.
import { z } from 'zod';
import { annotatedRolloutSchema } from '../judge/annotate.ts';
import { CONSENSUS_MODES, type ConsensusMode } from '../judge/consensus.ts';
import { DataError, type JsonlFormat, parseJsonLine, readJsonlText, schemaError } from './jsonl.ts';
import { RolloutSetCheck, type RolloutReadOptions } from './rollout-checks.ts';
import { checkRollout, rolloutHeaderSchema, rolloutSchema, type RolloutHeader } from './rollouts.ts';

export const ANNOTATED_FORMAT = 'gemstone-annotated';
export const ANNOTATED_VERSION = 1;

export const annotatedHeaderSchema = rolloutHeaderSchema.extend({
  format: z.literal(ANNOTATED_FORMAT),
  version: z.literal(ANNOTATED_VERSION),
  annotation: z.object({
    /** The judges whose labels the consensus combines. */
    voters: z.array(z.string()).min(1),
    consensus: z.enum(CONSENSUS_MODES as [ConsensusMode, ...ConsensusMode[]]),
    segmenter: z.string(),
    /** True when every record also carries the task oracle's verdicts (for measurement only). */
    oracle: z.boolean(),
    /** Judges that are stand-ins (e.g. the simulated LLM server). */
    simulated: z.array(z.string()),
  }),
});
export type AnnotatedHeader = z.infer<typeof annotatedHeaderSchema>;

export type AnnotatedRecord = z.infer<typeof rolloutSchema> & z.infer<typeof annotatedRolloutSchema>;

export function annotatedHeaderFrom(
  rollouts: RolloutHeader,
  annotation: AnnotatedHeader['annotation'],
): AnnotatedHeader {
  return { ...rollouts, format: ANNOTATED_FORMAT, version: ANNOTATED_VERSION, annotation };
}

export function parseAnnotatedHeader(text: string, source: string, line: number): AnnotatedHeader {
  const parsed = annotatedHeaderSchema.safeParse(parseJsonLine(text, source, line));
  if (!parsed.success) throw schemaError(parsed.error, source, line, `the header line of a ${ANNOTATED_FORMAT} file: `);
  return parsed.data;
}

export function parseAnnotatedRecord(
  text: string,
  source: string,
  line: number,
  header: AnnotatedHeader,
): AnnotatedRecord {
  const value = parseJsonLine(text, source, line);
  const rollout = rolloutSchema.safeParse(value);
  if (!rollout.success) throw schemaError(rollout.error, source, line);
  checkRollout(rollout.data, header, source, line);
  const annotation = annotatedRolloutSchema.safeParse(value);
  if (!annotation.success) throw schemaError(annotation.error, source, line);
  if (annotation.data.beta_mask.length !== rollout.data.response_tokens.length) {
    throw new DataError(
      source,
      line,
      'beta_mask',
      `has ${annotation.data.beta_mask.length} values for ${rollout.data.response_tokens.length} response tokens`,
    );
  }
  return { ...rollout.data, ...annotation.data };
}

/** How annotated files are read: each line checked, then the records across the file as for rollouts. */
export function annotatedFormat(
  source: string,
  options: RolloutReadOptions = {},
): JsonlFormat<AnnotatedHeader, AnnotatedRecord> {
  return {
    parseHeader: (text, line) => parseAnnotatedHeader(text, source, line),
    parseRecord: (text, line, header) => parseAnnotatedRecord(text, source, line, header),
    check: (header, line) => new RolloutSetCheck(header, source, line, options),
  };
}

/** Reads a whole annotated file's text (the browser's way; Node streams files with readAnnotatedFile). */
export function parseAnnotatedText(
  text: string,
  source: string,
  options: RolloutReadOptions = {},
): { header: AnnotatedHeader; records: AnnotatedRecord[] } {
  return readJsonlText(text, source, annotatedFormat(source, options));
}
