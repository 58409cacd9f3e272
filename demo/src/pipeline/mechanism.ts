// The mechanism itself: for a few wrong responses that hold oracle-correct
// steps, each step's log-probability under π_ref and after every epoch of the
// main objective and of the comparison, both trained from π_ref on the same
// data. Under BCPG every token of a wrong answer is pushed down, its correct
// steps too; under BCPG-NSA the mined steps are pushed down only β as hard.
// Plain data, stored with the run, so a reload draws it again.
import type { AnnotatedRecord } from '../../../src/data/annotated.ts';

/** Wrong responses followed after every epoch: enough to switch between without retraining. */
export const MECHANISM_CANDIDATES = 8;

export type StepAggregate = 'sum' | 'mean';

export interface MechanismStep {
  text: string;
  /** The task oracle's verdict (1: correct); null when the oracle did not judge it. */
  oracle: 0 | 1 | null;
  /** 1 when the consensus mined it (its tokens get weight β under BCPG-NSA). */
  mined: 0 | 1;
  tokenStart: number;
  tokenEnd: number;
}

export interface MechanismResponse {
  /** Its position in the iteration's records. */
  record: number;
  promptId: string;
  index: number;
  prompt: string;
  steps: MechanismStep[];
  /** Tokens in oracle-correct steps (the default choice is the response with the most). */
  correctTokens: number;
  /** log π_ref of each response token (the baseline). */
  refLogprobs: number[];
}

/** One policy's token log-probs of every followed response. */
export interface MechanismCurve {
  run: 'main' | 'compare';
  objective: string;
  epoch: number;
  /** Per response (in `responses` order), per token. */
  logprobs: number[][];
}

export interface MechanismRecord {
  /** The data both objectives train on from π_ref. */
  iteration: number;
  responses: MechanismResponse[];
  curves: MechanismCurve[];
}

/**
 * The step log-probability of each step: Σ_{j ∈ step} log π(y_j | x, y_<j), or that sum over the step's token
 * count (mean). A step with no tokens has none (NaN), so it is never plotted as 0.
 */
export function stepLogprobs(
  tokenLogprobs: readonly number[],
  steps: readonly Pick<MechanismStep, 'tokenStart' | 'tokenEnd'>[],
  aggregate: StepAggregate,
): number[] {
  return steps.map((s) => {
    const n = s.tokenEnd - s.tokenStart;
    if (n <= 0) return Number.NaN;
    let sum = 0;
    for (let j = s.tokenStart; j < s.tokenEnd; j++) sum += tokenLogprobs[j];
    return aggregate === 'sum' ? sum : sum / n;
  });
}

/** The oracle's verdict on each step of a record (null where the oracle did not vote). */
export function oracleLabels(record: AnnotatedRecord): (0 | 1 | null)[] {
  const oracle = record.judges.find((j) => j.name === 'oracle');
  return record.steps.map((_, k) => (oracle?.verdicts[k]?.label ?? null) as 0 | 1 | null);
}

/**
 * The wrong responses to follow: negatives with at least one oracle-correct step, the most tokens in correct
 * steps first (ties: record order). Returns record positions.
 */
export function mechanismCandidates(records: readonly AnnotatedRecord[], count = MECHANISM_CANDIDATES): number[] {
  return records
    .map((r, i) => ({ i, tokens: r.reward === 0 ? correctStepTokens(r) : 0 }))
    .filter((c) => c.tokens > 0)
    .sort((a, b) => b.tokens - a.tokens || a.i - b.i)
    .slice(0, count)
    .map((c) => c.i);
}

function correctStepTokens(record: AnnotatedRecord): number {
  const labels = oracleLabels(record);
  return record.steps.reduce((n, s, k) => n + (labels[k] === 1 ? s.token_end - s.token_start : 0), 0);
}

