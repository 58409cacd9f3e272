// The SFT stage (π_ref on a task's noisy-solver traces, or any prompt/completion
// records): tokenizer and context from the data (or from a checkpoint it
// continues), seeded data order, warmup + cosine, metrics.jsonl, and
// checkpoint.safetensors every `checkpointEvery` steps and when a stop is
// asked — which is also where it resumes from, exactly, on every face.
import { decodeCheckpoint, encodeCheckpoint, type CheckpointState } from '../checkpoint/checkpoint.ts';
import { toJsonl } from '../data/jsonl.ts';
import { toSftRow, type PromptCompletion } from '../data/sft-data.ts';
import { CharTokenizer } from '../data/tokenizer.ts';
import type { GpuContext } from '../gpu/context.ts';
import { parameterCount, presetConfig } from '../model/config.ts';
import { Gpt2 } from '../model/gpt2.ts';
import type { Task } from '../tasks/task.ts';
import { checkSameTask, taskRecord } from '../tasks/index.ts';
import { parseSolverSpec } from '../tasks/solver-spec.ts';
import { sftRecords } from '../tasks/traces.ts';
import { taskTokenizer } from '../tasks/tokenizer.ts';
import { DEFAULT_ADAMW } from '../train/optimizer.ts';
import { SftTrainer, type SftOptions } from '../train/sft.ts';
import type { StageHooks } from './hooks.ts';
import type { Policy, PolicyExtra } from './policy.ts';
import { readText, writeText, type ArtifactStore } from './store.ts';

export interface SftStageOptions {
  preset: string;
  steps: number;
  batchSize: number;
  microBatches: number;
  lr: number;
  /** Final learning rate of the cosine schedule (default lr/10). */
  minLr?: number;
  warmup: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  logEvery: number;
  checkpointEvery: number;
  /** Sequence length (default: what the data needs, up to contextCap). */
  context?: number;
  /** The longest context (default: the preset's). */
  contextCap?: number;
  difficulty: number;
  /** Where the records came from, for the checkpoint's metadata (null: a task's traces). */
  data?: string | null;
  /** The task solver's knobs as --solver text (e.g. "slipWhere=late"; unset: the solver's defaults). */
  solver?: string;
}

/** The traces of the task's noisy solver that π_ref learns from: its default knobs, or those of `solver` (--solver). */
export function taskRecords(
  task: Task,
  count: number,
  difficulty: number,
  seed: number,
  solver?: string,
): PromptCompletion[] {
  const settings = solver === undefined ? {} : parseSolverSpec(solver, task);
  return sftRecords(task, task.solver({ ...settings, seed }), { count, seedStart: 0, difficulty });
}

export interface SftStageResult {
  /** The trained model on the face's context (the caller destroys policy.model). */
  policy: Policy;
  /** The final checkpoint, optimizer state included. */
  state: CheckpointState;
  step: number;
  finalLoss: number | null;
}

interface MetricsRow {
  step: number;
  loss: number;
  lr: number;
  tokens: number;
  grad_norm: number;
  elapsed_s: number;
  tokens_per_s: number;
}

/**
 * Trains on `records` (a task's traces when `task` is given); continues from the store's
 * checkpoint.safetensors when it holds one (the step count may be raised), or from `warm`
 * (another run's weights and tokenizer, with fresh moments).
 */
