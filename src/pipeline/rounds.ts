// The pipeline's rounds over the stages, as every face runs them: π_ref's SFT;
// a data round (rollouts → PRM from Monte-Carlo labels → judges and consensus);
// a training round (offline RL from a policy on a round's data). Each stage is
// run once through the face's StageRunner (a resumed run skips what is recorded
// done) and resumes from its own artifacts; scratch artifacts are removed once
// the stage is recorded.
import { decodeCheckpoint } from '../checkpoint/checkpoint.ts';
import type { RolloutStats } from '../data/rollouts.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { PrmJudge } from '../judge/prm.ts';
import type { Task } from '../tasks/task.ts';
import { checkSameTask, getTask } from '../tasks/index.ts';
import type { MineableStats } from '../train/rollouts.ts';
import { annotateStage, type AnnotateStageOptions } from './annotate.ts';
import { readAnnotated, readRollouts } from './artifacts.ts';
import { evaluatePolicy } from './evaluate.ts';
import { CHECKPOINT, openPolicy, type PipelineFace, type PolicyRef } from './face.ts';
import type { StageHooks } from './hooks.ts';
import { offlineRlStage, RL_SCRATCH, type RlStageOptions, type RlStageResult } from './offline-rl.ts';
import type { Policy } from './policy.ts';
import { PRM_SCRATCH, prmJudge, prmStage, type PrmStageOptions } from './prm.ts';
import { problemsOf } from './problems.ts';
import { ROLLOUT_SCRATCH, rolloutStage, type RolloutStageOptions } from './rollout.ts';
import { sftStage, taskRecords, type SftStageOptions } from './sft.ts';
import type { ArtifactStore } from './store.ts';

// ---- π_ref -------------------------------------------------------------------------------

export interface ReferenceResult {
  path: string;
  step: number;
  finalLoss: number | null;
  /** Greedy accuracy on the held-out prompts at the end (null when evalPrompts is 0). */
  heldOutAccuracy: number | null;
  seconds: number;
}

/** π_ref: SFT of a preset on `task`'s noisy-solver traces, into `store` (stage "reference"). */
export async function referenceRound(
  face: PipelineFace,
  task: Task,
  options: SftStageOptions & { records: number; evalPrompts: number },
  store: ArtifactStore,
  title: string,
): Promise<ReferenceResult> {
  return face.stages.run<ReferenceResult>('reference', title, async (hooks) => {
    const started = performance.now();
    const records = taskRecords(task, options.records, options.difficulty, options.seed, options.solver);
    const gpu = await face.gpu();
    try {
      const { policy, step, finalLoss } = await sftStage(gpu.context, task, records, options, store, hooks);
      try {
        let heldOutAccuracy: number | null = null;
        if (options.evalPrompts > 0) {
          const result = await evaluatePolicy(policy, { prompts: options.evalPrompts, samples: 0, batch: 64 });
          heldOutAccuracy = result.greedyAccuracy;
          hooks.log(
            `held-out greedy accuracy ${(100 * result.greedyAccuracy).toFixed(1)}% on ${result.prompts} prompts ` +
              `(difficulty ${options.difficulty})`,
          );
        }
        const seconds = (performance.now() - started) / 1000;
        return { path: store.locate(CHECKPOINT), step, finalLoss, heldOutAccuracy, seconds };
      } finally {
        policy.model.destroy();
      }
    } finally {
      gpu.release();
    }
  });
}

// ---- data: rollouts → PRM → annotation ----------------------------------------------------

export interface RolloutSummary {
  path: string;
  sampled: RolloutStats;
  kept: RolloutStats;
  mined: MineableStats;
  droppedGroups: number;
}

export interface AnnotateSummary {
  path: string;
  responses: number;
  minedTokens: number;
  /** Each judge (and the consensus) against the oracle. */
  judges: { name: string; precision: number; recall: number; f1: number }[];
}

export interface DataRoundOptions {
  /** Prefix of the stage names ("iteration-1", "seed-2/iteration-1"). */
  name: string;
  /** The round's artifacts (rollouts.jsonl, prm/, annotated.jsonl). */
  store: ArtifactStore;
  /** The policy that samples (and whose weights the PRM starts from). */
  policy: PolicyRef;
  /** How titles name that policy. */
  policyLabel: string;
  rollout: RolloutStageOptions;
  /** Null: no PRM (no judge needs one). */
  prm: Omit<PrmStageOptions, 'labels'> | null;
  annotate: AnnotateStageOptions & { workers: number; prmThreshold: number };
  /** The annotation stage's heading (default: its judges and consensus). */
  annotateTitle?: string;
}

export interface DataRoundResult {
  rollout: RolloutSummary;
  annotate: AnnotateSummary;
}

