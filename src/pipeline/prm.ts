// The PRM stage: Math-Shepherd Monte-Carlo labels of each step (completions
// sampled from the policy from every step prefix; saved per chunk of
// responses), a 2-way head trained on the policy's transformer, written as
// checkpoint.safetensors with a resume checkpoint while it trains. Every face
// trains its PRM here; prmJudge turns the result into a judge.
import { checkSameTask, taskRecord } from '../tasks/index.ts';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointState } from '../checkpoint/checkpoint.ts';
import type { Rollout } from '../data/rollouts.ts';
import { CharTokenizer } from '../data/tokenizer.ts';
import type { GpuContext } from '../gpu/context.ts';
import { OracleJudge } from '../judge/oracle-judge.ts';
import {
  monteCarloLabels,
  PrmJudge,
  prmInitialParameters,
  prmRows,
  prmSequence,
  prmTokenizer,
  type PrmExample,
} from '../judge/prm.ts';
import { RuleJudge } from '../judge/rule-judge.ts';
import { Gpt2 } from '../model/gpt2.ts';
import { defaultSegmenter } from '../segment/index.ts';
import type { Problem, StepSpan, Task } from '../tasks/task.ts';
import { DEFAULT_ADAMW } from '../train/optimizer.ts';
import { SftTrainer } from '../train/sft.ts';
import { Random } from '../util/random.ts';
import { runChunks } from './chunks.ts';
import { PRM_DEFAULTS } from './defaults.ts';
import type { StageHooks } from './hooks.ts';
import type { Policy } from './policy.ts';
import type { ArtifactStore } from './store.ts';

/**
 * mc: soft Monte-Carlo labels (the share of completions that end right); mc-hard: 1 when any does;
 * or another judge's labels.
 */
export type PrmLabelSource = 'mc' | 'mc-hard' | 'oracle' | 'rule';

export interface PrmStageOptions {
  labels: PrmLabelSource;
  completions: number;
  temperature: number;
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Learn from at most this many responses (Monte-Carlo labels cost completions × steps generations each). */
  maxResponses?: number;
  /** Rows generated together for Monte-Carlo labels. */
  batch?: number;
  checkpointEvery?: number;
}

export interface PrmStageResult {
  examples: number;
  correctShare: number;
  /** The trained PRM (with its optimizer state). */
  state: CheckpointState;
}

/** Scratch artifacts of the stage, removed once the face has recorded it done. */
export const PRM_SCRATCH = ['label-chunks', 'resume.safetensors'];

/**
 * Labels each response's steps, trains a PRM from the policy's weights, writes checkpoint.safetensors
 * to `store`; resumable from its label chunks and resume.safetensors.
 */
