// The noisy solver of the built-in task `sorting`: insertion sort written one
// line a step, the way long chain-of-thought models write. A step may slip
// (the inserted number lands one place off); after a step it may check its work: a check of a right step says
// so, a check of a slipped step catches it (writes the right list and goes on
// from it) or misses it, and a missed slip is sometimes wrongly "confirmed".
// Every line comes with its ground-truth label by the oracle's rules
// (oracle.ts), computed here independently of it.
import { hashString, mixSeed } from '../../util/hash.ts';
import { Random } from '../../util/random.ts';
import type { NoisyTraceSolver, Problem, SolverOptions, StepLabel, Trace, TraceLine } from '../task.ts';
import { solverOptions, solveWithin, stepSlipRate } from '../traces.ts';
import {
  formatAnswer,
  formatCheck,
  formatCorrection,
  formatInsert,
  insert,
  listText,
  type SortingData,
  sameList,
} from './format.ts';

/**
 * Defaults, at the default difficulty (4 numbers below 10; seeds 0–1999):
 * 47.5% of traces end wrong; 41.3% of the wrong ones hold a right line other
 * than the first; mean prompt + trace 94 characters, none over 128.
 */
export const DEFAULT_SORTING_SOLVER: SolverOptions = {
  slipRate: 0.25,
  checkRate: 0.4,
  catchRate: 0.6,
  falseConfirmRate: 0.2,
  maxChars: 128,
  seed: 0,
  slipWhere: 'uniform',
};

const RIGHT = (reason: StepLabel['reason']): StepLabel => ({ score: 1, reason });
const WRONG = (reason: StepLabel['reason']): StepLabel => ({ score: 0, reason });

/**
 * x inserted into the list one place off: swapped with a neighbour unlike it
 * (or, when every neighbour equals it, written as x + 1).
 */
function slip(list: readonly number[], x: number, rng: Random): number[] {
  const out = insert(list, x);
  const at = list.findIndex((v) => v > x) === -1 ? list.length : list.findIndex((v) => v > x);
  const neighbours = [at - 1, at + 1].filter((i) => i >= 0 && i < out.length && out[i] !== x);
  if (neighbours.length === 0) {
    out[at] = x + 1;
    return out;
  }
  const j = neighbours[Math.floor(rng.next() * neighbours.length)];
  [out[at], out[j]] = [out[j], out[at]];
  return out;
}

export class SortingSolver implements NoisyTraceSolver {
  readonly options: SolverOptions;

  constructor(options: Partial<SolverOptions> = {}) {
    this.options = solverOptions('SortingSolver', DEFAULT_SORTING_SOLVER, options);
  }

  /** The trace for a problem; the same (options.seed, problem) always gives the same trace. */
  solve(problem: Problem): Trace {
    const data = problem.data as SortingData;
    if (!data || !Array.isArray(data.items) || !Array.isArray(data.prefixes))
      throw new Error(`SortingSolver: ${problem.id} is not a sorting problem (no items and prefixes in its data).`);
    const rng = new Random(mixSeed(this.options.seed, hashString(problem.id)));
    return solveWithin(
      problem,
      this.options.maxChars,
      (draws) => this.draw(data, rng, draws),
      () => cleanLines(data).join('\n').length,
    );
  }

  private draw(data: SortingData, rng: Random, draws: number): Trace {
    const { slipRate, slipWhere, checkRate, catchRate, falseConfirmRate } = this.options;
    const { items, prefixes } = data;
    const lines: TraceLine[] = [];
    let cur = [items[0]];
    for (let k = 1; k < items.length; k++) {
      const x = items[k];
      const trueInput = prefixes[k - 1];
      const truth = prefixes[k];
      const right = insert(cur, x);
      const slipped = rng.next() < stepSlipRate(slipRate, slipWhere, k - 1, items.length - 1);
      const written = slipped ? slip(cur, x, rng) : right;
      // By the oracle's rules: a slip that happens to write the true list reads as a silent fix.
      const stepLabel = sameList(written, right)
        ? sameList(cur, trueInput)
          ? RIGHT('correct')
          : WRONG('propagation')
        : sameList(written, truth)
          ? RIGHT('termination')
          : WRONG('own-error');
      lines.push({ text: formatInsert(x, written), kind: 'step', label: stepLabel, slipped });
      cur = written;
      if (rng.next() >= checkRate) continue;
      const claimTrue = sameList(written, right) || sameList(written, truth);
      if (!slipped) {
        const label = sameList(written, truth) ? RIGHT('check') : WRONG('propagation');
        lines.push({ text: formatCheck(written), kind: 'check', label });
      } else if (rng.next() < catchRate) {
        const nowRight = sameList(right, truth);
        const wasRight = sameList(written, truth);
        const label = nowRight
          ? RIGHT(wasRight ? 'check' : 'termination')
          : WRONG(wasRight ? 'own-error' : 'propagation');
        lines.push({ text: formatCorrection(right, written), kind: 'correction', label });
        cur = right;
      } else if (rng.next() < falseConfirmRate) {
        const label = claimTrue ? RIGHT('check') : WRONG('own-error');
        lines.push({ text: formatCheck(written), kind: 'false-confirm', label });
      }
    }
    const answer = prefixes[prefixes.length - 1];
    const correct = sameList(cur, answer);
    lines.push({
      text: formatAnswer(cur),
      kind: 'answer',
      label: correct ? RIGHT('final-correct') : WRONG('final-wrong'),
    });
    return { text: lines.map((l) => l.text).join('\n'), lines, answer: listText(cur), correct, draws };
  }
}

/** The lines of the clean trace (no slips, no checks). */
function cleanLines(data: SortingData): string[] {
  const lines = data.items.slice(1).map((x, i) => formatInsert(x, data.prefixes[i + 1]));
  lines.push(formatAnswer(data.prefixes[data.prefixes.length - 1]));
  return lines;
}
