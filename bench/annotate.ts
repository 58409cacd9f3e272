// Segmentation + judges (oracle, rule) + consensus throughput in 1, 2 and 4
// workers, on noisy-solver traces shaped like rollouts (no GPU involved).
import { solverRollouts } from '../src/data/solver-rollouts.ts';
import { annotateRollouts } from '../src/workers/annotate-run.ts';
import { WorkerPool } from '../src/workers/pool.ts';
import { median } from './timing.ts';

export interface AnnotateBenchCase {
  name: string;
  workers: number;
  responses_per_s: number;
}

export async function benchAnnotate(counts = [1, 2, 4], responses = 2000): Promise<AnnotateBenchCase[]> {
  const { rollouts, problems, config } = solverRollouts(
    responses,
    2,
    '0123456789+-*/%=:., \nStartAnswerStepCheckoknot',
  );
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
