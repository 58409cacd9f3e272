// Loading a trained policy (checkpoint + tokenizer + task) from a run folder, for the commands that sample from it.
import { join } from 'node:path';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { readFileBytes } from '../src/checkpoint/files.ts';
import { peekHeader } from '../src/data/rollout-files.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { policyFromCheckpoint, type Policy, type PolicyExtra } from '../src/pipeline/policy.ts';
import { loadRecordedTask } from '../src/tasks/load.ts';
import type { Task } from '../src/tasks/task.ts';

export type { Policy } from '../src/pipeline/policy.ts';
export { heldOutProblems, problemFromId, trainingProblems } from '../src/pipeline/problems.ts';

/**
 * Reads <dir>/checkpoint.safetensors (or a file path) written by `gemstone sft --task`, with the task it learned:
 * `task` when given (a checkpoint of another task is refused), else the built-in task or module it records.
 */
export async function loadPolicy(location: string, adapter?: string, task?: Task | null): Promise<Policy> {
  const path = location.endsWith('.safetensors') ? location : join(location, 'checkpoint.safetensors');
  const checkpoint = decodeCheckpoint(await readFileBytes(path), path);
  const extra = (checkpoint.extra ?? {}) as PolicyExtra;
  if (extra.tokenizer === undefined)
    throw new Error(`${path}: no tokenizer in the checkpoint (was it written by gemstone sft?).`);
  const learned = await loadRecordedTask(path, extra, task ?? undefined);
  const context = await GpuContext.create({ adapter });
  try {
    return policyFromCheckpoint(context, checkpoint, path, learned);
  } catch (error) {
    context.destroy();
    throw error;
  }
}

/** Releases a loaded policy's model and GPU context. */
export function closePolicy(policy: Policy): void {
  policy.model.destroy();
  policy.context.destroy();
}

/**
 * The task of a rollout or annotated file: `given` (--task; a file of another task is refused), else the
 * built-in task or module its header records; undefined when the header names none (its reader says why).
 */
export async function dataTask(path: string, given: Task | null | undefined): Promise<Task | undefined> {
  const header = await peekHeader(path);
  const name = typeof header.task === 'string' ? header.task : null;
  const module = typeof header.task_module === 'string' ? header.task_module : null;
  if (name === null && !given) return undefined;
  return loadRecordedTask(path, { task: name, task_module: module }, given ?? undefined);
}
