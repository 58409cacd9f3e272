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
    __checkIndexedDbStore?: () => Promise<string[]>;
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

/** The store's own rules, in IndexedDB: names under at(), remove of a name and what is under it, locate. */
window.__checkIndexedDbStore = async () => {
  const failures: string[] = [];
  const expect = (what: string, ok: boolean) => void (ok || failures.push(what));
  const run = `store-check-${Date.now()}`;
  const store = await IndexedDbStore.open(run);
  const other = await IndexedDbStore.open(`${run}-other`);
  try {
    const sub = store.at('a');
    await sub.write('x', new Uint8Array([1, 2]));
    await sub.write('x', new Uint8Array([3])); // replaces the whole artifact
    await store.write('a/b/y', new Uint8Array([4]));
    await store.write('a-sibling', new Uint8Array([5]));
    await other.write('a/x', new Uint8Array([6]));
    expect('a read sees the last write', String(await store.read('a/x')) === '3');
    expect('at() shares the database', String(await sub.at('b').read('y')) === '4');
    expect('an absent artifact reads null', (await store.read('nothing')) === null);
    expect('names are relative', JSON.stringify(await store.names()) === '["a-sibling","a/b/y","a/x"]');
    expect('locate names the run', sub.locate('x') === `indexeddb:gemstone-runs/${run}/a/x`);
    await store.remove('a');
    expect('remove takes a name and what is under it', JSON.stringify(await store.names()) === '["a-sibling"]');
    expect('remove leaves other runs alone', String(await other.read('a/x')) === '6');
    await store.remove('');
    await other.remove('');
    expect("remove('') deletes the run", (await store.names()).length === 0 && (await other.names()).length === 0);
  } finally {
    store.close();
    other.close();
  }
  return failures;
};