export async function sftStage(
  context: GpuContext,
  task: Task | null,
  records: readonly PromptCompletion[],
  options: SftStageOptions,
  store: ArtifactStore,
  hooks: StageHooks,
  warm: CheckpointState | null = null,
): Promise<SftStageResult> {
  const saved = await store.read('checkpoint.safetensors');
  const resumed = saved === null ? null : decodeCheckpoint(saved, store.locate('checkpoint.safetensors'));
  const from = (resumed?.extra ?? warm?.extra) as (PolicyExtra & { sft?: SftOptions }) | undefined;
  if (task !== null && resumed !== null)
    checkSameTask(store.locate('checkpoint.safetensors'), (from as PolicyExtra).task, task);
  const tokenizer = from?.tokenizer
    ? CharTokenizer.fromJSON(from.tokenizer)
    : task !== null
      ? taskTokenizer(
          task,
          records.flatMap((r) => [r.prompt, r.completion]),
        )
      : CharTokenizer.fromTexts(records.flatMap((r) => [r.prompt, r.completion]));
  const longest = Math.max(...records.map((r) => [...r.prompt].length + [...r.completion].length + 1));
  const cap = options.contextCap ?? presetConfig(options.preset).contextLength;
  const T = from?.T ?? Math.min(options.context ?? Math.min(cap, longest), cap);
  const config =
    resumed?.config ?? warm?.config ?? presetConfig(options.preset, { vocabSize: tokenizer.size, contextLength: T });
  const sft: SftOptions = (resumed !== null ? from?.sft : undefined) ?? {
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

  const model = new Gpt2(context, config);
  const trainer = new SftTrainer(
    model,
    records.map((r) => toSftRow(r, tokenizer, config.contextLength)),
    sft,
  );
  let metrics: MetricsRow[] = [];
  try {
    if (resumed !== null) {
      trainer.restore(resumed);
      metrics = ((await readText(store, 'metrics.jsonl')) ?? '')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as MetricsRow)
        .filter((m) => m.step <= trainer.step);
    } else if (warm !== null) model.loadParameters(warm.parameters);
    else model.initialize(sft.seed);

    hooks.log(
      `model ${options.preset}: ${parameterCount(config).toLocaleString('en')} parameters, vocabulary ` +
        `${config.vocabSize}, context ${config.contextLength}; ${records.length} ` +
        `records${task ? ` of ${task.name} traces (difficulty ${options.difficulty})` : ''}; steps ` +
        `${trainer.step + 1}–${options.steps}`,
    );
    const extra = {
      tokenizer: tokenizer.toJSON(),
      T: config.contextLength,
      sft,
      data: options.data ?? null,
      task: task?.name ?? null,
      ...(task !== null ? taskRecord(task) : {}), // and, for a task from a module, its path
      difficulty: options.difficulty,
      // The solver's knobs when not its defaults (absent: the defaults, as before --solver existed).
      ...(task !== null && options.solver !== undefined ? { solver: parseSolverSpec(options.solver, task) } : {}),
      preset: options.preset,
    };
    const writeCheckpoint = async () => {
      await store.write('checkpoint.safetensors', encodeCheckpoint(await trainer.checkpointState(extra)));
    };
    const progress = hooks.progress({ stage: hooks.stage, unit: 'steps', total: options.steps, start: trainer.step });
    const started = performance.now();
    const elapsedBefore = metrics.at(-1)?.elapsed_s ?? 0;
    let tokens = 0;
    try {
      while (trainer.step < options.steps) {
        await hooks.tick();
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
          await writeText(store, 'metrics.jsonl', toJsonl(metrics));
          hooks.event('sft', { stage: hooks.stage, step: row.step, loss: row.loss, lr: row.lr });
          progress.update(result.step, {
            tokens: result.processed,
            metrics: { loss: row.loss, lr: row.lr },
            log: true,
          });
        } else {
          progress.update(result.step, { tokens: result.processed });
        }
        if (trainer.step % options.checkpointEvery === 0 || hooks.stopRequested()) await writeCheckpoint();
        hooks.stopHere(`during ${hooks.stage}, at step ${trainer.step}/${options.steps}`);
      }
    } finally {
      progress.stop();
    }
    const state = await trainer.checkpointState(extra);
    await store.write('checkpoint.safetensors', encodeCheckpoint(state));
    const finalLoss = metrics.at(-1)?.loss ?? null;
    hooks.log(
      `final loss ${finalLoss?.toFixed(4) ?? '–'} · checkpoint ${store.locate('checkpoint.safetensors')} · metrics ` +
        `${store.locate('metrics.jsonl')}`,
    );
    const policy: Policy = {
      context,
      model,
      tokenizer,
      task: task as Task,
      difficulty: options.difficulty,
      checkpoint: state,
      path: store.locate('checkpoint.safetensors'),
    };
    return { policy, state, step: trainer.step, finalLoss };
  } catch (error) {
    model.destroy();
    throw error;
  } finally {
    trainer.destroy();
  }
}
