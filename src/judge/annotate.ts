// Annotation of one rollout (docs/algorithms.md §2–4): cut the response into
// steps, label each step with every judge, combine the labels by consensus,
// and mark the tokens BCPG-NSA weights by β.
//
// β mask (Eq. 7): beta_mask[j] = 1 when response token j lies in a
// consensus-correct step of a NEGATIVE response (reward 0), else 0; every
// token of a positive response is 0 (it keeps weight 1). Tokens map to steps
// by their first character (segmenter.ts, tokenSteps). Response tokens past
// the end of the text (the end-of-sequence token the sampler appends) belong
// to the last step; with no step at all (an empty response) they are 0.
//
// Judges run concurrently; a judge that throws, or returns the wrong number
// of verdicts, abstains on every step with the reason (never a crash, never a
// silent "correct").
import { z } from 'zod';
import type { Rollout } from '../data/rollouts.ts';
import type { Tokenizer } from '../data/tokenizer.ts';
import { checkPartition } from '../segment/merge.ts';
import { tokenSteps, type Segmenter } from '../segment/segmenter.ts';
import type { Problem } from '../tasks/task.ts';
import { agreementReport, type AgreementOptions, type AgreementReport } from './agreement.ts';
import { consensus, CONSENSUS_MODES, type ConsensusMode } from './consensus.ts';
import type { Judge, StepVerdict } from './judge.ts';

const label01 = z.union([z.literal(0), z.literal(1)]);
const count = z.number().int().nonnegative();

export const stepVerdictSchema = z.object({
  label: z.union([z.literal(0), z.literal(1), z.null()]),
  score: z.number().optional(),
  reason: z.string().optional(),
});

export const annotatedStepSchema = z.object({
  /** Characters [start, end) of the response. */
  start: count,
  end: count,
  /**
   * Response tokens [token_start, token_end): those whose first character lies in the step (the last step also
   * holds tokens past the text); empty when none does.
   */
  token_start: count,
  token_end: count,
});

export const annotatedRolloutSchema = z
  .object({
    prompt_id: z.string(),
    index: count,
    prompt: z.string(),
    response: z.string(),
    reward: label01,
    /** The segmenter's name. */
    segmenter: z.string(),
    steps: z.array(annotatedStepSchema),
    /** Each judge's verdicts, one per step, in the order the judges were given. */
    judges: z.array(z.object({ name: z.string(), simulated: z.boolean(), verdicts: z.array(stepVerdictSchema) })),
    consensus: z.object({
      mode: z.enum(CONSENSUS_MODES as [ConsensusMode, ...ConsensusMode[]]),
      labels: z.array(label01),
      /** Judges that abstained, per step. */
      abstained: z.array(count),
    }),
    /** One per response token: 1 where the token gets weight β (a consensus-correct step of a negative). */
    beta_mask: z.array(label01),
  })
  .superRefine((r, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    let at = 0;
    let tokenAt = 0;
    r.steps.forEach((s, k) => {
      if (s.start !== at || s.end <= s.start)
        issue(['steps', k], `step ${k} is [${s.start}, ${s.end}), expected a non-empty span from ${at}`);
      if (s.token_start !== tokenAt || s.token_end < s.token_start)
        issue(
          ['steps', k],
          `step ${k} has tokens [${s.token_start}, ${s.token_end}), expected them to start at ${tokenAt}`,
        );
      at = s.end;
      tokenAt = s.token_end;
    });
    if (at !== r.response.length)
      issue(['steps'], `steps end at character ${at}, the response at ${r.response.length}`);
    if (r.steps.length > 0 && tokenAt !== r.beta_mask.length)
      issue(['steps'], `step tokens end at ${tokenAt}, the response has ${r.beta_mask.length} tokens`);
    const names = new Set<string>();
    r.judges.forEach((j, i) => {
      if (names.has(j.name)) issue(['judges', i, 'name'], `judge "${j.name}" appears twice`);
      names.add(j.name);
      if (j.verdicts.length !== r.steps.length)
        issue(['judges', i, 'verdicts'], `${j.verdicts.length} verdicts for ${r.steps.length} steps`);
    });
    if (r.consensus.labels.length !== r.steps.length || r.consensus.abstained.length !== r.steps.length) {
      issue(['consensus'], `consensus has ${r.consensus.labels.length} labels for ${r.steps.length} steps`);
    }
    r.steps.forEach((s, k) => {
      const expected = r.reward === 0 && r.consensus.labels[k] === 1 ? 1 : 0;
      for (let j = s.token_start; j < s.token_end; j++) {
        if (r.beta_mask[j] !== expected) {
          issue(['beta_mask', j], `token ${j} lies in step ${k}: expected ${expected}`);
          return;
        }
      }
    });
    if (r.steps.length === 0 && r.beta_mask.some((b) => b !== 0))
      issue(['beta_mask'], 'a response with no steps has no β tokens');
  });

