// A pool of annotation workers: Web Workers in the browser and Deno,
// worker_threads in Node (comlink's node adapter). Only this file knows which.
import * as Comlink from 'comlink';
import { detectRuntime } from '../gpu/runtime.ts';
import type { AnnotateService } from './annotate-service.ts';

interface Handle {
  api: Comlink.Remote<AnnotateService>;
  terminate(): void;
}

async function spawn(): Promise<Handle> {
  if (detectRuntime() === 'node') {
    const { Worker } = await import('node:worker_threads');
    const adapterPath = 'comlink/dist/esm/node-adapter.mjs';
    const { default: nodeEndpoint } = (await import(/* @vite-ignore */ adapterPath)) as {
      default: (w: unknown) => Comlink.Endpoint;
    };
    const worker = new Worker(new URL('./node-bootstrap.mjs', import.meta.url), {
      workerData: { module: new URL('./annotate-worker.ts', import.meta.url).href },
    });
    worker.unref();
    return { api: Comlink.wrap<AnnotateService>(nodeEndpoint(worker)), terminate: () => void worker.terminate() };
  }
  // The literal `new URL(…, import.meta.url)` lets vite bundle the worker for the browser.
  const worker = new Worker(new URL('./annotate-worker.ts', import.meta.url), { type: 'module' });
  return { api: Comlink.wrap<AnnotateService>(worker), terminate: () => worker.terminate() };
}

export class WorkerPool {
  private next = 0;
  private constructor(private readonly handles: Handle[]) {}

  static async create(size: number): Promise<WorkerPool> {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`WorkerPool: size must be a positive integer, got ${size}.`);
    return new WorkerPool(await Promise.all(Array.from({ length: size }, () => spawn())));
  }

  get size(): number {
    return this.handles.length;
  }

  /** The next worker, round-robin. */
  worker(): Comlink.Remote<AnnotateService> {
    const handle = this.handles[this.next];
    this.next = (this.next + 1) % this.handles.length;
    return handle.api;
  }

  terminate(): void {
    for (const h of this.handles) h.terminate();
  }
}
