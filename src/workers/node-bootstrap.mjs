// Node worker_threads entry: loads TypeScript through tsx, then the worker module named in workerData.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.module);
