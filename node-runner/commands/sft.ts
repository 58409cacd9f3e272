// `gemstone sft`: supervised fine-tuning of a GPT-2 on {prompt, completion} JSONL,
// with a progress bar, a metrics JSONL, checkpoints, and exact resume.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { readFileBytes, writeFileAtomic } from '../../src/checkpoint/files.ts';
import { toJsonl } from '../../src/data/jsonl.ts';
import { readPromptCompletions, toSftRow } from '../../src/data/sft-data.ts';
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
import { number, positiveInteger } from '../options.ts';
import { heldOutProblems } from '../policy.ts';

export interface SftCliOptions {
  preset: string;
  data?: string;
  task?: string;
  records: number;
  difficulty: number;
  evalPrompts: number;
  out: string;
  resume?: boolean;
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
  progress: boolean;
}

interface MetricsRow {
  step: number;
  loss: number;
  lr: number;
  tokens: number;
  grad_norm: number;
  elapsed_s: number;
  /** Positions processed per second (batch × context). */
  tokens_per_s: number;
}

export function sftCommand(): Command {
  return new Command('sft')
    .description('supervised fine-tuning on a JSONL file of {prompt, completion} records')
    .addOption(new Option('--preset <name>', 'model size (with --task: small)').choices(Object.keys(PRESETS)).default('tiny'))
    .option('--data <file>', 'JSONL file, one {"prompt": ..., "completion": ...} per line')
    .addOption(new Option('--task <name>', 'train on noisy-solver traces of a built-in task instead of --data (this trains π_ref)').choices(TASK_NAMES as string[]))
    .option('--records <n>', 'with --task: how many training traces', positiveInteger, 20000)
    .option('--difficulty <n>', 'with --task: problem difficulty', (v) => Number.parseInt(v, 10), DEFAULT_DIFFICULTY)
    .option('--eval-prompts <n>', 'with --task: held-out prompts for greedy accuracy at the end (0: skip)', (v) => Number.parseInt(v, 10), 200)
    .requiredOption('--out <dir>', 'folder for checkpoint.safetensors and metrics.jsonl')
    .option('--resume', 'continue from <out>/checkpoint.safetensors')
    .option('--steps <n>', 'total optimizer steps (with --task: 3000)', positiveInteger, 200)
    .option('--batch-size <n>', 'sequences per step', positiveInteger, 8)
    .option('--micro-batches <n>', 'split each step into this many accumulated micro-batches', positiveInteger, 1)
    .option('--context <n>', 'sequence length (default: the preset context, or what the data needs if shorter)', positiveInteger)
    .option('--lr <x>', 'peak learning rate', number, 3e-3)
    .option('--min-lr <x>', 'final learning rate of the cosine schedule (default lr/10)', number)
    .option('--warmup <n>', 'warmup steps', positiveInteger, 10)
    .option('--weight-decay <x>', 'AdamW decoupled weight decay', number, DEFAULT_ADAMW.weightDecay)
    .option('--max-grad-norm <x>', 'clip gradients to this global norm (0: off)', number, DEFAULT_ADAMW.maxGradNorm)
    .option('--seed <n>', 'seed for initialisation and data order', positiveInteger, 1)
    .option('--log-every <n>', 'read the loss back every n steps', positiveInteger, 5)
    .option('--checkpoint-every <n>', 'write a checkpoint every n steps', positiveInteger, 100)
    .addOption(new Option('--adapter <name>', 'force a WebGPU adapter').choices(['gpu', 'llvmpipe', 'swiftshader']))
    .option('--samples <n>', 'greedy completions of the first prompts to print at the end', (v) => Number.parseInt(v, 10), 3)
    .option('--no-progress', 'plain log lines instead of a progress bar')
    .action(async (options: SftCliOptions, command: Command) => {
      if (options.task !== undefined) {
        // Training π_ref on a task: defaults sized for the `small` model to learn it (README, Results).
        for (const [key, value] of Object.entries(TASK_DEFAULTS)) {
          if (command.getOptionValueSource(key) === 'default') (options as unknown as Record<string, unknown>)[key] = value;
        }
      }
      await runSft(options);
    });
}

/** The defaults of `sft --task`: π_ref on the built-in task. */
export const TASK_DEFAULTS = { preset: 'small', steps: 3000, batchSize: 16, lr: 2e-3, warmup: 20, logEvery: 50 } as const;

