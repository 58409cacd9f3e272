// A policy on the GPU with what sampling from it needs: the model, its
// tokenizer, its task and difficulty, and the checkpoint it came from. The CLI
// loads one from a run folder (node-runner/policy.ts), the page from bytes.
import type { CheckpointState } from '../checkpoint/checkpoint.ts';
import { CharTokenizer } from '../data/tokenizer.ts';
import type { GpuContext } from '../gpu/context.ts';
import { Gpt2 } from '../model/gpt2.ts';
import { getTask } from '../tasks/index.ts';
import type { Task } from '../tasks/task.ts';

export interface Policy {
  context: GpuContext;
  model: Gpt2;
  tokenizer: CharTokenizer;
  task: Task;
  difficulty: number;
  checkpoint: CheckpointState;
  /** Where it came from, for messages and checkpoint metadata. */
  path: string;
}

/** What a policy checkpoint carries beside its weights (written by the SFT and RL stages, read by every face). */
export interface PolicyExtra {
  kind?: string;
  tokenizer?: unknown;
  T?: number;
  task?: string | null;
  difficulty?: number;
  preset?: string;
  [key: string]: unknown;
}

/** Characters every task tokenizer holds beside its traces', so rollouts never meet an unknown character. */
export const TASK_ALPHABET = '0123456789+-*/%=:., \n';

/** The tokenizer of a model trained on `texts` of a built-in task. */
export function taskTokenizer(texts: readonly string[]): CharTokenizer {
  return CharTokenizer.fromTexts([...texts, TASK_ALPHABET]);
}

/** The task a checkpoint learned (or the one asked for), checked; throws naming `path` when there is none. */
export function checkpointTask(checkpoint: CheckpointState, path: string, task?: Task): Task {
  const extra = (checkpoint.extra ?? {}) as PolicyExtra;
  if (extra.tokenizer === undefined)
    throw new Error(`${path}: no tokenizer in the checkpoint (was it written by gemstone sft?).`);
  if (task !== undefined) return task;
  if (extra.task === undefined || extra.task === null)
    throw new Error(`${path}: the checkpoint names no task; pass --task.`);
  return getTask(extra.task);
}

/** A policy on `context` from a decoded checkpoint. */
export function policyFromCheckpoint(
  context: GpuContext,
  checkpoint: CheckpointState,
  path: string,
  task?: Task,
): Policy {
  const resolved = checkpointTask(checkpoint, path, task);
  const extra = (checkpoint.extra ?? {}) as PolicyExtra;
  const model = new Gpt2(context, checkpoint.config);
  model.loadParameters(checkpoint.parameters);
  return {
    context,
    model,
    tokenizer: CharTokenizer.fromJSON(extra.tokenizer),
    task: resolved,
    difficulty: extra.difficulty ?? 1,
    checkpoint,
    path,
  };
}
