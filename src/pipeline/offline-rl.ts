// The offline RL stage: the objective trained from π_ref on annotated data,
// evaluated on held-out prompts before training and after each epoch, with a
// resume checkpoint (policy, AdamW's moments, step, data position, the
// evaluations so far) every `checkpointEvery` steps, at each epoch and when a
// stop is asked — so every face resumes the same way, replaying the batch order.
import { decodeCheckpoint, encodeCheckpoint, type CheckpointState } from '../checkpoint/checkpoint.ts';
import type { AnnotatedRecord } from '../data/annotated.ts';
import { toJsonl } from '../data/jsonl.ts';
import type { Gpt2 } from '../model/gpt2.ts';
import { resolveHyper, type ObjectiveName } from '../objectives/index.ts';
import type { ObjectiveHyper } from '../objectives/reference.ts';
import { OfflineRlTrainer, type RlExample, type RlStepResult } from '../train/offline-rl.ts';
import { DEFAULT_ADAMW } from '../train/optimizer.ts';
import { RL_DEFAULTS } from './defaults.ts';
import { describeAccuracy, evaluatePolicy, type Evaluation } from './evaluate.ts';
import type { StageHooks } from './hooks.ts';
import type { Policy } from './policy.ts';
import { readText, writeText, type ArtifactStore } from './store.ts';

/** One annotated response as the trainer takes it. */
export function rlExamples(records: readonly AnnotatedRecord[]): RlExample[] {
  return records.map((r) => ({
    group: r.prompt_id,
    promptTokens: r.prompt_tokens,
    responseTokens: r.response_tokens,
    refLogprobs: r.logprobs_ref,
    reward: r.reward,
    betaMask: r.beta_mask,
  }));
}

export interface RlTrainerOptions {
  objective: ObjectiveName;
  beta: number;
  tau: number;
  groupsPerBatch: number;
  lr: number;
  /** AdamW's ε (default: DEFAULT_ADAMW's). */
  adamEps?: number;
  seed: number;
}

/** The trainer every face uses: a constant learning rate after a short warmup, no weight decay. */
export function createRlTrainer(
  model: Gpt2,
  records: readonly AnnotatedRecord[],
  options: RlTrainerOptions,
): { trainer: OfflineRlTrainer; hyper: ObjectiveHyper } {
  const hyper = resolveHyper(options.objective, { beta: options.beta, tau: options.tau });
  const trainer = new OfflineRlTrainer(model, rlExamples(records), {
    objective: options.objective,
    hyper,
    groupsPerBatch: options.groupsPerBatch,
    seed: options.seed,
    adamw: { ...DEFAULT_ADAMW, weightDecay: RL_DEFAULTS.weightDecay, eps: options.adamEps ?? DEFAULT_ADAMW.eps },
    schedule: { maxLr: options.lr, minLr: options.lr, warmupSteps: RL_DEFAULTS.warmupSteps, totalSteps: 1 },
  });
  return { trainer, hyper };
}

export interface RlStageOptions extends RlTrainerOptions {
  epochs: number;
  /** Held-out prompts evaluated before training and after each epoch (0: none). */
  evalPrompts: number;
  /** Samples per held-out prompt (0: greedy only). */
  evalSamples: number;
  /** Rows generated together when evaluating. */
  batch: number;
  /** Read the objective's terms back (and log a line) every n steps. */
  logEvery: number;
  checkpointEvery: number;
  /** Metadata written into the final checkpoint beside π_ref's (e.g. which data it learned from). */
  extra?: Record<string, unknown>;
  /** Each step's result (the page's charts); `read` says whether its terms were read back. */
  onStep?: (result: RlStepResult, epoch: number) => void;
  /** After each epoch's checkpoint and before its evaluation (the page's credit view). */
  onEpoch?: (epoch: number, trainer: OfflineRlTrainer) => Promise<void>;
  onEvaluation?: (evaluation: Evaluation) => void;
}

export interface RlStageResult {
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  evaluations: Evaluation[];
  steps: number;
  /** The trained policy without optimizer state (what later stages load). */
  state: CheckpointState;
}

/** Scratch artifacts of the stage, removed once the face has recorded it done. */
export const RL_SCRATCH = ['resume.safetensors'];

/**
 * Trains policy.model in place (it starts as π_ref) on `records`; writes
 * checkpoint.safetensors and metrics.jsonl to `store` and resumes from its resume.safetensors.
 */