export async function runSft(options: SftCliOptions): Promise<{ path: string; heldOutAccuracy: number | null; seconds: number }> {
  const startedAt = performance.now();
  if ((options.data === undefined) === (options.task === undefined)) throw new Error('give either --data FILE.jsonl or --task NAME.');
  const task = options.task !== undefined ? getTask(options.task) : null;
  const records = task !== null
    ? sftRecords(task, new NoisySolver({ ...DEFAULT_NOISY_SOLVER, seed: options.seed }), { count: options.records, seedStart: 0, difficulty: options.difficulty })
    : readPromptCompletions(await readFile(options.data!, 'utf8'), options.data!);
  const checkpointPath = join(options.out, 'checkpoint.safetensors');
  const metricsPath = join(options.out, 'metrics.jsonl');
  await mkdir(options.out, { recursive: true });

  let resumed = options.resume ? decodeCheckpoint(await readFileBytes(checkpointPath), checkpointPath) : null;
  if (options.resume && resumed === null) throw new Error(`${checkpointPath}: nothing to resume.`);
  const saved = resumed?.extra as { tokenizer?: unknown; T?: number; sft?: SftOptions } | undefined;
  // A task's alphabet also holds every digit and sign, so rollouts never meet an unknown character.
  const alphabetExtra = task !== null ? ['0123456789+-*/%=:., \n'] : [];
  const tokenizer = saved?.tokenizer ? CharTokenizer.fromJSON(saved.tokenizer) : CharTokenizer.fromTexts([...records.flatMap((r) => [r.prompt, r.completion]), ...alphabetExtra]);
  const longest = Math.max(...records.map((r) => [...r.prompt].length + [...r.completion].length + 1));
  const preset = presetConfig(options.preset);
  const T = saved?.T ?? Math.min(options.context ?? Math.min(preset.contextLength, longest), preset.contextLength);
  const config = resumed?.config ?? presetConfig(options.preset, { vocabSize: tokenizer.size, contextLength: T });
  const sft: SftOptions = saved?.sft ?? {
    batchSize: options.batchSize,
    microBatches: options.microBatches,
    seed: options.seed,
    adamw: { ...DEFAULT_ADAMW, weightDecay: options.weightDecay, maxGradNorm: options.maxGradNorm },
    schedule: { maxLr: options.lr, minLr: options.minLr ?? options.lr / 10, warmupSteps: options.warmup, totalSteps: options.steps },
  };
  sft.schedule.totalSteps = options.steps;

  const context = await GpuContext.create({ adapter: options.adapter });
  const model = new Gpt2(context, config);
  const trainer = new SftTrainer(model, records.map((r) => toSftRow(r, tokenizer, T)), sft);
  let metrics: MetricsRow[] = [];
  if (resumed !== null) {
    trainer.restore(resumed);
    if (existsSync(metricsPath)) metrics = (await readFile(metricsPath, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricsRow).filter((m) => m.step <= trainer.step);
    resumed = null; // free the host copy
  } else {
    model.initialize(sft.seed);
  }

  console.log(`gemstone sft · ${describeReport(context.report)}`);
  console.log(`model ${options.preset}: ${parameterCount(config).toLocaleString('en')} parameters, vocabulary ${config.vocabSize}, context ${T}; ${records.length} records${task ? ` of ${task.name} traces (difficulty ${options.difficulty})` : ''}; steps ${trainer.step + 1}–${options.steps}`);

  const writeCheckpoint = async () => {
    const extra = { tokenizer: tokenizer.toJSON(), T, sft, data: options.data ?? null, task: options.task ?? null, difficulty: options.difficulty, preset: options.preset };
    await writeFileAtomic(checkpointPath, encodeCheckpoint(await trainer.checkpointState(extra)));
  };
  const bar = options.progress && process.stdout.isTTY
    ? new cliProgress.SingleBar({ format: 'sft |{bar}| {value}/{total} steps · loss {loss} · lr {lr} · {speed} tok/s · ETA {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(options.steps, trainer.step, { loss: '…', lr: '…', speed: '…' });
  const started = performance.now();
  const elapsedBefore = metrics.at(-1)?.elapsed_s ?? 0;
  let tokens = 0;
  while (trainer.step < options.steps) {
    const log = (trainer.step + 1) % options.logEvery === 0 || trainer.step + 1 === options.steps;
    const result = await trainer.trainStep({ readLoss: log });
    tokens += result.processed;
    if (log) {
      const elapsed = (performance.now() - started) / 1000;
      const row: MetricsRow = {
        step: result.step, loss: result.loss!, lr: result.lr, tokens: result.tokens,
        grad_norm: await trainer.optimizer.lastGradNorm(), elapsed_s: elapsedBefore + elapsed, tokens_per_s: tokens / elapsed,
      };
      metrics.push(row);
      await writeFileAtomic(metricsPath, new TextEncoder().encode(toJsonl(metrics)));
      const shown = { loss: row.loss.toFixed(4), lr: row.lr.toExponential(2), speed: row.tokens_per_s.toFixed(0) };
      if (bar) bar.update(result.step, shown);
      else console.log(`step ${result.step}/${options.steps} · loss ${shown.loss} · lr ${shown.lr} · ${shown.speed} tok/s`);
    } else {
      bar?.update(result.step);
    }
    if (trainer.step % options.checkpointEvery === 0) await writeCheckpoint();
  }
  bar?.stop();
  await writeCheckpoint();
  console.log(`final loss ${metrics.at(-1)?.loss.toFixed(4) ?? '–'} · checkpoint ${checkpointPath} · metrics ${metricsPath}`);

  let heldOutAccuracy: number | null = null;
  if (task !== null && options.evalPrompts > 0) {
    const problems = heldOutProblems(task, options.evalPrompts, options.difficulty);
    const result = await evaluate(model, tokenizer, task, problems, { ks: [], samples: 0, temperature: 1, seed: 0, batchRows: 64 });
    heldOutAccuracy = result.greedyAccuracy;
    console.log(`held-out greedy accuracy ${(100 * result.greedyAccuracy).toFixed(1)}% on ${problems.length} prompts (difficulty ${options.difficulty})`);
  }
  if (options.samples > 0) {
    const shown = records.slice(0, options.samples);
    const out = await generate(model, { prompts: shown.map((r) => tokenizer.encode(r.prompt)), maxNewTokens: Math.max(...shown.map((r) => [...r.completion].length + 1)), temperature: 1, topK: 1, seed: 0, eos: tokenizer.eos });
    shown.forEach((r, i) => console.log(`  ${JSON.stringify(r.prompt)} → ${JSON.stringify(tokenizer.decode(out.tokens[i]))} (reference ${JSON.stringify(r.completion)})`));
  }
  trainer.destroy();
  model.destroy();
  context.destroy();
  return { path: checkpointPath, heldOutAccuracy, seconds: (performance.now() - startedAt) / 1000 };
}