export async function prmStage(
  policy: Policy,
  task: Task,
  rollouts: readonly Rollout[],
  problems: Map<string, Problem>,
  options: PrmStageOptions,
  store: ArtifactStore,
  hooks: StageHooks,
): Promise<PrmStageResult> {
  const segmenter = defaultSegmenter(task);
  const chosen =
    options.maxResponses !== undefined && options.maxResponses < rollouts.length
      ? sampleWithoutReplacement(rollouts, options.maxResponses, options.seed)
      : rollouts;
  const items = chosen
    .map((r) => ({ problem: problems.get(r.prompt_id)!, response: r.response, steps: segmenter.segment(r.response) }))
    .filter((it) => it.steps.length > 0);
  // The PRM's alphabet (π_ref's plus the marker and label tokens) and context: checked now, trained on below.
  const tokenizer = prmTokenizer(policy.tokenizer);
  const T = policy.checkpoint.config.contextLength;
  checkLearnable(tokenizer, T, chosen.length, items);
  const batch = options.batch ?? 64;
  let labels: number[][];
  if (options.labels === 'mc' || options.labels === 'mc-hard') {
    hooks.log(`Monte-Carlo labels: ${options.completions} completions from each step's prefix, sampled from π_ref`);
    // Chunks of responses, each with its own seed: the same labels whether or not the run was interrupted.
    const size = PRM_DEFAULTS.labelChunk;
    const count = Math.ceil(items.length / size);
    const key = {
      reference: policy.path,
      step: policy.checkpoint.step,
      responses: items.map((it) => `${it.problem.id}:${it.response.length}`).join(','),
      completions: options.completions,
      temperature: options.temperature,
      seed: options.seed,
      batch,
    };
    const progress = hooks.progress({ stage: `${hooks.stage}-labels`, unit: 'responses', total: items.length });
    let mc: { soft: number[]; hard: (0 | 1)[] }[][];
    try {
      mc = await runChunks(
        store.at('label-chunks'),
        key,
        count,
        (c) =>
          monteCarloLabels(policy.model, policy.tokenizer, task, items.slice(c * size, (c + 1) * size), {
            completions: options.completions,
            temperature: options.temperature,
            seed: (options.seed + c * 0x85ebca6b) >>> 0,
            batchRows: batch,
          }),
        {
          hooks,
          where: (c) => `during ${hooks.stage} labels, after chunk ${c + 1}/${count}`,
          onChunk: (c) => progress.update(Math.min((c + 1) * size, items.length), { log: true }),
        },
      );
    } finally {
      progress.stop();
    }
    labels = mc.flat().map((m) => (options.labels === 'mc' ? m.soft : m.hard));
  } else {
    const judge = options.labels === 'oracle' ? new OracleJudge(task) : new RuleJudge({ task });
    labels = [];
    for (const it of items) labels.push((await judge.judge(it)).map((v) => (v.label === 1 ? 1 : 0)));
  }
  const examples: PrmExample[] = items.map((it, i) => ({
    prompt: it.problem.prompt,
    response: it.response,
    steps: it.steps,
    labels: labels[i],
  }));
  const stepLabels = labels.flat();
  const correctShare = stepLabels.reduce((a, b) => a + b, 0) / Math.max(1, stepLabels.length);
  hooks.log(`${examples.length} responses, ${stepLabels.length} steps; mean label ${correctShare.toFixed(3)}`);

  const base = policy.checkpoint.config;
  const config = { ...base, vocabSize: tokenizer.size };
  const model = new Gpt2(policy.context, config);
  model.loadParameters(prmInitialParameters(policy.checkpoint.parameters, base.vocabSize, base.width, options.seed));
  const trainer = new SftTrainer(model, prmRows(tokenizer, examples, T), {
    batchSize: options.batchSize,
    microBatches: 1,
    seed: options.seed,
    adamw: { ...DEFAULT_ADAMW, weightDecay: 0 },
    schedule: {
      maxLr: options.lr,
      minLr: options.lr / 10,
      warmupSteps: Math.min(PRM_DEFAULTS.maxWarmup, options.steps),
      totalSteps: options.steps,
    },
  });
  const resume = await store.read('resume.safetensors');
  if (resume !== null) trainer.restore(decodeCheckpoint(resume, store.locate('resume.safetensors')));
  const extra = {
    kind: 'prm',
    tokenizer: tokenizer.toJSON(),
    labels: options.labels,
    completions: options.completions,
    ...taskRecord(task),
  };
  const every = options.checkpointEvery ?? 100;
  const progress = hooks.progress({
    stage: `${hooks.stage}-train`,
    unit: 'steps',
    total: options.steps,
    start: trainer.step,
  });
  try {
    while (trainer.step < options.steps) {
      await hooks.tick();
      const s = trainer.step + 1;
      const read = s % PRM_DEFAULTS.logEvery === 0 || s === options.steps;
      const r = await trainer.trainStep({ readLoss: read });
      progress.update(s, { tokens: r.processed, metrics: read ? { loss: r.loss! } : undefined, log: read });
      if ((s % every === 0 && s < options.steps) || hooks.stopRequested())
        await store.write('resume.safetensors', encodeCheckpoint(await trainer.checkpointState(extra)));
      hooks.stopHere(`during ${hooks.stage} training, at step ${s}/${options.steps}`);
    }
    progress.stop();
    const state = await trainer.checkpointState(extra);
    await store.write('checkpoint.safetensors', encodeCheckpoint(state));
    // The label chunks and resume.safetensors stay until the face has recorded the stage as done (PRM_SCRATCH).
    return { examples: examples.length, correctShare, state };
  } finally {
    progress.stop();
    trainer.destroy();
    model.destroy();
  }
}

/** The PRM judge of a PRM checkpoint, on `context`; close() releases its model. */
export function prmJudge(
  context: GpuContext,
  checkpoint: CheckpointState,
  threshold: number,
  path = 'the PRM checkpoint',
  task?: Task,
): { judge: PrmJudge; close(): void } {
  const extra = checkpoint.extra as { kind?: string; tokenizer?: unknown; task?: string };
  if (extra?.kind !== 'prm') throw new Error(`${path} is not a PRM checkpoint (train one with gemstone prm).`);
  if (task !== undefined) checkSameTask(path, extra.task, task);
  const model = new Gpt2(context, checkpoint.config);
  model.loadParameters(checkpoint.parameters);
  const judge = new PrmJudge(model, CharTokenizer.fromJSON(extra.tokenizer), {
    threshold,
    batchRows: PRM_DEFAULTS.judgeRows,
  });
  return { judge, close: () => model.destroy() };
}

function sampleWithoutReplacement<T>(items: readonly T[], count: number, seed: number): T[] {
  const random = new Random(seed);
  const copy = [...items];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random.next() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, count);
}

/**
 * The PRM learns at the markers after steps that end within the context. When no chosen response has one,
 * there is nothing to train on: say so before the Monte-Carlo labels are paid for.
 */
function checkLearnable(
  tokenizer: CharTokenizer,
  T: number,
  chosen: number,
  items: readonly { problem: Problem; response: string; steps: StepSpan[] }[],
): void {
  if (items.some((it) => prmSequence(tokenizer, it.problem.prompt, it.response, it.steps, T).markers.length > 0))
    return;
  throw new Error(
    items.length === 0
      ? `PRM: nothing to learn from: none of the ${chosen} responses chosen has a step; π_ref does not write the ` +
          "task's steps yet. Train it longer, or run without the PRM judge."
      : `PRM: nothing to learn from: of the ${chosen} responses chosen, ${items.length} have a step, and none ` +
          `ends within the model's ${T}-token context (the prompt and first step are longer). Use a preset with a ` +
          'longer context, or run without the PRM judge.',
  );
}
