// A face whose stage records live in memory (its artifacts in the store it is
// given: memory, or the page's IndexedDB): the page's runs (which keep one GPU
// context) and tests. A stage recorded done is skipped
// when the round is run again (after a lost GPU device, say); a stage that
// was not resumes from its own artifacts, exactly as in a run folder.
import type { Task } from '../tasks/task.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { Judge } from '../judge/judge.ts';
import { simulatedLlmJudge } from '../judge/simulated-llm.ts';
import type { WorkerPool } from '../workers/pool.ts';
import { ANNOTATE_DEFAULTS } from './defaults.ts';
import type { PipelineFace } from './face.ts';
import { forStage, type StageHooks } from './hooks.ts';
import { type ArtifactStore, MemoryStore } from './store.ts';

export interface MemoryFaceOptions {
  /** The one GPU context every stage uses (the face never destroys it). */
  context: () => Promise<GpuContext>;
  pool: (workers: number) => Promise<WorkerPool>;
  /** Hooks of every stage (named per stage). */
  hooks: StageHooks;
  /** Called when a stage starts (the page's status line). */
  onStage?: (name: string, title: string) => void;
  /** The LLM judge (default: the SIMULATED one with the default label noise). */
  llmJudge?: (hooks: StageHooks) => Judge;
  /** Where the artifacts live (default: a new MemoryStore; the page may pass its IndexedDB store). */
  store?: ArtifactStore;
  /** The run's task (PipelineFace.task). */
  task?: Task;
}

export interface MemoryFace extends PipelineFace {
  store: ArtifactStore;
  /** Results of the stages recorded done, by name. */
  readonly done: Map<string, unknown>;
}

export function memoryFace(o: MemoryFaceOptions): MemoryFace {
  const done = new Map<string, unknown>();
  return {
    store: o.store ?? new MemoryStore(),
    done,
    stages: {
      async run<T>(name: string, title: string, work: (hooks: StageHooks) => Promise<T>): Promise<T> {
        if (done.has(name)) return done.get(name) as T;
        o.onStage?.(name, title);
        const hooks = forStage(o.hooks, name);
        hooks.stopHere(`before ${name}`);
        const result = await work(hooks);
        done.set(name, result);
        return result;
      },
    },
    gpu: async () => ({ context: await o.context(), release: () => {} }),
    pool: o.pool,
    task: o.task,
    llmJudge: (hooks) => o.llmJudge?.(hooks) ?? simulatedLlmJudge({ noise: ANNOTATE_DEFAULTS.llmNoise, seed: 1 }),
  };
}