export async function offlineRlStage(
  policy: Policy,
  records: readonly AnnotatedRecord[],
  options: RlStageOptions,
  store: ArtifactStore,
  hooks: StageHooks,
  describeData = '',
): Promise<RlStageResult> {
  const { trainer, hyper } = createRlTrainer(policy.model, records, options);
  let evaluations: Evaluation[] = [];
  let metrics: Record<string, unknown>[] = [];
  const resume = await store.read('resume.safetensors');
  if (resume !== null) {
    const state = decodeCheckpoint(resume, store.locate('resume.safetensors'));
    trainer.restore(state);
    evaluations = (state.extra as { evaluations?: Evaluation[] }).evaluations ?? [];
    metrics = ((await readText(store, 'metrics.jsonl')) ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((m) => (m.step as number) <= state.step);
  }
  hooks.log(
    `${options.objective} (β ${hyper.beta}, τ ${hyper.tau}) from ${policy.path} on ${records.length} ` +
      `responses${describeData}; ${trainer.stepsPerEpoch} steps an ` +
      `epoch${trainer.step > 0 ? `; resuming at step ${trainer.step}` : ''}`,
  );

  const saveState = async () => {
    await store.write('resume.safetensors', encodeCheckpoint(await trainer.checkpointState({ evaluations })));
  };
  const evalNow = async (epoch: number) => {
    if (options.evalPrompts === 0 || evaluations.some((e) => e.epoch === epoch)) return;
    await hooks.tick();
    const result = await evaluatePolicy(policy, {
      prompts: options.evalPrompts,
      samples: options.evalSamples,
      batch: options.batch,
    });
    const evaluation = { ...result, epoch };
    evaluations.push(evaluation);
    const passes = Object.entries(result.passAtK)
      .map(([k, v]) => ` · pass@${k} ${(100 * v).toFixed(1)}%`)
      .join('');
    hooks.log(
      `epoch ${epoch}: held-out ${describeAccuracy(result)} ${(100 * result.accuracy).toFixed(1)}% · greedy ` +
        `${(100 * result.greedyAccuracy).toFixed(1)}%${passes} on ${result.prompts} prompts`,
    );
    hooks.event('evaluation', { stage: hooks.stage, epoch, ...result });
    options.onEvaluation?.(evaluation);
    await saveState();
  };

  const total = trainer.stepsPerEpoch * options.epochs;
  // Positions one step processes (whole groups, padded to the context), for tokens/s.
  const groupSizes = new Map<string, number>();
  for (const r of records) groupSizes.set(r.prompt_id, (groupSizes.get(r.prompt_id) ?? 0) + 1);
  const tokensPerStep =
    Math.min(options.groupsPerBatch, groupSizes.size) * Math.max(...groupSizes.values()) * trainer.T;
  const progress = hooks.progress({ stage: hooks.stage, unit: 'steps', total, start: trainer.step });
  try {
    // At step 0, or resumed exactly at the end of an epoch whose evaluation was not saved yet.
    if (trainer.step % trainer.stepsPerEpoch === 0) await evalNow(trainer.step / trainer.stepsPerEpoch);
    hooks.stopHere(`during ${hooks.stage}, after an evaluation`);
    while (trainer.step < total) {
      await hooks.tick();
      const read = (trainer.step + 1) % options.logEvery === 0 || trainer.step + 1 === total;
      const result = await trainer.trainStep({ readTerms: read });
      const epoch = Math.ceil(result.step / trainer.stepsPerEpoch);
      const t = result.terms;
      if (read && t) {
        metrics.push({ step: result.step, epoch, lr: result.lr, grad_norm: result.gradNorm, ...t });
        await writeText(store, 'metrics.jsonl', toJsonl(metrics));
      }
      options.onStep?.(result, epoch);
      progress.update(result.step, {
        tokens: tokensPerStep,
        metrics: t
          ? { J: t.objective, constraint: t.constraint, '|D|': t.meanAbsD, 'β-share': t.betaShare }
          : undefined,
        log: read,
      });
      if (result.step % trainer.stepsPerEpoch === 0) {
        await saveState();
        await options.onEpoch?.(epoch, trainer);
        await evalNow(epoch);
      } else if (result.step % options.checkpointEvery === 0 || hooks.stopRequested()) {
        await saveState();
      }
      hooks.stopHere(`during ${hooks.stage}, at step ${result.step}/${total}`);
    }
    const refExtra = (policy.checkpoint.extra ?? {}) as Record<string, unknown>;
    const state = await trainer.checkpointState({
      ...refExtra,
      kind: 'policy',
      objective: options.objective,
      hyper,
      ...options.extra,
      reference: policy.path,
    });
    await store.write('checkpoint.safetensors', encodeCheckpoint(state));
    // resume.safetensors stays until the face has recorded this stage as done (RL_SCRATCH).
    const accuracyBefore = evaluations.find((e) => e.epoch === 0)?.accuracy ?? null;
    const accuracyAfter = evaluations.length > 1 ? evaluations.at(-1)!.accuracy : null;
    return {
      accuracyBefore,
      accuracyAfter,
      evaluations,
      steps: trainer.step,
      state: { ...state, optimizer: undefined },
    };
  } finally {
    progress.stop();
    trainer.destroy();
  }
}
