// Annotating a rollout set: chunks go to the worker pool (segmentation, CPU
// judges, consensus, β mask) while the main thread runs the judges that need
// the GPU (PRM) or the network (LLM) on the same steps. Output keeps input order.
import type { Rollout } from '../data/rollouts.ts';
import type { AnnotatedRollout } from '../judge/annotate.ts';
import type { Judge, StepVerdict } from '../judge/judge.ts';
import type { PrmJudge } from '../judge/prm.ts';
import type { Problem } from '../tasks/task.ts';
import type { AnnotateConfig, ExternalVerdicts } from './annotate-service.ts';
import type { WorkerPool } from './pool.ts';

export interface AnnotateRunOptions {
  pool: WorkerPool;
  /** Rollouts per worker message. */
  chunk: number;
  llm?: Judge;
  prm?: PrmJudge;
  onChunk?: (done: number, total: number) => void;
}

export async function annotateRollouts(
  rollouts: Rollout[],
  problems: Map<string, Problem>,
  config: AnnotateConfig,
  options: AnnotateRunOptions,
): Promise<AnnotatedRollout[]> {
  const chunks: Rollout[][] = [];
  for (let i = 0; i < rollouts.length; i += options.chunk) chunks.push(rollouts.slice(i, i + options.chunk));
  let gpu: Promise<unknown> = Promise.resolve(); // the PRM shares one model: one batch at a time
  let done = 0;
  const results = await Promise.all(
    chunks.map(async (chunk) => {
      const worker = options.pool.worker();
      const items = chunk.map((rollout) => {
        const problem = problems.get(rollout.prompt_id);
        if (problem === undefined) throw new Error(`annotate: no problem for ${rollout.prompt_id}.`);
        // Workers need neither log-prob array: leaving them out halves what is copied to them.
        return { rollout: { ...rollout, logprobs_ref: [], logprobs_sample: [] }, problem };
      });
      const external: Record<string, ExternalVerdicts> = {};
      const needsSteps = config.judges.some((j) => j === 'llm' || j === 'prm');
      if (needsSteps) {
        const steps = await worker.segment(
          chunk.map((r) => r.response),
          config,
        );
        const inputs = items.map((it, i) => ({ problem: it.problem, response: it.rollout.response, steps: steps[i] }));
        if (config.judges.includes('llm')) {
          if (options.llm === undefined)
            throw new Error('annotate: the llm judge was asked for but not configured (--llm-url, --llm-model).');
          const llm = options.llm;
          const verdicts: StepVerdict[][] = await Promise.all(inputs.map((input) => llm.judge(input)));
          external.llm = { simulated: llm.simulated === true, verdicts };
        }
        if (config.judges.includes('prm')) {
          if (options.prm === undefined)
            throw new Error('annotate: the prm judge was asked for but no PRM was given (--prm DIR).');
          const prm = options.prm;
          const run = gpu.then(() => prm.judgeMany(inputs));
          gpu = run.catch(() => {});
          external.prm = { simulated: false, verdicts: await run };
        }
      }
      const annotated = await worker.annotate(items, config, external);
      done += chunk.length;
      options.onChunk?.(done, rollouts.length);
      return annotated;
    }),
  );
  return results.flat();
}
