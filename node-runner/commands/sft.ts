// `gemstone sft`: supervised fine-tuning of a GPT-2 on {prompt, completion} JSONL
// (or on a built-in task's noisy-solver traces: that trains π_ref), with a
// progress bar, metrics JSONL, checkpoints, Ctrl-C that saves, and exact resume.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { readFileBytes, writeFileAtomic } from '../../src/checkpoint/files.ts';
import { toJsonl } from '../../src/data/jsonl.ts';
import { readPromptCompletions, toSftRow, type PromptCompletion } from '../../src/data/sft-data.ts';
import { CharTokenizer } from '../../src/data/tokenizer.ts';
import { GpuContext } from '../../src/gpu/context.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { parameterCount, PRESETS, presetConfig } from '../../src/model/config.ts';
import { generate } from '../../src/model/generate.ts';
import { Gpt2 } from '../../src/model/gpt2.ts';
import { DEFAULT_ADAMW } from '../../src/train/optimizer.ts';
import { SftTrainer, type SftOptions } from '../../src/train/sft.ts';
import { getTask, TASK_NAMES } from '../../src/tasks/index.ts';
import { DEFAULT_DIFFICULTY } from '../../src/tasks/arithmetic.ts';
import { DEFAULT_NOISY_SOLVER, NoisySolver, sftRecords } from '../../src/tasks/noisy-solver.ts';
import { evaluate } from '../../src/train/evaluate.ts';
import { defineCommand } from '../command.ts';
import { ConfigError } from '../config.ts';
import { heldOutProblems } from '../policy.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import type { StageIO } from '../reporter.ts';
import { choice, int, num, type DefaultContext, type OptionSpec } from '../spec.ts';

export interface SftCliOptions {
  preset: string;
  data?: string;
  task?: string;
  records: number;
  difficulty: number;
  evalPrompts: number;
  out: string;
  steps: number;
  batchSize: number;
  microBatches: number;
  context?: number;
  lr: number;
  minLr?: number;
  warmup: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  logEvery: number;
  checkpointEvery: number;
  adapter?: string;
  samples: number;
}

const D = STAGE_DEFAULTS.sft;
/** A default that differs between --task (π_ref, from the profile) and --data (a quick start). */
const byMode = (task: (c: DefaultContext) => unknown, data: unknown) => (c: DefaultContext) =>
  c.given.task !== undefined ? task(c) : data;
const P = (c: DefaultContext) => PROFILES[c.profile].pipeline;

