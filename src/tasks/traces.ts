// What every task's solver shares: fitting a trace into the context, the SFT
// records of π_ref, and statistics of the traces.
import type { PromptCompletion } from '../data/sft-data.ts';
import {
  isHeldOutSeed,
  type NoisyTraceSolver,
  type Problem,
  SLIP_WHERE,
  type SlipWhere,
  type SolverOptions,
  type Task,
  type Trace,
  type TraceSolver,
} from './task.ts';

const MAX_DRAWS = 32;

/**
 * Draws traces until prompt + trace fits maxChars (up to 32 draws, from the
 * caller's per-problem stream) and keeps the shortest when none fits. A trace
 * that cannot fit even when clean (no slips, no checks) is kept as first drawn.
 */
export function solveWithin(
  problem: Problem,
  maxChars: number,
  draw: (draws: number) => Trace,
  cleanLength: () => number,
): Trace {
  let best: Trace | null = null;
  for (let draws = 1; draws <= MAX_DRAWS; draws++) {
    const trace = draw(draws);
    if (best === null || trace.text.length < best.text.length) best = trace;
    if (problem.prompt.length + trace.text.length <= maxChars) return trace;
    if (draws === 1 && problem.prompt.length + cleanLength() > maxChars) return trace;
  }
  return best as Trace;
}

/** The options with defaults filled in; a rate outside [0, 1] or an unknown slipWhere is refused with its name. */
export function solverOptions<O extends SolverOptions>(who: string, defaults: O, options: Partial<O> = {}): O {
  const out = { ...defaults, ...options };
  for (const key of ['slipRate', 'checkRate', 'catchRate', 'falseConfirmRate'] as const) {
    const p = out[key];
    if (!(p >= 0 && p <= 1)) throw new Error(`${who}: ${key} must be a probability in [0, 1], got ${p}.`);
  }
  if (out.slipWhere !== undefined && !SLIP_WHERE.includes(out.slipWhere))
    throw new Error(`${who}: slipWhere must be one of ${SLIP_WHERE.join(', ')}, got ${JSON.stringify(out.slipWhere)}.`);
  return out;
}

/**
 * The slip probability of step i (0-based) of n: p_i = slipRate · n · w_i / Σ_j w_j (eq. S1), with
 * w_i = 1 (uniform), n − i (early) or i + 1 (late), so the expected slips per trace, Σ_i p_i, stay
 * n · slipRate; a p_i above 1 is cut to 1 (only where slipRate · 2n / (n + 1) > 1).
 */
export function stepSlipRate(slipRate: number, where: SlipWhere | undefined, i: number, n: number): number {
  if (where === undefined || where === 'uniform' || n <= 1) return slipRate;
  const weight = where === 'late' ? i + 1 : n - i;
  const total = (n * (n + 1)) / 2;
  return Math.min(1, (slipRate * n * weight) / total);
}

/**
 * SFT records for π_ref: the problems of seeds seedStart … seedStart + count − 1
 * and the solver's trace of each. Training seeds only: a seed from the
 * held-out range is refused.
 */
export function sftRecords(
  task: Task,
  solver: TraceSolver,
  options: { count: number; seedStart: number; difficulty: number },
): PromptCompletion[] {
  const { count, seedStart, difficulty } = options;
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`sftRecords: count must be a non-negative integer, got ${count}.`);
  if (count > 0 && isHeldOutSeed(seedStart + count - 1)) {
    throw new Error(
      `sftRecords: seeds ${seedStart} to ${seedStart + count - 1} reach the held-out range; ` +
        'training data must come from seeds below it.',
    );
  }
  const records: PromptCompletion[] = [];
  for (let i = 0; i < count; i++) {
    const problem = task.generate(seedStart + i, difficulty);
    records.push({ prompt: problem.prompt, completion: solver.solve(problem).text });
  }
  return records;
}

/** Statistics of the solver's traces over seeds (reported in the tests and docs). */
export interface TraceStats {
  traces: number;
  /** Fraction whose final answer is wrong. */
  wrong: number;
  /** Fraction with every line right. */
  allLinesRight: number;
  /** Among wrong traces: the fraction holding a right line other than the first. */
  wrongWithRightNonFirst: number;
  /** Among wrong traces: the fraction holding a right check or correction line. */
  wrongWithRightCheck: number;
  /** Fraction with at least one check line (any kind). */
  withCheck: number;
  /** Fraction with a correction line. */
  withCorrection: number;
  /** Fraction that needed more than one draw to fit maxChars. */
  redrawn: number;
  /** Prompt + trace, in characters. */
  meanChars: number;
  maxChars: number;
  /** Fraction longer than the solver's maxChars. */
  over: number;
  /** Histogram of prompt + trace lengths, in buckets of 8 characters: key = bucket start. */
  lengthHistogram: Record<number, number>;
}

export function traceStats(
  task: Task,
  solver: NoisyTraceSolver,
  options: { count: number; seedStart: number; difficulty: number },
): TraceStats {
  const { count, seedStart, difficulty } = options;
  let wrong = 0;
  let allRight = 0;
  let wrongNonFirst = 0;
  let wrongCheck = 0;
  let withCheck = 0;
  let withCorrection = 0;
  let redrawn = 0;
  let sumChars = 0;
  let maxChars = 0;
  let over = 0;
  const lengthHistogram: Record<number, number> = {};
  for (let i = 0; i < count; i++) {
    const problem = task.generate(seedStart + i, difficulty);
    const trace = solver.solve(problem);
    const chars = problem.prompt.length + trace.text.length;
    sumChars += chars;
    maxChars = Math.max(maxChars, chars);
    if (chars > solver.options.maxChars) over++;
    const bucket = Math.floor(chars / 8) * 8;
    lengthHistogram[bucket] = (lengthHistogram[bucket] ?? 0) + 1;
    if (trace.draws > 1) redrawn++;
    if (trace.lines.some((l) => l.kind !== 'step' && l.kind !== 'answer')) withCheck++;
    if (trace.lines.some((l) => l.kind === 'correction')) withCorrection++;
    if (trace.lines.every((l) => l.label.score === 1)) allRight++;
    if (!trace.correct) {
      wrong++;
      if (trace.lines.slice(1).some((l) => l.label.score === 1)) wrongNonFirst++;
      if (trace.lines.some((l) => l.label.score === 1 && (l.kind === 'check' || l.kind === 'correction'))) wrongCheck++;
    }
  }
  const n = Math.max(1, count);
  return {
    traces: count,
    wrong: wrong / n,
    allLinesRight: allRight / n,
    wrongWithRightNonFirst: wrongNonFirst / Math.max(1, wrong),
    wrongWithRightCheck: wrongCheck / Math.max(1, wrong),
    withCheck: withCheck / n,
    withCorrection: withCorrection / n,
    redrawn: redrawn / n,
    meanChars: sumChars / n,
    maxChars,
    over: over / n,
    lengthHistogram,
  };
}
