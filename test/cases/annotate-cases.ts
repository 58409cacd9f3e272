// Annotation in workers gives the same records in every runtime: a fixed
// rollout set from the noisy solver, annotated by a pool of two workers
// (oracle + rule judges, AND consensus), hashed, and compared with the hash
// the same run gives in Node. Also equal to annotating in the calling thread.
import { type SolverRollouts, solverRollouts } from '../../src/data/solver-rollouts.ts';
import { canonicalJson, sha256Hex } from '../../src/judge/judge-cache.ts';
import { annotateRollouts } from '../../src/workers/annotate-run.ts';
import { annotateService } from '../../src/workers/annotate-service.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import type { KernelCase } from './kernel-cases.ts';

/** sha256 of the annotated records below, as computed in Node; every runtime must reproduce it. */
export const ANNOTATION_HASH = 'ed212032532448a5767b6203cfe97e16f8885d096fcf13bbfff23d1244046565';

/** 24 noisy-solver responses with a tokenizer whose alphabet also covers the solver's self-checks. */
export function annotationFixture(): SolverRollouts {
  return solverRollouts(24, 5, '0123456789+-*/%=:., \nStartAnswerStepCheckoknotWaitlemchisrg');
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
