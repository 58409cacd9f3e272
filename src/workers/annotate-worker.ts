// The annotation worker's entry: exposes annotateService through comlink, on a
// Web Worker (browser, Deno) or a worker_threads port (Node).
import * as Comlink from 'comlink';
import { annotateService } from './annotate-service.ts';

const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
if (
  g.Deno === undefined &&
  g.process?.versions?.node !== undefined &&
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined'
) {
  const { parentPort } = await import('node:worker_threads');
  // A variable path: bundlers must not pull the Node adapter into a browser build.
  const adapterPath = 'comlink/dist/esm/node-adapter.mjs';
  const { default: nodeEndpoint } = (await import(/* @vite-ignore */ adapterPath)) as {
    default: (port: unknown) => Comlink.Endpoint;
  };
  Comlink.expose(annotateService, nodeEndpoint(parentPort));
} else {
  Comlink.expose(annotateService);
}
