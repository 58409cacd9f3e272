// Rollouts without a model: the arithmetic task's noisy solver writes the responses, shaped as π_ref's
// would be (one response a problem, every log-prob −1). The annotation bench and the cross-runtime
// annotation test annotate these; no GPU is involved.
import { getTask } from '../tasks/index.ts';
import { DEFAULT_NOISY_SOLVER, NoisySolver } from '../tasks/noisy-solver.ts';
import type { Problem, Task } from '../tasks/task.ts';
import type { AnnotateConfig } from '../workers/annotate-service.ts';
import type { Rollout } from './rollouts.ts';
import { CharTokenizer } from './tokenizer.ts';

/** A rollout record of `response` to `problem` without a model: its tokens end with eos unless `responseTokens` are
 * given, and every log-prob is −1. */
export function modelFreeRollout(
  task: Task,
  problem: Problem,
  response: string,
  tokenizer: CharTokenizer,
  responseTokens = [...tokenizer.encode(response), tokenizer.eos],
): Rollout {
  return {
    prompt_id: problem.id,
    prompt: problem.prompt,
    reference_answer: problem.answer,
    index: 0,
    response,
    prompt_tokens: tokenizer.encode(problem.prompt),
    response_tokens: responseTokens,
    logprobs_ref: responseTokens.map(() => -1),
    logprobs_sample: responseTokens.map(() => -1),
    reward: task.verify(problem, response) ? 1 : 0,
    answer: task.extractAnswer(response),
  };
}

export interface SolverRollouts {
  rollouts: Rollout[];
  problems: Map<string, Problem>;
  /** Oracle and rule judges under an AND consensus, with the tokenizer of the rollouts. */
  config: AnnotateConfig;
}

/** `count` problems at difficulty 1 (seeds 0 … count−1), each answered once by the noisy solver seeded `solverSeed`. */
export function solverRollouts(count: number, solverSeed: number, alphabet: string): SolverRollouts {
  const task = getTask('arithmetic');
  const solver = new NoisySolver({ ...DEFAULT_NOISY_SOLVER, seed: solverSeed });
  const tokenizer = CharTokenizer.fromTexts([alphabet]);
  const problems = new Map<string, Problem>();
  const rollouts: Rollout[] = [];
  for (let seed = 0; seed < count; seed++) {
    const problem = task.generate(seed, 1);
    problems.set(problem.id, problem);
    rollouts.push(modelFreeRollout(task, problem, solver.solve(problem).text, tokenizer));
  }
  const config: AnnotateConfig = {
    task: 'arithmetic',
    tokenizer: tokenizer.toJSON(),
    segmenter: {},
    judges: ['oracle', 'rule'],
    mode: 'and',
  };
  return { rollouts, problems, config };
}
