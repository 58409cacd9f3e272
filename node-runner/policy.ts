// Loading a trained policy (checkpoint + tokenizer + task) for the commands that sample from it.
import { join } from 'node:path';
import { decodeCheckpoint, type CheckpointState } from '../src/checkpoint/checkpoint.ts';
import { readFileBytes } from '../src/checkpoint/files.ts';
import { CharTokenizer } from '../src/data/tokenizer.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { getTask } from '../src/tasks/index.ts';
import { HELD_OUT_SEED_BASE, type Problem, type Task } from '../src/tasks/task.ts';

export interface Policy {
  context: GpuContext;
  model: Gpt2;
  tokenizer: CharTokenizer;
  task: Task;
  difficulty: number;
  checkpoint: CheckpointState;
  path: string;
}

/** Reads <dir>/checkpoint.safetensors (or a file path) written by `gemstone sft --task`. */
export async function loadPolicy(location: string, adapter?: string, taskName?: string): Promise<Policy> {
  const path = location.endsWith('.safetensors') ? location : join(location, 'checkpoint.safetensors');
  const checkpoint = decodeCheckpoint(await readFileBytes(path), path);
  const extra = (checkpoint.extra ?? {}) as { tokenizer?: unknown; task?: string | null; difficulty?: number };
  if (extra.tokenizer === undefined)
    throw new Error(`${path}: no tokenizer in the checkpoint (was it written by gemstone sft?).`);
  const name = taskName ?? extra.task ?? undefined;
  if (name === undefined || name === null) throw new Error(`${path}: the checkpoint names no task; pass --task.`);
  const context = await GpuContext.create({ adapter });
  const model = new Gpt2(context, checkpoint.config);
  model.loadParameters(checkpoint.parameters);
  return {
    context,
    model,
    tokenizer: CharTokenizer.fromJSON(extra.tokenizer),
    task: getTask(name),
    difficulty: extra.difficulty ?? 1,
    checkpoint,
    path,
  };
}

/** Problems from the held-out seed range, which training never uses. */
export function heldOutProblems(task: Task, count: number, difficulty: number, offset = 0): Problem[] {
  return Array.from({ length: count }, (_, i) => task.generate(HELD_OUT_SEED_BASE + offset + i, difficulty));
}

/** Training problems for rollouts: seeds after the ones SFT used. */
export function trainingProblems(task: Task, count: number, difficulty: number, seedStart: number): Problem[] {
  if (seedStart + count > HELD_OUT_SEED_BASE)
    throw new Error(`seeds ${seedStart}…${seedStart + count - 1} reach the held-out range.`);
  return Array.from({ length: count }, (_, i) => task.generate(seedStart + i, difficulty));
}

export { problemFromId } from '../src/tasks/problem-id.ts';
