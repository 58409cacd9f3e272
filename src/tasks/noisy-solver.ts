// A noisy solver for the arithmetic task: it writes traces the way long
// chain-of-thought models do. Each step may slip (a result off by 1 or 2 that
// later steps build on); after a step it may check its work: a check of a
// right step says so, a check of a slipped step catches it (and writes a
// correction, then goes on from the corrected value) or misses it, and a
// missed slip is sometimes wrongly "confirmed". Uncaught slips end in wrong
// answers, yet such traces still hold right steps and successful checks:
// the SFT data of the reference policy π_ref (issue 4).
//
// Every line comes with its ground-truth label, computed here by the rules
// of the oracle (arithmetic.ts, labelLines) but independently of it, so the
// tests can hold one against the other.
import type { PromptCompletion } from '../data/sft-data.ts';
import {
  applyOpNumber,
  formatAnswer,
  formatCheck,
  formatCorrection,
  formatStep,
  hashString,
  mixSeed,
  type ArithmeticData,
} from './arithmetic.ts';
import { Random } from '../util/random.ts';
import { isHeldOutSeed, type Problem, type StepLabel, type Task } from './task.ts';

export interface NoisySolverOptions {
  /** Probability that a step's result is wrong (off by ±1 or ±2, never below 0). */
  slipRate: number;
  /** Probability of a check after a step. */
  checkRate: number;
  /** Probability that a check of a slipped step catches it (then a correction is written). */
  catchRate: number;
  /**
   * Probability that a check of a slipped step that does not catch it writes a
   * false "ok" (a false claim, own-error); otherwise a missed check leaves no line.
   */
  falseConfirmRate: number;
  /**
   * Longest prompt + trace, in characters. A trace that would be longer is
   * redrawn (up to 32 times, from the same per-problem stream) and the
   * shortest is kept; with Infinity every first draw is kept. Default 128,
   * the context of the small preset, so no SFT row is cut. This trims traces
   * with many checks, so the check rate written is a little below checkRate.
   */
  maxChars: number;
  seed: number;
}

/**
 * Defaults, chosen on the default difficulty (3 operations; seeds 0–1999):
 * 46.5% of traces end in a wrong answer; 42.7% of the wrong ones hold a right
 * line other than the first (issue 4 asks a third); mean prompt + trace 93
 * characters, none over 128 (2% redrawn to fit). The slip rate is higher than
 * a long-chain model's per-step rate because the chains are short.
 */
export const DEFAULT_NOISY_SOLVER: NoisySolverOptions = {
  slipRate: 0.3,
  checkRate: 0.4,
  catchRate: 0.6,
  falseConfirmRate: 0.2,
  maxChars: 128,
  seed: 0,
};

export type TraceLineKind = 'step' | 'check' | 'correction' | 'false-confirm' | 'answer';

export interface TraceLine {
  text: string;
  kind: TraceLineKind;
  /** The ground truth, by the oracle's line rules. */
  label: StepLabel;
  /** For step lines: whether this step slipped. */
  slipped?: boolean;
}

export interface Trace {
  /** Lines joined by "\n", no trailing newline (the end-of-sequence token follows in training). */
  text: string;
  lines: TraceLine[];
  /** The answer the trace states. */
  answer: string;
  /** Whether that answer is the reference. */
  correct: boolean;
  /** How many draws it took to fit maxChars (1 when the first fit). */
  draws: number;
}

/** Anything that writes a response for a problem (the noisy solver, or another). */
export interface TraceSolver {
  solve(problem: Problem): { text: string };
}

const MAX_DRAWS = 32;

export class NoisySolver implements TraceSolver {
  readonly options: NoisySolverOptions;

  constructor(options: Partial<NoisySolverOptions> = {}) {
    this.options = { ...DEFAULT_NOISY_SOLVER, ...options };
    for (const key of ['slipRate', 'checkRate', 'catchRate', 'falseConfirmRate'] as const) {
      const p = this.options[key];
      if (!(p >= 0 && p <= 1)) throw new Error(`NoisySolver: ${key} must be a probability in [0, 1], got ${p}.`);
    }
  }

