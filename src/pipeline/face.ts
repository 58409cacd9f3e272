// What a face (the CLI, the experiment runner, the page) gives the stage
// library's rounds: where artifacts live, how a stage is run once and marked
// done, a GPU context, workers, and its judges that reach outside.
import { decodeCheckpoint } from '../checkpoint/checkpoint.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { Judge } from '../judge/judge.ts';
import type { WorkerPool } from '../workers/pool.ts';
import type { Task } from '../tasks/task.ts';
import type { StageHooks } from './hooks.ts';
import { policyFromCheckpoint, type Policy } from './policy.ts';
import type { ArtifactStore } from './store.ts';

export interface StageRunner {
  /**
   * Runs a stage once: a stage recorded done returns its recorded result (JSON); otherwise
   * `work` runs (resuming from whatever artifacts it saved itself) and its result is recorded.
   * Before `work`, the face shows `title` and stops here when a stop was asked.
   */
  run<T>(name: string, title: string, work: (hooks: StageHooks) => Promise<T>): Promise<T>;
}

export interface PipelineFace {
  /** The run's artifacts. */
  store: ArtifactStore;
  stages: StageRunner;
  /** A GPU context for one stage's work (Node: its own; the page: the one it keeps); release() after. */
  gpu(): Promise<{ context: GpuContext; release(): void }>;
  /** Annotation workers. */
  pool(workers: number): Promise<WorkerPool>;
  /** The LLM judge (a real endpoint, or the simulated one); called once per annotation stage. */
  llmJudge(hooks: StageHooks, store: ArtifactStore): Judge;
  /**
   * The run's task: every checkpoint and rollout file the rounds read must have been made with it.
   * Unset: the built-in task each file names (a task from a module cannot be found by name).
   */
  task?: Task;
}

/** A checkpoint artifact: π_ref's folder, or a policy a round trained. */
export interface PolicyRef {
  store: ArtifactStore;
  /** The checkpoint's name in the store (checkpoint.safetensors). */
  name: string;
}

export const CHECKPOINT = 'checkpoint.safetensors';

/** Loads a policy on a context of the face; close() releases both. */
export async function openPolicy(face: PipelineFace, ref: PolicyRef): Promise<Policy & { close(): void }> {
  const bytes = await ref.store.read(ref.name);
  const path = ref.store.locate(ref.name);
  if (bytes === null) throw new Error(`${path}: no such checkpoint.`);
  const checkpoint = decodeCheckpoint(bytes, path);
  const gpu = await face.gpu();
  try {
    const policy = policyFromCheckpoint(gpu.context, checkpoint, path, face.task);
    return {
      ...policy,
      close: () => {
        policy.model.destroy();
        gpu.release();
      },
    };
  } catch (error) {
    gpu.release();
    throw error;
  }
}
