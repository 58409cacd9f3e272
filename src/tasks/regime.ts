// The regime of a task's traces: how much of a wrong response is right. BCPG-NSA keeps the correct
// steps of negative responses from being pushed down; what it can gain depends on how many of the
// negatives' tokens lie in such steps (the paper measures 22%). This measures that share, the
// "mined share", on a solver's traces, with the oracle's labels, and how slips move results.
import type { CharTokenizer } from '../data/tokenizer.ts';
import type { SolverSettings } from './solver-spec.ts';
import type { Problem, Task, Trace } from './task.ts';
import { taskTokenizer } from './tokenizer.ts';

/** What one set of responses holds, by the oracle on the task's natural steps. */
export interface NegativeShares {
  responses: number;
  /** Responses the verifier rejects. */
  negatives: number;
  /** Negatives with an oracle-correct step other than the first. */
  negativesWithLaterCorrectStep: number;
  /** Tokens of the negatives' steps, and of those the oracle labels correct (1). */
  negativeTokens: number;
  minedTokens: number;
}

/**
 * Counts over responses: a negative is a response the verifier rejects; its tokens are its natural
 * steps' tokens by `tokenizer`; the mined share is minedTokens / negativeTokens.
 */
export function negativeShares(
  task: Task,
  tokenizer: CharTokenizer,
  samples: readonly { problem: Problem; response: string }[],
): NegativeShares {
  const out: NegativeShares = {
    responses: samples.length,
    negatives: 0,
    negativesWithLaterCorrectStep: 0,
    negativeTokens: 0,
    minedTokens: 0,
  };
  for (const { problem, response } of samples) {
    if (task.verify(problem, response)) continue;
    out.negatives++;
    const steps = task.naturalSteps(response);
    const labels = task.oracle(problem, response, steps);
    if (labels.some((l, i) => i > 0 && l.score === 1)) out.negativesWithLaterCorrectStep++;
    steps.forEach((step, i) => {
      const tokens = tokenizer.encode(response.slice(step.start, step.end)).length;
      out.negativeTokens += tokens;
      if (labels[i].score === 1) out.minedTokens += tokens;
    });
  }
  return out;
}

/** Slipped step results against the right one, for a range of right results. */
export interface SlipDirections {
  /** "0", "1", "2-4", …: the right results it counts. */
  range: string;
  slips: number;
  below: number;
  above: number;
}

/** The ranges slips are counted in, by the right result: small results are where a floor at 0 bites. */
export const SLIP_RANGES: readonly { range: string; min: number; max: number }[] = [
  { range: '<0', min: -Infinity, max: -1 },
  { range: '0', min: 0, max: 0 },
  { range: '1', min: 1, max: 1 },
  { range: '2-4', min: 2, max: 4 },
  { range: '5-9', min: 5, max: 9 },
  { range: '10-99', min: 10, max: 99 },
  { range: '100+', min: 100, max: Infinity },
];

/** Slipped results below and above the right one, by range of the right result (lines that record a slip). */
export function slipDirections(traces: readonly Trace[]): SlipDirections[] {
  const rows = SLIP_RANGES.map(({ range }) => ({ range, slips: 0, below: 0, above: 0 }));
  for (const trace of traces)
    for (const line of trace.lines) {
      if (line.slip === undefined) continue;
      const { right, written } = line.slip;
      const row = rows[SLIP_RANGES.findIndex((r) => right >= r.min && right <= r.max)];
      row.slips++;
      if (written < right) row.below++;
      else if (written > right) row.above++;
    }
  return rows.filter((r) => r.slips > 0);
}

/** The statistics `gemstone task-stats` prints for one regime. */
export interface RegimeStats extends NegativeShares {
  task: string;
  difficulty: number;
  solver: SolverSettings;
  /** Share of traces the verifier accepts. */
  accuracy: number;
  /** minedTokens / negativeTokens (0 without negatives). */
  minedShare: number;
  /** Share of negatives with an oracle-correct step after the first. */
  laterCorrectShare: number;
  meanChars: number;
  maxChars: number;
  /** Share of prompt + trace longer than the solver's maxChars, and share that took more than one draw. */
  over: number;
  redrawn: number;
  slips: SlipDirections[];
  /** Wrong final answers below and above the reference (where answers are numbers). */
  wrongBelow: number;
  wrongAbove: number;
}

/**
 * The regime of the solver's traces on problems of seeds seedStart … seedStart + count − 1: the
 * training seeds π_ref's traces come from, at the solver seed π_ref's SFT uses (its --seed).
 */
export function regimeStats(
  task: Task,
  settings: SolverSettings,
  options: { difficulty: number; count: number; seedStart?: number; seed: number },
): RegimeStats {
  const solver = task.solver({ ...settings, seed: options.seed });
  const problems = Array.from({ length: options.count }, (_, i) =>
    task.generate((options.seedStart ?? 0) + i, options.difficulty),
  );
  const traces = problems.map((p) => solver.solve(p));
  const tokenizer = taskTokenizer(
    task,
    problems.flatMap((p, i) => [p.prompt, traces[i].text]),
  );
  const shares = negativeShares(
    task,
    tokenizer,
    problems.map((problem, i) => ({ problem, response: traces[i].text })),
  );
  const chars = problems.map((p, i) => p.prompt.length + traces[i].text.length);
  let wrongBelow = 0;
  let wrongAbove = 0;
  traces.forEach((t, i) => {
    const stated = task.extractAnswer(t.text);
    const said = stated === null ? Number.NaN : Number(stated);
    const reference = Number(problems[i].answer);
    if (task.verify(problems[i], t.text) || !Number.isFinite(said) || !Number.isFinite(reference)) return;
    if (said < reference) wrongBelow++;
    else if (said > reference) wrongAbove++;
  });
  const n = Math.max(1, options.count);
  return {
    task: task.name,
    difficulty: options.difficulty,
    solver: settings,
    ...shares,
    accuracy: (shares.responses - shares.negatives) / n,
    minedShare: shares.minedTokens / Math.max(1, shares.negativeTokens),
    laterCorrectShare: shares.negativesWithLaterCorrectStep / Math.max(1, shares.negatives),
    meanChars: chars.reduce((a, b) => a + b, 0) / n,
    maxChars: Math.max(0, ...chars),
    over: chars.filter((c) => c > solver.options.maxChars).length / n,
    redrawn: traces.filter((t) => t.draws > 1).length / n,
    slips: slipDirections(traces),
    wrongBelow,
    wrongAbove,
  };
}
