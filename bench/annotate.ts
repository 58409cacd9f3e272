// Segmentation + judges (oracle, rule) + consensus throughput in 1, 2 and 4
// workers, on noisy-solver traces shaped like rollouts (no GPU involved).
import type { Rollout } from '../src/data/rollouts.ts';
import { CharTokenizer } from '../src/data/tokenizer.ts';
import { getTask } from '../src/tasks/index.ts';
import { DEFAULT_NOISY_SOLVER, NoisySolver } from '../src/tasks/noisy-solver.ts';
import type { Problem } from '../src/tasks/task.ts';
import { annotateRollouts } from '../src/workers/annotate-run.ts';
import type { AnnotateConfig } from '../src/workers/annotate-service.ts';
import { WorkerPool } from '../src/workers/pool.ts';
import { median } from './timing.ts';

export interface AnnotateBenchCase {
  name: string;
  workers: number;
  responses_per_s: number;
}

function dataset(count: number): { rollouts: Rollout[]; problems: Map<string, Problem>; config: AnnotateConfig } {
  const task = getTask('arithmetic');
  const solver = new NoisySolver({ ...DEFAULT_NOISY_SOLVER, seed: 2 });
  const tokenizer = CharTokenizer.fromTexts(['0123456789+-*/%=:., \nStartAnswerStepCheckoknot']);
  const problems = new Map<string, Problem>();
  const rollouts: Rollout[] = [];
  for (let seed = 0; seed < count; seed++) {
    const problem = task.generate(seed, 1);
    problems.set(problem.id, problem);
    const response = solver.solve(problem).text;
    const tokens = [...tokenizer.encode(response), tokenizer.eos];
    rollouts.push({
      prompt_id: problem.id,
      prompt: problem.prompt,
      reference_answer: problem.answer,
      index: 0,
      response,
      prompt_tokens: tokenizer.encode(problem.prompt),
      response_tokens: tokens,
      logprobs_ref: tokens.map(() => -1),
      logprobs_sample: tokens.map(() => -1),
      reward: task.verify(problem, response) ? 1 : 0,
      answer: null,
    });
  }
  return {
    rollouts,
    problems,
    config: {
      task: 'arithmetic',
      tokenizer: tokenizer.toJSON(),
      segmenter: {},
      judges: ['oracle', 'rule'],
      mode: 'and',
    },
  };
}

export async function benchAnnotate(counts = [1, 2, 4], responses = 2000): Promise<AnnotateBenchCase[]> {
  const { rollouts, problems, config } = dataset(responses);
  const out: AnnotateBenchCase[] = [];
  for (const workers of counts) {
    const pool = await WorkerPool.create(workers);
    try {
      await annotateRollouts(rollouts.slice(0, 200), problems, config, { pool, chunk: 50 }); // warm up every worker
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        await annotateRollouts(rollouts, problems, config, { pool, chunk: Math.ceil(responses / (4 * workers)) });
        samples.push((performance.now() - start) / 1000);
      }
      out.push({
        name: `annotate (segment + oracle + rule + AND) ${workers} worker${workers > 1 ? 's' : ''}`,
        workers,
        responses_per_s: responses / median(samples),
      });
    } finally {
      pool.terminate();
    }
  }
  return out;
}
