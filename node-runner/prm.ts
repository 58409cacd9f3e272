// Training and loading the PRM judge for the command line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { readFileBytes, writeFileAtomic } from '../src/checkpoint/files.ts';
import type { Rollout } from '../src/data/rollouts.ts';
import { CharTokenizer } from '../src/data/tokenizer.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { OracleJudge } from '../src/judge/oracle-judge.ts';
import {
  monteCarloLabels,
  PrmJudge,
  prmInitialParameters,
  prmRows,
  prmTokenizer,
  type PrmExample,
} from '../src/judge/prm.ts';
import { RuleJudge } from '../src/judge/rule-judge.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { defaultSegmenter } from '../src/segment/index.ts';
import type { Problem, Task } from '../src/tasks/task.ts';
import { Random } from '../src/util/random.ts';
import { DEFAULT_ADAMW } from '../src/train/optimizer.ts';
import { SftTrainer } from '../src/train/sft.ts';
import { chunkStore, runChunks } from './chunks.ts';
import { NEVER } from './interrupt.ts';
import type { Policy } from './policy.ts';
import { SILENT, type StageIO } from './reporter.ts';

/** mc: soft Monte-Carlo labels (the share of completions that end right); mc-hard: 1 when any does; or another judge's labels. */
export type PrmLabelSource = 'mc' | 'mc-hard' | 'oracle' | 'rule';

export interface TrainPrmOptions {
  labels: PrmLabelSource;
  completions: number;
  temperature: number;
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** The PRM's folder: checkpoint.safetensors, and while it works, label chunks and a resume checkpoint. */
  out: string;
  /** Learn from at most this many responses (Monte-Carlo labels cost completions × steps generations each). */
  maxResponses?: number;
  /** Rows generated together for Monte-Carlo labels. */
  batch?: number;
  checkpointEvery?: number;
}

/** Files a finished PRM stage no longer needs (remove them once the stage is marked done). */
export const PRM_SCRATCH = ['label-chunks', 'resume.safetensors'];

/** Responses per saved chunk of Monte-Carlo labels. */
const LABEL_CHUNK = 16;

/**
 * Labels each response's steps, trains a PRM from π_ref's weights, writes <out>/checkpoint.safetensors.
 * Resumable: labels are saved per chunk of responses, training checkpoints to <out>/resume.safetensors.
 */
