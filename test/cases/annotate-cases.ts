// Annotation in workers gives the same records in every runtime: a fixed
// rollout set from the noisy solver, annotated by a pool of two workers
// (oracle + rule judges, AND consensus), hashed, and compared with the hash
// the same run gives in Node. Also equal to annotating in the calling thread.
import type { Rollout } from '../../src/data/rollouts.ts';
import { CharTokenizer } from '../../src/data/tokenizer.ts';
import { canonicalJson, sha256Hex } from '../../src/judge/judge-cache.ts';
import { getTask } from '../../src/tasks/index.ts';
import { DEFAULT_NOISY_SOLVER, NoisySolver } from '../../src/tasks/noisy-solver.ts';
import type { Problem } from '../../src/tasks/task.ts';
import { annotateRollouts } from '../../src/workers/annotate-run.ts';
import { annotateService, type AnnotateConfig } from '../../src/workers/annotate-service.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import type { KernelCase } from './kernel-cases.ts';

/** sha256 of the annotated records below, as computed in Node; every runtime must reproduce it. */
export const ANNOTATION_HASH = 'ed212032532448a5767b6203cfe97e16f8885d096fcf13bbfff23d1244046565';

export function annotationFixture(): { rollouts: Rollout[]; problems: Map<string, Problem>; config: AnnotateConfig } {
  const task = getTask('arithmetic');
  const solver = new NoisySolver({ ...DEFAULT_NOISY_SOLVER, seed: 5 });
  const tokenizer = CharTokenizer.fromTexts(['0123456789+-*/%=:., \nStartAnswerStepCheckoknotWaitlemchisrg']);
  const problems = new Map<string, Problem>();
  const rollouts: Rollout[] = [];
  for (let seed = 0; seed < 24; seed++) {
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
      answer: task.extractAnswer(response),
    });
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

export const annotateCases: KernelCase[] = [
  {
    name: 'annotation in a pool of workers is identical in every runtime and to the calling thread',
    async run() {
      const { rollouts, problems, config } = annotationFixture();
      const pool = await WorkerPool.create(2);
      try {
        const inWorkers = await annotateRollouts(rollouts, problems, config, { pool, chunk: 5 });
        const inThread = await annotateService.annotate(
          rollouts.map((r) => ({ rollout: r, problem: problems.get(r.prompt_id)! })),
          config,
        );
        const [a, b] = [canonicalJson(inWorkers), canonicalJson(inThread)];
        if (a !== b) throw new Error('workers and the calling thread annotated differently');
        const negatives = inWorkers.filter((r) => r.reward === 0);
        if (negatives.length === 0 || !negatives.some((r) => r.beta_mask.includes(1)))
          throw new Error('the fixture should hold negatives with mined (β) tokens');
        const hash = await sha256Hex(a);
        if (hash !== ANNOTATION_HASH) throw new Error(`annotation hash ${hash} differs from Node's ${ANNOTATION_HASH}`);
      } finally {
        pool.terminate();
      }
    },
  },
];