export type AnnotatedRollout = z.infer<typeof annotatedRolloutSchema>;
export type AnnotatedStep = z.infer<typeof annotatedStepSchema>;

/** TRL's stepwise-supervision record. */
export interface StepwiseSupervision {
  prompt: string;
  completions: string[];
  labels: boolean[];
}

/**
 * The character offset of each response token. Tokens past the text get
 * offset response.length. Uses tokenizer.encodeWithOffsets when it gives back
 * the rollout's own ids; otherwise decodes the ids one by one.
 */
export function responseTokenOffsets(
  rollout: Pick<Rollout, 'response' | 'response_tokens'>,
  tokenizer: Tokenizer,
): number[] {
  const { response, response_tokens: tokens } = rollout;
  const { ids, offsets } = tokenizer.encodeWithOffsets(response);
  if (ids.length <= tokens.length && ids.every((id, i) => id === tokens[i])) {
    return [...offsets, ...new Array<number>(tokens.length - ids.length).fill(response.length)];
  }
  const out: number[] = [];
  let text = '';
  for (const id of tokens) {
    out.push(Math.min(text.length, response.length));
    text += tokenizer.decode([id], { stopAtEos: false });
  }
  if (!text.startsWith(response)) {
    throw new Error(
      `annotate: the response tokens decode to ${JSON.stringify(text.slice(0, 40))}…, ` +
        `not to the response ${JSON.stringify(response.slice(0, 40))}…; ` +
        'is this the tokenizer the rollouts were made with?',
    );
  }
  return out;
}

async function runJudge(
  judge: Judge,
  problem: Problem,
  response: string,
  steps: { start: number; end: number }[],
): Promise<StepVerdict[]> {
  try {
    const verdicts = await judge.judge({ problem, response, steps: steps.map((s) => ({ ...s })) });
    if (!Array.isArray(verdicts) || verdicts.length !== steps.length) {
      const n = Array.isArray(verdicts) ? verdicts.length : 'no';
      return steps.map(() => ({
        label: null,
        reason: `judge "${judge.name}" returned ${n} verdicts for ${steps.length} steps`,
      }));
    }
    return verdicts.map((v) => {
      const out: StepVerdict = { label: v.label === 0 || v.label === 1 ? v.label : null };
      if (typeof v.score === 'number') out.score = v.score;
      if (typeof v.reason === 'string') out.reason = v.reason;
      else if (out.label === null) out.reason = `judge "${judge.name}" gave no label`;
      return out;
    });
  } catch (error) {
    return steps.map(() => ({ label: null, reason: `judge "${judge.name}" failed: ${(error as Error).message}` }));
  }
}

