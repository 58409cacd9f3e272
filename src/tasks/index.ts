// The task registry: every built-in task by name.
import { arithmetic } from './arithmetic.ts';
import type { Task } from './task.ts';

const TASKS: Record<string, Task> = {
  arithmetic,
};

export const TASK_NAMES: readonly string[] = Object.keys(TASKS);

export function getTask(name: string): Task {
  const task = Object.hasOwn(TASKS, name) ? TASKS[name] : undefined;
  if (!task) throw new Error(`Unknown task "${name}"; the tasks are: ${TASK_NAMES.join(', ')}.`);
  return task;
}

export type { Problem, StepLabel, StepReason, StepSpan, Task } from './task.ts';
export { HELD_OUT_SEED_BASE, isHeldOutSeed } from './task.ts';