export const SFT_OPTIONS: OptionSpec[] = [
  { key: 'data', help: 'JSONL file, one {"prompt": ..., "completion": ...} per line', kind: { type: 'file' } },
  {
    key: 'task',
    help: 'train on noisy-solver traces of a built-in task instead of --data (this trains π_ref)',
    kind: choice(TASK_NAMES),
  },
  {
    key: 'preset',
    help: 'model size',
    kind: choice(Object.keys(PRESETS)),
    default: byMode((c) => P(c).preset, D.data.preset),
    defaultHelp: `${D.data.preset}; with --task: ${PROFILES.software.pipeline.preset}`,
  },
  {
    key: 'records',
    help: 'with --task: how many training traces',
    kind: int(),
    default: (c: DefaultContext) => P(c).records,
    defaultHelp: profileHelp('records'),
  },
  { key: 'difficulty', help: 'with --task: problem difficulty', kind: int(), default: DEFAULT_DIFFICULTY },
  {
    key: 'evalPrompts',
    help: 'with --task: held-out prompts for greedy accuracy at the end (0: skip)',
    kind: int(0),
    default: (c: DefaultContext) => P(c).evalPrompts,
    defaultHelp: profileHelp('evalPrompts'),
  },
  {
    key: 'steps',
    help: 'total optimizer steps (a resumed run may raise it)',
    kind: int(),
    default: byMode((c) => P(c).sftSteps, D.data.steps),
    defaultHelp: `${D.data.steps}; with --task: ${profileHelp('sftSteps')}`,
  },
  {
    key: 'batchSize',
    help: 'sequences per step',
    kind: int(),
    default: byMode((c) => P(c).sftBatchSize, D.data.batchSize),
    defaultHelp: `${D.data.batchSize}; with --task: ${profileHelp('sftBatchSize')}`,
  },
  {
    key: 'microBatches',
    help: 'split each step into this many accumulated micro-batches',
    kind: int(),
    default: D.microBatches,
  },
  {
    key: 'context',
    help: 'sequence length (default: the preset context, or what the data needs if shorter)',
    kind: int(),
  },
  {
    key: 'lr',
    help: 'peak learning rate (warmup, then cosine)',
    kind: num({ positive: true }),
    default: byMode((c) => P(c).sftLr, D.data.lr),
    defaultHelp: `${D.data.lr}; with --task: ${profileHelp('sftLr')}`,
  },
  { key: 'minLr', help: 'final learning rate of the cosine schedule (default lr/10)', kind: num({ min: 0 }) },
  {
    key: 'warmup',
    help: 'warmup steps',
    kind: int(0),
    default: byMode((c) => P(c).sftWarmup, D.data.warmup),
    defaultHelp: `${D.data.warmup}; with --task: ${profileHelp('sftWarmup')}`,
  },
  { key: 'weightDecay', help: 'AdamW decoupled weight decay', kind: num({ min: 0 }), default: D.weightDecay },
  {
    key: 'maxGradNorm',
    help: 'clip gradients to this global norm (0: off)',
    kind: num({ min: 0 }),
    default: D.maxGradNorm,
  },
  {
    key: 'seed',
    help: 'seed for initialisation and data order',
    kind: int(),
    default: (c: DefaultContext) => P(c).seed,
    defaultHelp: '1',
  },
  {
    key: 'logEvery',
    help: 'read the loss back (and log a line) every n steps',
    kind: int(),
    default: byMode(() => D.taskLogEvery, D.data.logEvery),
    defaultHelp: `${D.data.logEvery}; with --task: ${D.taskLogEvery}`,
  },
  {
    key: 'checkpointEvery',
    help: 'write a checkpoint every n steps (also on Ctrl-C and at the end)',
    kind: int(),
    default: (c: DefaultContext) => P(c).checkpointEvery,
    defaultHelp: profileHelp('checkpointEvery'),
  },
  {
    key: 'samples',
    help: 'greedy completions of the first prompts to print at the end',
    kind: int(0),
    default: D.samples,
  },
];

/** "software 3000, gpu 6000" (or one value when the profiles agree). */
export function profileHelp(key: keyof (typeof PROFILES)['software']['pipeline']): string {
  const values = Object.values(PROFILES).map((p) => `${p.name} ${String(p.pipeline[key])}`);
  const same = new Set(Object.values(PROFILES).map((p) => String(p.pipeline[key]))).size === 1;
  return same ? String(PROFILES.software.pipeline[key]) : values.join(', ');
}

export function sftCommand() {
  return defineCommand<SftCliOptions>({
    name: 'sft',
    description:
      'supervised fine-tuning: on your {prompt, completion} JSONL (--data), or π_ref on a built-in task (--task)',
    options: SFT_OPTIONS,
    examples: [
      'gemstone sft --task arithmetic --out runs/ref',
      'gemstone sft --data examples/arithmetic-sft.jsonl --steps 300',
      'gemstone sft --resume runs/ref --steps 4000',
    ],
    validate: (o) => {
      if ((o.data === undefined) === (o.task === undefined))
        throw new ConfigError('give either --data FILE.jsonl or --task NAME (one of them).');
      if (o.batchSize % o.microBatches !== 0)
        throw new ConfigError(`--batch-size ${o.batchSize} is not a multiple of --micro-batches ${o.microBatches}.`);
    },
    prepare: async (o) => (o.data !== undefined ? readPromptCompletions(await readFile(o.data, 'utf8'), o.data) : null),
    run: async ({ options, reporter, interrupt, prepared }) => {
      const result = await runSft(
        options,
        { reporter, interrupt, stage: 'sft' },
        prepared as PromptCompletion[] | null,
      );
      return {
        checkpoint: result.path,
        step: result.step,
        final_loss: result.finalLoss,
        held_out_accuracy: result.heldOutAccuracy,
        seconds: result.seconds,
      };
    },
  });
}

