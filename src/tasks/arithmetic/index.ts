// The built-in task `arithmetic`: a start value and a chain of operations,
// solved one line per step on a written scratchpad, ending in `Answer: N`.
// Small enough for a ~1M-parameter character-level GPT-2 with a context of
// 128 characters, and every line's truth is known, so judges can be measured
// against the oracle below (docs/algorithms.md §3.4).
//
// Format (prompt, then a response; `Check:` lines are optional):
//
//   Start 17: +15 *3 -14          <- prompt, ends in "\n"
//   Step 1: 17+15=33              <- a step: input, the operation, its result
//   Check: 17+15=32, not 33       <- a correction (Error Termination)
//   Step 2: 32*3=96
//   Check: 32*3=96 ok             <- a check of a step
//   Step 3: 96-14=82
//   Answer: 82                    <- the final answer
//
// The short `Check:` wording is this project's choice so that a trace with a
// check and a correction fits 128 characters at the default difficulty; the
// oracle also reads the longer `Wait, let me check: 32*3=98 is wrong, it is
// 96.` and `... 32*3=96. Correct.` forms.
//
// Files: format.ts (the written format), oracle.ts, difficulty.ts and
// generate.ts (problems), solver.ts (π_ref's traces), claims.ts and
// claim-judge.ts (the rule judge).
import { Random } from '../../util/random.ts';
import { mixSeed } from '../../util/hash.ts';
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
  type TaskSolverKnobs,
} from '../task.ts';
import { lineSteps } from '../lines.ts';
import { arithmeticRuleFindings } from './claim-judge.ts';
import { DEFAULT_DIFFICULTY, difficultySpec } from './difficulty.ts';
import { type ArithmeticData, canonicalInteger, formatPrompt, parseLine, splitLines } from './format.ts';
import { drawChain } from './generate.ts';
import { labelSteps } from './oracle.ts';
import { NoisySolver, type NoisySolverOptions, SLIP_SHAPES } from './solver.ts';

export * from './claim-judge.ts';
export * from './claims.ts';
export * from './difficulty.ts';
export * from './format.ts';
export * from './oracle.ts';
export * from './solver.ts';
export { hashString, mixSeed } from '../../util/hash.ts';
export { HELD_OUT_BUCKETS, isHeldOutPrompt } from '../task.ts';

export class ArithmeticTask implements Task {
  readonly name = 'arithmetic';
  readonly description = 'a start value and a chain of + - * / % operations, one line a step';
  readonly defaultDifficulty = DEFAULT_DIFFICULTY;
  /** Every digit and sign, so rollouts never meet an unknown character. */
  readonly alphabet = '0123456789+-*/%=:., \n';
  /** The segmenter also cuts before "Step" at a sentence start. */
  readonly stepMarkers = [String.raw`Step\b`];

  /** The same (seed, difficulty) always gives the same problem; held-out seeds give held-out prompts only. */
  generate(seed: number, difficulty: number = DEFAULT_DIFFICULTY): Problem {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`arithmetic: a seed must be a non-negative integer, got ${seed}.`);
    const spec = difficultySpec(difficulty);
    const heldOut = isHeldOutSeed(seed);
    const rng = new Random(mixSeed(seed, difficulty));
    for (let attempt = 0; attempt < 100_000; attempt++) {
      const { start, ops, values } = drawChain(rng, spec);
      const prompt = formatPrompt(start, ops);
      if (isHeldOutPrompt(prompt) !== heldOut) continue;
      const data: ArithmeticData = { difficulty, start, ops, values };
      return { id: problemId(this.name, difficulty, seed), prompt, answer: String(values[values.length - 1]), data };
    }
    throw new Error(
      `arithmetic: seed ${seed} found no ${heldOut ? 'held-out' : 'training'} problem at difficulty ${difficulty}.`,
    );
  }

  verify(problem: Problem, response: string): boolean {
    const answer = this.extractAnswer(response);
    return answer !== null && answer === canonicalInteger(problem.answer);
  }

  /** The N of the last `Answer: N` line, as a canonical integer; null when there is none. */
  extractAnswer(response: string): string | null {
    let found: string | null = null;
    for (const line of splitLines(response)) {
      const parsed = parseLine(response.slice(line.start, line.end));
      if (parsed.kind === 'answer') found = parsed.n.toString();
    }
    return found;
  }

  oracle(problem: Problem, response: string, steps: StepSpan[]): StepLabel[] {
    return labelSteps(problem.data as ArithmeticData, response, steps);
  }

  /** One span per line, each with its trailing newline; together they cover the response exactly once. */
  naturalSteps(response: string): StepSpan[] {
    return lineSteps(response);
  }

  /** The noisy solver's own knob: how a slip moves a result (solver.ts, SlipShape). */
  readonly solverKnobs = { slipShape: SLIP_SHAPES };

  /** The noisy solver (solver.ts), its defaults DEFAULT_NOISY_SOLVER. */
  solver(options: Partial<SolverOptions> & TaskSolverKnobs = {}): NoisyTraceSolver {
    return new NoisySolver(options as Partial<NoisySolverOptions>);
  }

  /** Every arithmetic claim of the response re-checked (claim-judge.ts). */
  ruleFindings(response: string, reference: { prompt: string; answer: string }): RuleFinding[] {
    return arithmeticRuleFindings(response, reference);
  }
}

export const arithmetic = new ArithmeticTask();