  /** The trace for a problem; the same (options.seed, problem) always gives the same trace. */
  solve(problem: Problem): Trace {
    const data = problem.data as ArithmeticData;
    if (!data || !Array.isArray(data.ops) || !Array.isArray(data.values)) {
      throw new Error(`NoisySolver: ${problem.id} is not an arithmetic problem (no ops and values in its data).`);
    }
    const rng = new Random(mixSeed(this.options.seed, hashString(problem.id)));
    let best: Trace | null = null;
    for (let draw = 1; draw <= MAX_DRAWS; draw++) {
      const trace = this.draw(data, rng, draw);
      if (best === null || trace.text.length < best.text.length) best = trace;
      if (problem.prompt.length + trace.text.length <= this.options.maxChars) return trace;
      // A trace that cannot fit even without checks and slips is kept as first drawn.
      if (draw === 1 && problem.prompt.length + cleanLength(data) > this.options.maxChars) return trace;
    }
    return best as Trace;
  }

  private draw(data: ArithmeticData, rng: Random, draws: number): Trace {
    const { slipRate, checkRate, catchRate, falseConfirmRate } = this.options;
    const lines: TraceLine[] = [];
    const answer = data.values[data.values.length - 1];
    let cur = data.start;
    data.ops.forEach(({ op, operand: b }, i) => {
      const trueInput = data.values[i];
      const truth = data.values[i + 1];
      const a = cur;
      const right = applyOpNumber(a, op, b);
      const slipped = rng.next() < slipRate;
      let c = right;
      if (slipped) {
        const size = rng.next() < 0.5 ? 1 : 2;
        c = rng.next() < 0.5 ? right - size : right + size;
        if (c < 0) c = right + size;
      }
      const stepLabel: StepLabel = slipped
        ? { score: 0, reason: 'own-error' }
        : a !== trueInput
          ? { score: 0, reason: 'propagation' }
          : { score: 1, reason: 'correct' };
      lines.push({ text: formatStep(i + 1, a, op, b, c), kind: 'step', label: stepLabel, slipped });
      cur = c;
      if (rng.next() >= checkRate) return;
      if (!slipped) {
        // The claim is true; it is a check, or propagation when the value it confirms is wrong.
        const label: StepLabel = c === truth ? { score: 1, reason: 'check' } : { score: 0, reason: 'propagation' };
        lines.push({ text: formatCheck(a, op, b, c), kind: 'check', label });
      } else if (rng.next() < catchRate) {
        // Catches the slip and goes on from a op b. That is the true value unless a itself was wrong.
        const nowRight = right === truth;
        const wasRight = c === truth;
        const label: StepLabel = nowRight
          ? wasRight
            ? { score: 1, reason: 'check' }
            : { score: 1, reason: 'termination' }
          : wasRight
            ? { score: 0, reason: 'own-error' }
            : { score: 0, reason: 'propagation' };
        lines.push({ text: formatCorrection(a, op, b, right, c), kind: 'correction', label });
        cur = right;
      } else if (rng.next() < falseConfirmRate) {
        lines.push({ text: formatCheck(a, op, b, c), kind: 'false-confirm', label: { score: 0, reason: 'own-error' } });
      }
    });
    const correct = cur === answer;
    lines.push({
      text: formatAnswer(cur),
      kind: 'answer',
      label: correct ? { score: 1, reason: 'final-correct' } : { score: 0, reason: 'final-wrong' },
    });
    return { text: lines.map((l) => l.text).join('\n'), lines, answer: String(cur), correct, draws };
  }
}

/** The length of the clean trace (no slips, no checks) of a problem. */
function cleanLength(data: ArithmeticData): number {
  const lines = data.ops.map(({ op, operand }, i) =>
    formatStep(i + 1, data.values[i], op, operand, data.values[i + 1]),
  );
  lines.push(formatAnswer(data.values[data.values.length - 1]));
  return lines.join('\n').length;
}

/** The clean trace of a problem: every step right, no checks. */
export function cleanTrace(problem: Problem): string {
  return new NoisySolver({ slipRate: 0, checkRate: 0, maxChars: Infinity }).solve(problem).text;
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
      `sftRecords: seeds ${seedStart} to ${seedStart + count - 1} reach the held-out range; training data must come from seeds below it.`,
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
  solver: NoisySolver,
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
