// `gemstone sft`: supervised fine-tuning of a GPT-2 on {prompt, completion} JSONL
// (or on a built-in task's noisy-solver traces: that trains π_ref), with a
// progress bar, metrics JSONL, checkpoints, Ctrl-C that saves, and exact resume.
import { readFile } from 'node:fs/promises';
import { readPromptCompletions, type PromptCompletion } from '../../src/data/sft-data.ts';
import { GpuContext } from '../../src/gpu/context.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { PRESETS } from '../../src/model/config.ts';
import { generate } from '../../src/model/generate.ts';
import { evaluatePolicy } from '../../src/pipeline/evaluate.ts';
import { type SftStageOptions, sftStage, taskRecords } from '../../src/pipeline/sft.ts';
import { describeTask, taskRecord } from '../../src/tasks/index.ts';
import { loadTask } from '../../src/tasks/load.ts';
import type { Task } from '../../src/tasks/task.ts';
import { defineCommand } from '../command.ts';
import { ConfigError } from '../config.ts';
import { FolderStore } from '../file-store.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import { solverOption, solverSettings } from '../solver-option.ts';
import { stageHooks, type StageIO } from '../reporter.ts';
import { choice, int, num, taskOption, type DefaultContext, type OptionSpec } from '../spec.ts';

export interface SftCliOptions extends Omit<SftStageOptions, 'data' | 'difficulty'> {
  /** Default: the task's defaultDifficulty. */
  difficulty?: number;
  data?: string;
  task?: string;
  records: number;
  evalPrompts: number;
  out: string;
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
  taskOption("instead of --data, train on the task's noisy-solver traces (this trains π_ref)"),
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
  { key: 'difficulty', help: "with --task: problem difficulty (default: the task's)", kind: int(0) },
  solverOption("with --task: the noisy solver's knobs (default: the task's)"),
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
      'supervised fine-tuning: on your {prompt, completion} JSONL (--data), or π_ref on a task (--task NAME|PATH)',
    options: SFT_OPTIONS,
    examples: [
      'gemstone sft --task arithmetic --out runs/ref',
      'gemstone sft --task ./my-task.ts --preset tiny --out runs/my-ref     # your own task (docs/tasks.md)',
      'gemstone sft --task arithmetic --solver slipWhere=late,catchRate=0.8 --difficulty 2 --out runs/ref-late',
      'gemstone sft --data examples/arithmetic-sft.jsonl --steps 300',
      'gemstone sft --resume runs/ref --steps 4000',
    ],
    validate: (o) => {
      if ((o.data === undefined) === (o.task === undefined))
        throw new ConfigError('give either --data FILE.jsonl or --task NAME (one of them).');
      if (o.batchSize % o.microBatches !== 0)
        throw new ConfigError(`--batch-size ${o.batchSize} is not a multiple of --micro-batches ${o.microBatches}.`);
      if (o.solver !== undefined && o.task === undefined)
        throw new ConfigError("--solver sets the knobs of a task's noisy solver: give it with --task, not --data.");
    },
    prepare: async (o, task) => {
      solverSettings(o.solver, task);
      return o.data !== undefined ? readPromptCompletions(await readFile(o.data, 'utf8'), o.data) : null;
    },
    run: async ({ options, reporter, interrupt, prepared, task }) => {
      const result = await runSft(
        options,
        { reporter, interrupt, stage: 'sft' },
        prepared as PromptCompletion[] | null,
        task,
      );
      return {
        ...(task !== null ? taskRecord(task) : {}),
        ...(options.solver !== undefined ? { solver: solverSettings(options.solver, task) } : {}),
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
  task: Task | null = null,
): Promise<SftResult> {
  const { reporter } = io;
  const startedAt = performance.now();
  if (options.task !== undefined && task === null) task = await loadTask(options.task, { check: true });
  const difficulty = options.difficulty ?? task?.defaultDifficulty ?? 1;
  const records =
    task !== null
      ? taskRecords(task, options.records, difficulty, options.seed, options.solver)
      : (data ?? readPromptCompletions(await readFile(options.data!, 'utf8'), options.data!));
  const context = await GpuContext.create({ adapter: options.adapter });
  try {
    reporter.info(`sft · ${describeReport(context.report)}${task !== null ? ` · task ${describeTask(task)}` : ''}`);
    const store = new FolderStore(options.out);
    const { policy, step, finalLoss } = await sftStage(
      context,
      task,
      records,
      { ...options, difficulty, data: options.data ?? null },
      store,
      stageHooks(io),
    );
    const { model, tokenizer } = policy;
    try {
      let heldOutAccuracy: number | null = null;
      if (task !== null && options.evalPrompts > 0) {
        const result = await evaluatePolicy(policy, { prompts: options.evalPrompts, samples: 0, batch: 64 });
        heldOutAccuracy = result.greedyAccuracy;
        reporter.info(
          `held-out greedy accuracy ${(100 * result.greedyAccuracy).toFixed(1)}% on ${result.prompts} prompts ` +
            `(difficulty ${difficulty})`,
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
            `  ${JSON.stringify(r.prompt)} → ${JSON.stringify(tokenizer.decode(out.tokens[i]))} (reference ` +
              `${JSON.stringify(r.completion)})`,
          ),
        );
      }
      return {
        path: store.locate('checkpoint.safetensors'),
        step,
        finalLoss,
        heldOutAccuracy,
        seconds: (performance.now() - startedAt) / 1000,
      };
    } finally {
      model.destroy();
    }
  } finally {
    context.destroy();
  }
}
