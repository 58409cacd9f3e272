// The tiny pipeline in the page: the driver (test/browser/pipeline.ts) calls
// window.__runTinyPipeline with π_ref's bytes and reads back the outcome.
import { GpuContext } from '../../src/gpu/context.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { runTinyPipeline, type TinyOutcome } from './tiny-pipeline.ts';

declare global {
  interface Window {
    __runTinyPipeline?: (referenceBase64: string) => Promise<TinyOutcome | { error: string }>;
  }
}

window.__runTinyPipeline = async (referenceBase64) => {
  try {
    const bytes = Uint8Array.from(atob(referenceBase64), (c) => c.charCodeAt(0));
    const context = await GpuContext.create();
    try {
      return await runTinyPipeline(context, (n) => WorkerPool.create(n), bytes);
    } finally {
      context.destroy();
    }
  } catch (error) {
    return { error: `${(error as Error).message}\n${(error as Error).stack ?? ''}` };
  }
};