export interface SftResult {
  path: string;
  step: number;
  finalLoss: number | null;
  heldOutAccuracy: number | null;
  seconds: number;
}

/**
 * Trains into options.out; continues from options.out/checkpoint.safetensors when it holds one
 * (the step count may be raised). Stops after the current step on Ctrl-C, having saved a checkpoint.
 */
export async function runSft(
  options: SftCliOptions,
  io: StageIO,
  data: PromptCompletion[] | null = null,
): Promise<SftResult> {
  const { reporter, interrupt } = io;
  const startedAt = performance.now();
  const task = options.task !== undefined ? getTask(options.task) : null;
  const records =
    task !== null
      ? sftRecords(task, new NoisySolver({ ...DEFAULT_NOISY_SOLVER, seed: options.seed }), {
          count: options.records,
          seedStart: 0,
          difficulty: options.difficulty,
        })
      : (data ?? readPromptCompletions(await readFile(options.data!, 'utf8'), options.data!));
  const checkpointPath = join(options.out, 'checkpoint.safetensors');
  const metricsPath = join(options.out, 'metrics.jsonl');
  await mkdir(options.out, { recursive: true });

  let resumed = existsSync(checkpointPath)
    ? decodeCheckpoint(await readFileBytes(checkpointPath), checkpointPath)
    : null;
  const saved = resumed?.extra as { tokenizer?: unknown; T?: number; sft?: SftOptions; complete?: boolean } | undefined;
  // A task's alphabet also holds every digit and sign, so rollouts never meet an unknown character.
  const alphabetExtra = task !== null ? ['0123456789+-*/%=:., \n'] : [];
  const tokenizer = saved?.tokenizer
    ? CharTokenizer.fromJSON(saved.tokenizer)
    : CharTokenizer.fromTexts([...records.flatMap((r) => [r.prompt, r.completion]), ...alphabetExtra]);
  const longest = Math.max(...records.map((r) => [...r.prompt].length + [...r.completion].length + 1));
  const preset = presetConfig(options.preset);
  const T = saved?.T ?? Math.min(options.context ?? Math.min(preset.contextLength, longest), preset.contextLength);
  const config = resumed?.config ?? presetConfig(options.preset, { vocabSize: tokenizer.size, contextLength: T });
  const sft: SftOptions = saved?.sft ?? {
    batchSize: options.batchSize,
    microBatches: options.microBatches,
    seed: options.seed,
    adamw: { ...DEFAULT_ADAMW, weightDecay: options.weightDecay, maxGradNorm: options.maxGradNorm },
    schedule: {
      maxLr: options.lr,
      minLr: options.minLr ?? options.lr / 10,
      warmupSteps: options.warmup,
      totalSteps: options.steps,
    },
  };
  sft.schedule.totalSteps = options.steps;

  const context = await GpuContext.create({ adapter: options.adapter });
  const model = new Gpt2(context, config);
  const trainer = new SftTrainer(
    model,
    records.map((r) => toSftRow(r, tokenizer, T)),
    sft,
  );
  type MetricsRow = {
    step: number;
    loss: number;
    lr: number;
    tokens: number;
    grad_norm: number;
    elapsed_s: number;
    tokens_per_s: number;
  };
  let metrics: MetricsRow[] = [];
  if (resumed !== null) {
    trainer.restore(resumed);
    if (existsSync(metricsPath))
      metrics = (await readFile(metricsPath, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as MetricsRow)
        .filter((m) => m.step <= trainer.step);
    resumed = null; // free the host copy
  } else {
    model.initialize(sft.seed);
  }

  reporter.info(`sft · ${describeReport(context.report)}`);
  reporter.info(
    `model ${options.preset}: ${parameterCount(config).toLocaleString('en')} parameters, vocabulary ${config.vocabSize}, context ${T}; ${records.length} records${task ? ` of ${task.name} traces (difficulty ${options.difficulty})` : ''}; steps ${trainer.step + 1}–${options.steps}`,
  );

  const writeCheckpoint = async () => {
    const extra = {
      tokenizer: tokenizer.toJSON(),
      T,
      sft,
      data: options.data ?? null,
      task: options.task ?? null,
      difficulty: options.difficulty,
      preset: options.preset,
    };
    await writeFileAtomic(checkpointPath, encodeCheckpoint(await trainer.checkpointState(extra)));
  };
  const progress = reporter.progress({ stage: io.stage, unit: 'steps', total: options.steps, start: trainer.step });
  const started = performance.now();
  const elapsedBefore = metrics.at(-1)?.elapsed_s ?? 0;
  let tokens = 0;
  try {
    while (trainer.step < options.steps) {
      const log = (trainer.step + 1) % options.logEvery === 0 || trainer.step + 1 === options.steps;
      const result = await trainer.trainStep({ readLoss: log });
      tokens += result.processed;
      if (log) {
        const elapsed = (performance.now() - started) / 1000;
        const row: MetricsRow = {
          step: result.step,
          loss: result.loss!,
          lr: result.lr,
          tokens: result.tokens,
          grad_norm: await trainer.optimizer.lastGradNorm(),
          elapsed_s: elapsedBefore + elapsed,
          tokens_per_s: tokens / elapsed,
        };
        metrics.push(row);
        await writeFileAtomic(metricsPath, new TextEncoder().encode(toJsonl(metrics)));
        progress.update(result.step, { tokens: result.processed, metrics: { loss: row.loss, lr: row.lr }, log: true });
      } else {
        progress.update(result.step, { tokens: result.processed });
      }
      if (trainer.step % options.checkpointEvery === 0 || interrupt.requested) await writeCheckpoint();
      interrupt.check(`during ${io.stage}, at step ${trainer.step}/${options.steps}`);
    }
  } catch (error) {
    progress.stop();
    trainer.destroy();
    model.destroy();
    context.destroy();
    throw error;
  }
  progress.stop();
  await writeCheckpoint();
  const finalLoss = metrics.at(-1)?.loss ?? null;
  reporter.info(`final loss ${finalLoss?.toFixed(4) ?? '–'} · checkpoint ${checkpointPath} · metrics ${metricsPath}`);

  let heldOutAccuracy: number | null = null;
  if (task !== null && options.evalPrompts > 0) {
    const problems = heldOutProblems(task, options.evalPrompts, options.difficulty);
    const result = await evaluate(model, tokenizer, task, problems, {
      ks: [],
      samples: 0,
      temperature: 1,
      seed: 0,
      batchRows: 64,
    });
    heldOutAccuracy = result.greedyAccuracy;
    reporter.info(
      `held-out greedy accuracy ${(100 * result.greedyAccuracy).toFixed(1)}% on ${problems.length} prompts (difficulty ${options.difficulty})`,
    );
  }
  if (options.samples > 0) {
    const shown = records.slice(0, options.samples);
    const out = await generate(model, {
      prompts: shown.map((r) => tokenizer.encode(r.prompt)),
      maxNewTokens: Math.max(...shown.map((r) => [...r.completion].length + 1)),
      temperature: 1,
      topK: 1,
      seed: 0,
      eos: tokenizer.eos,
    });
    shown.forEach((r, i) =>
      reporter.info(
        `  ${JSON.stringify(r.prompt)} → ${JSON.stringify(tokenizer.decode(out.tokens[i]))} (reference ${JSON.stringify(r.completion)})`,
      ),
    );
  }
  const step = trainer.step;
  trainer.destroy();
  model.destroy();
  context.destroy();
  return { path: checkpointPath, step, finalLoss, heldOutAccuracy, seconds: (performance.now() - startedAt) / 1000 };
}
