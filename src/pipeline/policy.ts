// A policy on the GPU with what sampling from it needs: the model, its
// tokenizer, its task and difficulty, and the checkpoint it came from. The CLI
// loads one from a run folder (node-runner/policy.ts), the page from bytes.
import type { CheckpointState } from '../checkpoint/checkpoint.ts';
import { CharTokenizer } from '../data/tokenizer.ts';
import type { GpuContext } from '../gpu/context.ts';
import { Gpt2 } from '../model/gpt2.ts';
import { checkSameTask, findTask } from '../tasks/index.ts';
import type { SolverSettings, TraceRegime } from '../tasks/solver-spec.ts';
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
  /** For a task loaded from a module: the module's absolute path. */
  task_module?: string;
  difficulty?: number;
  preset?: string;
  [key: string]: unknown;
}

/**
 * The traces a checkpoint's π_ref learned, as it records them: no knobs recorded are the solver's defaults (as
 * before --solver existed), no difficulty is 1 (as before difficulties were recorded).
 */
export function learnedRegime(extra: PolicyExtra | undefined): TraceRegime {
  return { solver: (extra?.solver ?? {}) as SolverSettings, difficulty: extra?.difficulty ?? 1 };
}

/**
 * The task a checkpoint learned: the one asked for (which must be the one it
 * learned, when it names one), else the built-in task it names. A task from a
 * module is loaded by the face (loadRecordedTask) and passed in.
 */
export function checkpointTask(checkpoint: CheckpointState, path: string, task?: Task): Task {
  const extra = (checkpoint.extra ?? {}) as PolicyExtra;
  if (extra.tokenizer === undefined)
    throw new Error(`${path}: no tokenizer in the checkpoint (was it written by gemstone sft?).`);
  if (task !== undefined) {
    checkSameTask(path, extra.task, task);
    return task;
  }
  if (extra.task === undefined || extra.task === null)
    throw new Error(`${path}: the checkpoint names no task; pass --task.`);
  const builtIn = findTask(extra.task);
  if (builtIn === undefined)
    throw new Error(`${path} was made with the task "${extra.task}", which is not built in: pass --task PATH.`);
  return builtIn;
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
    difficulty: learnedRegime(extra).difficulty,
    checkpoint,
    path,
  };
}
