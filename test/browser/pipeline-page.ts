// The tiny pipeline in the page: the driver (test/browser/pipeline.ts) calls
// window.__runTinyPipeline with π_ref's bytes and reads back the outcome;
// window.__runStoredTinyPipeline runs it with its artifacts in IndexedDB, and
// may stop it part way (the driver then reloads the page and resumes).
import { GpuContext } from '../../src/gpu/context.ts';
import { IndexedDbStore } from '../../src/pipeline/browser-store.ts';
import { quietHooks, type StageHooks } from '../../src/pipeline/hooks.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { runTinyPipeline, type TinyOutcome } from './tiny-pipeline.ts';

/** Stop `ticks` ticks into the stage named `stage` (a training stage then saves a checkpoint first). */
export interface StopAt {
  stage: string;
  ticks: number;
}

type Outcome = TinyOutcome | { error: string } | { stopped: string; names: string[] };

declare global {
  interface Window {
    __runTinyPipeline?: (referenceBase64: string) => Promise<TinyOutcome | { error: string }>;
    __runStoredTinyPipeline?: (referenceBase64: string, run: string, stop: StopAt | null) => Promise<Outcome>;
  }
}

class Stopped extends Error {}

/** Quiet hooks that ask for a stop once the stage `stop.stage` has ticked `stop.ticks` times. */
function stoppingHooks(stop: StopAt | null): StageHooks {
  let ticks = 0;
  const quiet = quietHooks();
  return {
    ...quiet,
    stopRequested(this: StageHooks) {
      return stop !== null && this.stage === stop.stage && ticks >= stop.ticks;
    },
    stopHere(this: StageHooks, where: string) {
      if (this.stopRequested()) throw new Stopped(where);
    },
    async tick(this: StageHooks) {
      if (stop !== null && this.stage === stop.stage) ticks += 1;
    },
  };
}

async function run(referenceBase64: string, place: Parameters<typeof runTinyPipeline>[3]): Promise<TinyOutcome> {
  const bytes = Uint8Array.from(atob(referenceBase64), (c) => c.charCodeAt(0));
  const context = await GpuContext.create();
  try {
    return await runTinyPipeline(context, (n) => WorkerPool.create(n), bytes, place);
  } finally {
    context.destroy();
  }
}

window.__runTinyPipeline = async (referenceBase64) => {
  try {
    return await run(referenceBase64, {});
  } catch (error) {
    return { error: `${(error as Error).message}\n${(error as Error).stack ?? ''}` };
  }
};

window.__runStoredTinyPipeline = async (referenceBase64, runId, stop) => {
  const store = await IndexedDbStore.open(runId);
  try {
    return await run(referenceBase64, { store, hooks: stoppingHooks(stop) });
  } catch (error) {
    if (error instanceof Stopped) return { stopped: error.message, names: await store.names() };
    return { error: `${(error as Error).message}\n${(error as Error).stack ?? ''}` };
  } finally {
    store.close();
  }
};