export async function dataRound(face: PipelineFace, o: DataRoundOptions): Promise<DataRoundResult> {
  const { name, store } = o;
  const rollout = await face.stages.run<RolloutSummary>(
    `${name}/rollout`,
    `${name}: rollouts from ${o.policyLabel}`,
    async (hooks) => {
      const policy = await openPolicy(face, o.policy);
      try {
        const r = await rolloutStage(policy, o.rollout, store, hooks);
        const { sampled, kept, mined, droppedGroups } = r;
        return { path: store.locate('rollouts.jsonl'), sampled, kept, mined, droppedGroups };
      } finally {
        policy.close();
      }
    },
  );
  for (const scratch of ROLLOUT_SCRATCH) await store.remove(scratch);
  if (rollout.kept.responses === 0)
    throw new Error(
      `${name}: every group was all right or all wrong; nothing to learn from (train π_ref longer, raise --group, ` +
        'or pass --keep-all).',
    );

  const prmStore = store.at('prm');
  if (o.prm !== null) {
    const prm = o.prm;
    await face.stages.run(
      `${name}/prm`,
      `${name}: PRM from Monte-Carlo labels (${prm.completions} completions per step prefix)`,
      async (hooks) => {
        const policy = await openPolicy(face, o.policy);
        try {
          const { rollouts } = await readRollouts(store);
          const problems = problemsOf(policy.task, rollouts);
          const r = await prmStage(policy, policy.task, rollouts, problems, { ...prm, labels: 'mc' }, prmStore, hooks);
          return { examples: r.examples, path: prmStore.locate(CHECKPOINT), correctShare: r.correctShare };
        } finally {
          policy.close();
        }
      },
    );
    for (const scratch of PRM_SCRATCH) await prmStore.remove(scratch);
  }

  const a = o.annotate;
  const annotate = await face.stages.run<AnnotateSummary>(
    `${name}/annotate`,
    o.annotateTitle ?? `${name}: annotation (${a.judges.join(' + ')}, ${a.consensus})`,
    async (hooks) => {
      const { header, rollouts } = await readRollouts(store);
      if (face.task !== undefined) checkSameTask(store.locate('rollouts.jsonl'), header.task, face.task);
      const problems = problemsOf(face.task ?? getTask(header.task), rollouts);
      const llm = a.judges.includes('llm') ? face.llmJudge(hooks, store) : undefined;
      const prm = a.judges.includes('prm') ? await openPrmJudge(face, prmStore, a.prmThreshold, face.task) : null;
      const pool = await face.pool(a.workers);
      try {
        const r = await annotateStage(header, rollouts, problems, a, { pool, llm, prm: prm?.judge }, store, hooks);
        return {
          path: store.locate('annotated.jsonl'),
          responses: r.records.length,
          minedTokens: r.minedTokens,
          judges:
            r.report?.judges.map((j) => ({ name: j.name, precision: j.precision, recall: j.recall, f1: j.f1 })) ?? [],
        };
      } finally {
        pool.terminate();
        prm?.close();
      }
    },
  );
  return { rollout, annotate };
}

async function openPrmJudge(face: PipelineFace, store: ArtifactStore, threshold: number, task?: Task) {
  const bytes = await store.read(CHECKPOINT);
  if (bytes === null) throw new Error(`${store.locate(CHECKPOINT)}: no PRM (the PRM stage did not run).`);
  return prmJudgeOn(await face.gpu(), bytes, store.locate(CHECKPOINT), threshold, task);
}

/** The PRM judge of a checkpoint's bytes on a face's GPU; close() releases the model and the GPU. */
export function prmJudgeOn(
  gpu: { context: GpuContext; release(): void },
  bytes: Uint8Array,
  path: string,
  threshold: number,
  task?: Task,
): { judge: PrmJudge; close(): void } {
  try {
    const { judge, close } = prmJudge(gpu.context, decodeCheckpoint(bytes, path), threshold, path, task);
    return {
      judge,
      close: () => {
        close();
        gpu.release();
      },
    };
  } catch (error) {
    gpu.release();
    throw error;
  }
}

// ---- offline RL ------------------------------------------------------------------------------

export interface TrainRoundOptions {
  /** The stage's name and heading. */
  stage: string;
  title: string;
  /** The policy training starts from (π_ref of this round). */
  policy: PolicyRef;
  /** Where the annotated data is, and its name there. */
  data: { store: ArtifactStore; name: string };
  /** The trained policy's artifacts (checkpoint.safetensors, metrics.jsonl). */
  out: ArtifactStore;
  rl: RlStageOptions;
}

/**
 * Offline RL from o.policy on o.data; `finish` turns the trained policy and the stage's
 * result into what is recorded (an evaluation, a summary).
 */
export async function trainRound<T>(
  face: PipelineFace,
  o: TrainRoundOptions,
  finish: (policy: Policy, result: RlStageResult, hooks: StageHooks) => Promise<T>,
): Promise<T> {
  const result = await face.stages.run<T>(o.stage, o.title, async (hooks) => {
    const policy = await openPolicy(face, o.policy);
    try {
      const { header, records } = await readAnnotated(o.data.store, o.data.name);
      checkSameTask(o.data.store.locate(o.data.name), header.task, policy.task);
      const r = await offlineRlStage(
        policy,
        records,
        { ...o.rl, extra: { data: o.data.store.locate(o.data.name), ...o.rl.extra } },
        o.out,
        hooks,
        ` (${header.annotation.voters.join(' + ')}, ${header.annotation.consensus})`,
      );
      hooks.log(`trained policy → ${o.out.locate(CHECKPOINT)}`);
      return await finish(policy, r, hooks);
    } finally {
      policy.close();
    }
  });
  for (const scratch of RL_SCRATCH) await o.out.remove(scratch);
  return result;
}
