// Loading a trained policy (checkpoint + tokenizer + task) from a run folder, for the commands that sample from it.
import { join } from 'node:path';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { readFileBytes } from '../src/checkpoint/files.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { checkpointTask, policyFromCheckpoint, type Policy } from '../src/pipeline/policy.ts';
import { getTask } from '../src/tasks/index.ts';

export type { Policy } from '../src/pipeline/policy.ts';
export { heldOutProblems, problemFromId, trainingProblems } from '../src/pipeline/problems.ts';

/** Reads <dir>/checkpoint.safetensors (or a file path) written by `gemstone sft --task`. */
export async function loadPolicy(location: string, adapter?: string, taskName?: string): Promise<Policy> {
  const path = location.endsWith('.safetensors') ? location : join(location, 'checkpoint.safetensors');
  const checkpoint = decodeCheckpoint(await readFileBytes(path), path);
  const task = checkpointTask(checkpoint, path, taskName !== undefined ? getTask(taskName) : undefined);
  const context = await GpuContext.create({ adapter });
  try {
    return policyFromCheckpoint(context, checkpoint, path, task);
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