/** What the plot keeps of a record: its steps' text and labels, and π_ref's log-probs. */
export function mechanismResponse(records: readonly AnnotatedRecord[], at: number): MechanismResponse {
  const r = records[at];
  const labels = oracleLabels(r);
  return {
    record: at,
    promptId: r.prompt_id,
    index: r.index,
    prompt: r.prompt.trim(),
    steps: r.steps.map((s, k) => ({
      text: r.response.slice(s.start, s.end).trim(),
      oracle: labels[k],
      mined: (r.beta_mask[s.token_start] ?? 0) === 1 && s.token_end > s.token_start ? 1 : 0,
      tokenStart: s.token_start,
      tokenEnd: s.token_end,
    })),
    correctTokens: correctStepTokens(r),
    refLogprobs: [...r.logprobs_ref],
  };
}

/** A new record following the candidates of an iteration's data. */
export function newMechanism(iteration: number, records: readonly AnnotatedRecord[]): MechanismRecord {
  return {
    iteration,
    responses: mechanismCandidates(records).map((i) => mechanismResponse(records, i)),
    curves: [],
  };
}

/** Adds (or, for an epoch run again after a device loss, replaces) one policy's curve. */
export function addCurve(mechanism: MechanismRecord, curve: MechanismCurve): void {
  mechanism.curves = mechanism.curves.filter((c) => !(c.run === curve.run && c.epoch === curve.epoch));
  mechanism.curves.push(curve);
  mechanism.curves.sort((a, b) => (a.run === b.run ? a.epoch - b.epoch : a.run === 'main' ? -1 : 1));
}

export interface MechanismLine {
  label: string;
  /** 'ref', or the run ('main' / 'compare') it belongs to. */
  kind: 'ref' | 'main' | 'compare';
  objective: string;
  epoch: number;
  values: number[];
}

/** The plot's lines for one followed response: π_ref, then every epoch of each run. */
export function mechanismLines(
  mechanism: MechanismRecord,
  response: number,
  aggregate: StepAggregate,
): MechanismLine[] {
  const r = mechanism.responses[response];
  if (r === undefined) return [];
  return [
    {
      label: 'π_ref',
      kind: 'ref',
      objective: 'π_ref',
      epoch: 0,
      values: stepLogprobs(r.refLogprobs, r.steps, aggregate),
    },
    ...mechanism.curves.map((c) => ({
      label: `${c.objective}, epoch ${c.epoch}`,
      kind: c.run,
      objective: c.objective,
      epoch: c.epoch,
      values: stepLogprobs(c.logprobs[response] ?? [], r.steps, aggregate),
    })),
  ];
}

/** Checks a stored mechanism record's shape (a reload reads it back from the run's store). */
export function parseMechanism(text: string, source: string): MechanismRecord {
  const value = JSON.parse(text) as Partial<MechanismRecord> | null;
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.iteration !== 'number' ||
    !Array.isArray(value.responses) ||
    !Array.isArray(value.curves)
  )
    throw new Error(`${source}: not a mechanism record (iteration, responses, curves).`);
  return value as MechanismRecord;
}

/** The pair the plot is about: each objective's partner in it. */
const PARTNER: Record<string, string> = { 'bcpg-nsa': 'bcpg', bcpg: 'bcpg-nsa' };

/**
 * What the plot needs that these settings lack (null: nothing): BCPG-NSA and BCPG, one the main objective and
 * the other the comparison, so both train from π_ref on the same data.
 */
export function mechanismNeeds(config: { objective: string; compare: string }): string | null {
  const { objective, compare } = config;
  if (PARTNER[objective] !== undefined && compare === PARTNER[objective]) return null;
  if (compare === '')
    return (
      'The per-step plot needs a second objective trained on the same data: set "compare with" to ' +
      `${PARTNER[objective] ?? 'bcpg'}${PARTNER[objective] === undefined ? ' and the objective to bcpg-nsa' : ''}.`
    );
  return (
    'The per-step plot shows the mechanism when BCPG-NSA and BCPG are compared: set the objective to bcpg-nsa ' +
    `and "compare with" to bcpg (now ${objective} and ${compare}).`
  );
}

/** The lines as changes from π_ref's (its line becomes 0): small moves of a long step stay visible. */
export function relativeToReference(lines: readonly MechanismLine[]): MechanismLine[] {
  const ref = lines.find((l) => l.kind === 'ref');
  if (ref === undefined) return [...lines];
  return lines.map((l) => ({ ...l, values: l.values.map((v, k) => v - ref.values[k]) }));
}
