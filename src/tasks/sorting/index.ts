// The built-in task `sorting`: put a short list of numbers in order by
// insertion sort, one inserted number a line, ending in `Answer: <list>`.
// A task of a different kind from `arithmetic`: its running state is a list,
// not a number, and its slips are numbers out of place, so Error Propagation
// means inserting rightly into a list that is already wrong. Small enough
// for a ~1M-parameter character-level GPT-2 with a context of 128
// characters. Format: format.ts; oracle: oracle.ts; traces: solver.ts; the
// rule judge, which does not check the prompt's order: rule-judge.ts.
import { mixSeed } from '../../util/hash.ts';
import { Random } from '../../util/random.ts';
import { lineSteps } from '../lines.ts';
import {
  isHeldOutPrompt,
  isHeldOutSeed,
  type NoisyTraceSolver,
  type Problem,
  problemId,
  type RuleFinding,
  type SolverOptions,
  type StepLabel,
  type StepSpan,
  type Task,
} from '../task.ts';
import { extractAnswer, formatPrompt, insert, listText, type SortingData } from './format.ts';
import { labelSteps } from './oracle.ts';
import { sortingRuleFindings } from './rule-judge.ts';
import { SortingSolver } from './solver.ts';

export * from './format.ts';
export * from './oracle.ts';
export * from './rule-judge.ts';
export * from './solver.ts';

/** The default: 4 numbers below 10, so a trace with a check and a correction fits 128 characters. */
export const SORTING_DEFAULT_DIFFICULTY = 1;

/** Difficulty d (an integer from 0 to 10) → 3 + d numbers, each in [0, 9] for d ≤ 1, else in [0, 99]. */
export function sortingSpec(difficulty: number): { count: number; maxValue: number } {
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > 10)
    throw new Error(`sorting: difficulty must be an integer from 0 to 10, got ${difficulty}.`);
  return { count: 3 + difficulty, maxValue: difficulty <= 1 ? 9 : 99 };
}

export class SortingTask implements Task {
  readonly name = 'sorting';
  readonly description = 'sort a short list of numbers by insertion, one inserted number a line';
  readonly defaultDifficulty = SORTING_DEFAULT_DIFFICULTY;
  /** Every digit, so a rollout can write any list. */
  readonly alphabet = '0123456789:, \n';
  /** The segmenter also cuts before "Insert" at a sentence start. */
  readonly stepMarkers = [String.raw`Insert\b`];

  /** The same (seed, difficulty) always gives the same problem; held-out seeds give held-out prompts only. */
  generate(seed: number, difficulty: number = SORTING_DEFAULT_DIFFICULTY): Problem {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`sorting: a seed must be a non-negative integer, got ${seed}.`);
    const { count, maxValue } = sortingSpec(difficulty);
    const heldOut = isHeldOutSeed(seed);
    const rng = new Random(mixSeed(seed, difficulty, 0x5027));
    for (let attempt = 0; attempt < 100_000; attempt++) {
      const items = Array.from({ length: count }, () => Math.floor(rng.next() * (maxValue + 1)));
      const prompt = formatPrompt(items);
      if (isHeldOutPrompt(prompt) !== heldOut) continue;
      const prefixes = [[items[0]]];
      for (let k = 1; k < count; k++) prefixes.push(insert(prefixes[k - 1], items[k]));
      const data: SortingData = { difficulty, items, prefixes };
      return { id: problemId(this.name, difficulty, seed), prompt, answer: listText(prefixes[count - 1]), data };
    }
    throw new Error(`sorting: seed ${seed} found no ${heldOut ? 'held-out' : 'training'} problem.`);
  }

  verify(problem: Problem, response: string): boolean {
    return this.extractAnswer(response) === problem.answer;
  }

  /** The list of the last `Answer:` line ("1 2 5"); null when there is none. */
  extractAnswer(response: string): string | null {
    return extractAnswer(response);
  }

  oracle(problem: Problem, response: string, steps: StepSpan[]): StepLabel[] {
    return labelSteps(problem.data as SortingData, response, steps);
  }

  /** One span per line, each with its trailing newline. */
  naturalSteps(response: string): StepSpan[] {
    return lineSteps(response);
  }

  solver(options: Partial<SolverOptions> = {}): NoisyTraceSolver {
    return new SortingSolver(options);
  }

  /** Each insertion re-checked against the running list (rule-judge.ts). */
  ruleFindings(response: string, reference: { prompt: string; answer: string }): RuleFinding[] {
    return sortingRuleFindings(response, reference);
  }
}

export const sorting = new SortingTask();
