// The PRM judge trained in the page: Math-Shepherd Monte-Carlo labels sampled
// from the current policy (or the rule judge's labels when asked), a 2-way
// head on the policy's transformer, then PrmJudge scores steps on the GPU.
// The same steps as node-runner/prm.ts (trainPrm), without its files.
import type { CheckpointState } from '../../../src/checkpoint/checkpoint.ts';
import type { CharTokenizer } from '../../../src/data/tokenizer.ts';
import type { Rollout } from '../../../src/data/rollouts.ts';
import type { GpuContext } from '../../../src/gpu/context.ts';
import {
  monteCarloLabels,
  PrmJudge,
  prmInitialParameters,
  prmRows,
  prmTokenizer,
  type PrmExample,
} from '../../../src/judge/prm.ts';
import { Gpt2 } from '../../../src/model/gpt2.ts';
import { defaultSegmenter } from '../../../src/segment/index.ts';
import type { Problem, Task } from '../../../src/tasks/task.ts';
import { DEFAULT_ADAMW } from '../../../src/train/optimizer.ts';
import { SftTrainer } from '../../../src/train/sft.ts';

export interface PagePrmOptions {
  steps: number;
  /** Responses the PRM learns from (Monte-Carlo labels cost completions × steps generations each). */
  maxResponses: number;
  completions: number;
  temperature: number;
  seed: number;
  tick: () => Promise<void>;
  progress: (line: string) => void;
}

export async function trainPagePrm(
  context: GpuContext,
  policy: { model: Gpt2; tokenizer: CharTokenizer; checkpoint: CheckpointState },
  task: Task,
  rollouts: Rollout[],
  problems: Map<string, Problem>,
  options: PagePrmOptions,
): Promise<{ judge: PrmJudge; close(): void }> {
  const segmenter = defaultSegmenter(task);
  const items = rollouts
    .slice(0, options.maxResponses)
    .map((r) => ({ problem: problems.get(r.prompt_id)!, response: r.response, steps: segmenter.segment(r.response) }))
    .filter((it) => it.steps.length > 0);
  options.progress(
    `PRM: Monte-Carlo labels, ${options.completions} completions from each step prefix of ${items.length} responses`,
  );
  await options.tick();
  const mc = await monteCarloLabels(policy.model, policy.tokenizer, task, items, {
    completions: options.completions,
    temperature: options.temperature,
    seed: options.seed,
    batchRows: 64,
  });
  const examples: PrmExample[] = items.map((it, i) => ({
    prompt: it.problem.prompt,
    response: it.response,
    steps: it.steps,
    labels: mc[i].soft,
  }));

  const tokenizer = prmTokenizer(policy.tokenizer);
  const base = policy.checkpoint.config;
  const model = new Gpt2(context, { ...base, vocabSize: tokenizer.size });
  model.loadParameters(prmInitialParameters(policy.checkpoint.parameters, base.vocabSize, base.width, options.seed));
  const trainer = new SftTrainer(model, prmRows(tokenizer, examples, base.contextLength), {
    batchSize: 16,
    microBatches: 1,
    seed: options.seed,
    adamw: { ...DEFAULT_ADAMW, weightDecay: 0 },
    schedule: { maxLr: 1e-3, minLr: 1e-4, warmupSteps: Math.min(20, options.steps), totalSteps: options.steps },
  });
  for (let s = 1; s <= options.steps; s++) {
    await options.tick();
    const read = s % 25 === 0 || s === options.steps;
    const r = await trainer.trainStep({ readLoss: read });
    await context.sync();
    if (read) options.progress(`PRM step ${s}/${options.steps} · loss ${r.loss!.toFixed(4)}`);
  }
  trainer.destroy();
  const judge = new PrmJudge(model, tokenizer, { threshold: 0.5, batchRows: 32 });
  return { judge, close: () => model.destroy() };
}
