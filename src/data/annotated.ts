// The annotated dataset: each rollout with its steps, every judge's verdicts,
// the consensus labels and the per-token β mask — what the offline RL trainer
// reads, and what a large-scale trainer can import. A header line says which
// judges voted and how; the oracle's verdicts, when present, measure them.
import { z } from 'zod';
import { annotatedRolloutSchema } from '../judge/annotate.ts';
import { CONSENSUS_MODES, type ConsensusMode } from '../judge/consensus.ts';
import { DataError } from './jsonl.ts';
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

function firstIssue(error: z.ZodError, source: string, line: number, what: string): DataError {
  const issue = error.issues[0];
  return new DataError(source, line, issue.path.length > 0 ? issue.path.join('.') : null, `${what}${issue.message}`);
}

export function parseAnnotatedHeader(text: string, source: string, line: number): AnnotatedHeader {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(source, line, null, `not valid JSON (${(error as Error).message})`);
  }
  const parsed = annotatedHeaderSchema.safeParse(value);
  if (!parsed.success) throw firstIssue(parsed.error, source, line, `the header line of a ${ANNOTATED_FORMAT} file: `);
  return parsed.data;
}

export function parseAnnotatedRecord(
  text: string,
  source: string,
  line: number,
  header: AnnotatedHeader,
): AnnotatedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(source, line, null, `not valid JSON (${(error as Error).message})`);
  }
  const rollout = rolloutSchema.safeParse(value);
  if (!rollout.success) throw firstIssue(rollout.error, source, line, '');
  checkRollout(rollout.data, header, source, line);
  const annotation = annotatedRolloutSchema.safeParse(value);
  if (!annotation.success) throw firstIssue(annotation.error, source, line, '');
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