/** Segments, judges and combines one rollout; returns the record with its β mask. */
export async function annotateRollout(
  rollout: Rollout,
  problem: Problem,
  tokenizer: Tokenizer,
  segmenter: Segmenter,
  judges: readonly Judge[],
  mode: ConsensusMode,
): Promise<AnnotatedRollout> {
  if (problem.id !== rollout.prompt_id)
    throw new Error(`annotate: rollout ${rollout.prompt_id}#${rollout.index} was given problem ${problem.id}.`);
  if (judges.length === 0) throw new Error('annotate: at least one judge is needed.');
  const names = judges.map((j) => j.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`annotate: two judges are named "${twice}"; judge names must be unique.`);

  const { response } = rollout;
  const spans = segmenter.segment(response);
  try {
    checkPartition(response.length, spans);
  } catch (error) {
    throw new Error(`annotate: segmenter "${segmenter.name}" broke its contract: ${(error as Error).message}`);
  }
  const offsets = responseTokenOffsets(rollout, tokenizer);
  const tokenStep = spans.length > 0 ? tokenSteps(offsets, spans) : new Int32Array(offsets.length);
  const counts = new Array<number>(spans.length).fill(0);
  if (spans.length > 0) for (const k of tokenStep) counts[k]++;
  let tokenAt = 0;
  const steps: AnnotatedStep[] = spans.map((s, k) => {
    const step = { start: s.start, end: s.end, token_start: tokenAt, token_end: tokenAt + counts[k] };
    tokenAt = step.token_end;
    return step;
  });

  const verdicts = await Promise.all(judges.map((j) => runJudge(j, problem, response, spans)));
  const combined = spans.length > 0 ? consensus(mode, verdicts) : [];
  const labels = combined.map((c) => c.label);
  const betaMask = Array.from(
    tokenStep,
    (k) => (spans.length > 0 && rollout.reward === 0 && labels[k] === 1 ? 1 : 0) as 0 | 1,
  );

  return {
    prompt_id: rollout.prompt_id,
    index: rollout.index,
    prompt: rollout.prompt,
    response,
    reward: rollout.reward,
    segmenter: segmenter.name,
    steps,
    judges: judges.map((j, i) => ({ name: j.name, simulated: j.simulated === true, verdicts: verdicts[i] })),
    consensus: { mode, labels, abstained: combined.map((c) => c.abstained) },
    beta_mask: betaMask,
  };
}

/** TRL's stepwise-supervision record: the prompt, the steps' text, and the consensus labels. */
export function toStepwiseSupervision(annotated: AnnotatedRollout): StepwiseSupervision {
  return {
    prompt: annotated.prompt,
    completions: annotated.steps.map((s) => annotated.response.slice(s.start, s.end)),
    labels: annotated.consensus.labels.map((l) => l === 1),
  };
}

/**
 * The agreement report of annotated rollouts, the judge named `oracleName`
 * (default 'oracle') taken as the truth and left out of the judged rows.
 * Refused when the oracle abstained on a step (its reason is given).
 */
/**
 * The agreement report of annotated records. Given `voters` (the judges the consensus combined, as
 * the annotated header says), the consensus row is the consensus stored in the records — the one that
 * made the β mask — even when the oracle voted; without it, consensus rows are recomputed from every
 * judge but the oracle.
 */
export function agreementFromAnnotated(
  records: readonly AnnotatedRollout[],
  oracleName = 'oracle',
  options: AgreementOptions & { voters?: readonly string[] } = {},
): AgreementReport {
  const oracle: (0 | 1)[][] = [];
  const judged: Record<string, (0 | 1 | null)[][]> = {};
  const tokenCounts: number[][] = [];
  const negativeMask: boolean[] = [];
  for (const r of records) {
    const truth = r.judges.find((j) => j.name === oracleName);
    if (truth === undefined)
      throw new Error(
        `agreement: ${r.prompt_id}#${r.index} has no "${oracleName}" labels; ` +
          'annotate with that judge to measure the others.',
      );
    oracle.push(
      truth.verdicts.map((v, k) => {
        if (v.label === null)
          throw new Error(
            `agreement: the ${oracleName} abstained on step ${k} of ${r.prompt_id}#${r.index} ` +
              `(${v.reason ?? 'no reason'}).`,
          );
        return v.label;
      }),
    );
    for (const j of r.judges) {
      if (j.name === oracleName) continue;
      (judged[j.name] ??= []).push(j.verdicts.map((v) => v.label));
    }
    tokenCounts.push(r.steps.map((s) => s.token_end - s.token_start));
    negativeMask.push(r.reward === 0);
  }
  for (const [name, rows] of Object.entries(judged)) {
    if (rows.length !== records.length)
      throw new Error(`agreement: judge "${name}" labelled ${rows.length} of ${records.length} responses.`);
  }
  const { voters, ...rest } = options;
  const mode = records[0]?.consensus.mode;
  const used =
    voters !== undefined &&
    (voters.length > 1 || voters.includes(oracleName)) &&
    mode !== undefined &&
    records.every((r) => r.consensus.mode === mode)
      ? { mode, voters, labels: records.map((r) => r.consensus.labels) }
      : undefined;
  return agreementReport(oracle, judged, tokenCounts, negativeMask, { ...rest, used });
}