export async function trainPrm(
  policy: Policy,
  task: Task,
  rollouts: Rollout[],
  problems: Map<string, Problem>,
  options: TrainPrmOptions,
  io: StageIO = { reporter: SILENT, interrupt: NEVER, stage: 'prm' },
): Promise<{ examples: number; path: string; correctShare: number }> {
  const { reporter, interrupt } = io;
  const segmenter = defaultSegmenter(task);
  const chosen =
    options.maxResponses !== undefined && options.maxResponses < rollouts.length
      ? sampleWithoutReplacement(rollouts, options.maxResponses, options.seed)
      : rollouts;
  const items = chosen
    .map((r) => ({ problem: problems.get(r.prompt_id)!, response: r.response, steps: segmenter.segment(r.response) }))
    .filter((it) => it.steps.length > 0);
  let labels: number[][];
  if (options.labels === 'mc' || options.labels === 'mc-hard') {
    reporter.info(`Monte-Carlo labels: ${options.completions} completions from each step's prefix, sampled from π_ref`);
    // Chunks of responses, each with its own seed: the same labels whether or not the run was interrupted.
    const count = Math.ceil(items.length / LABEL_CHUNK);
    const store = await chunkStore<{ soft: number[]; hard: (0 | 1)[] }[]>(join(options.out, 'label-chunks'), {
      reference: policy.path,
      step: policy.checkpoint.step,
      responses: items.map((it) => `${it.problem.id}:${it.response.length}`).join(','),
      completions: options.completions,
      temperature: options.temperature,
      seed: options.seed,
      batch: options.batch ?? 64,
    });
    const progress = reporter.progress({ stage: `${io.stage}-labels`, unit: 'responses', total: items.length });
    let mc: { soft: number[]; hard: (0 | 1)[] }[][];
    try {
      mc = await runChunks(
        store,
        count,
        (c) =>
          monteCarloLabels(policy.model, policy.tokenizer, task, items.slice(c * LABEL_CHUNK, (c + 1) * LABEL_CHUNK), {
            completions: options.completions,
            temperature: options.temperature,
            seed: (options.seed + c * 0x85ebca6b) >>> 0,
            batchRows: options.batch ?? 64,
          }),
        {
          interrupt,
          where: (c) => `during ${io.stage} labels, after chunk ${c + 1}/${count}`,
          onChunk: (c) => progress.update(Math.min((c + 1) * LABEL_CHUNK, items.length), { log: true }),
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
  reporter.info(`${examples.length} responses, ${stepLabels.length} steps; mean label ${correctShare.toFixed(3)}`);

  const tokenizer = prmTokenizer(policy.tokenizer);
  const base = policy.checkpoint.config;
  const config = { ...base, vocabSize: tokenizer.size };
  const model = new Gpt2(policy.context, config);
  model.loadParameters(prmInitialParameters(policy.checkpoint.parameters, base.vocabSize, base.width, options.seed));
  const trainer = new SftTrainer(model, prmRows(tokenizer, examples, config.contextLength), {
    batchSize: options.batchSize,
    microBatches: 1,
    seed: options.seed,
    adamw: { ...DEFAULT_ADAMW, weightDecay: 0 },
    schedule: {
      maxLr: options.lr,
      minLr: options.lr / 10,
      warmupSteps: Math.min(20, options.steps),
      totalSteps: options.steps,
    },
  });
  const resumePath = join(options.out, 'resume.safetensors');
  if (existsSync(resumePath)) trainer.restore(decodeCheckpoint(await readFileBytes(resumePath), resumePath));
  const extra = {
    kind: 'prm',
    tokenizer: tokenizer.toJSON(),
    labels: options.labels,
    completions: options.completions,
    task: task.name,
  };
  const every = options.checkpointEvery ?? 100;
  const progress = reporter.progress({
    stage: `${io.stage}-train`,
    unit: 'steps',
    total: options.steps,
    start: trainer.step,
  });
  try {
    while (trainer.step < options.steps) {
      const s = trainer.step + 1;
      const read = s % 25 === 0 || s === options.steps;
      const r = await trainer.trainStep({ readLoss: read });
      progress.update(s, { tokens: r.processed, metrics: read ? { loss: r.loss! } : undefined, log: read });
      if ((s % every === 0 && s < options.steps) || interrupt.requested)
        await writeFileAtomic(resumePath, encodeCheckpoint(await trainer.checkpointState(extra)));
      interrupt.check(`during ${io.stage} training, at step ${s}/${options.steps}`);
    }
  } catch (error) {
    progress.stop();
    trainer.destroy();
    model.destroy();
    throw error;
  }
  progress.stop();
  const path = join(options.out, 'checkpoint.safetensors');
  await writeFileAtomic(path, encodeCheckpoint(await trainer.checkpointState(extra)));
  // The label chunks and resume.safetensors stay until the caller has recorded the stage as done (PRM_SCRATCH).
  trainer.destroy();
  model.destroy();
  return { examples: examples.length, path, correctShare };
}

/** A PRM judge from a folder written by trainPrm; close() releases its GPU. */
export async function loadPrmJudge(
  location: string | undefined,
  threshold: number,
  adapter?: string,
): Promise<{ judge: PrmJudge; close(): void }> {
  if (location === undefined) throw new Error('--judges prm needs --prm DIR (train one with gemstone prm).');
  const path = location.endsWith('.safetensors') ? location : join(location, 'checkpoint.safetensors');
  const checkpoint = decodeCheckpoint(await readFileBytes(path), path);
  const extra = checkpoint.extra as { kind?: string; tokenizer?: unknown };
  if (extra?.kind !== 'prm') throw new Error(`${path} is not a PRM checkpoint (train one with gemstone prm).`);
  const context = await GpuContext.create({ adapter });
  const model = new Gpt2(context, checkpoint.config);
  model.loadParameters(checkpoint.parameters);
  const judge = new PrmJudge(model, CharTokenizer.fromJSON(extra.tokenizer), { threshold, batchRows: 32 });
  return {
    judge,
    close: () => {
      model.destroy();
      context.destroy();
    },
  };
}

function sampleWithoutReplacement<T>(items: T[], count: number, seed: number): T[] {
  const random = new Random(seed);
  const copy = [...items];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random.next() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, count);
}
