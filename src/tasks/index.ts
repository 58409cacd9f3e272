// The task registry: every built-in task by name. A task from outside the
// repository comes in through loadTask (load.ts) and checkTask (check.ts).
import { arithmetic } from './arithmetic/index.ts';
import { sorting } from './sorting/index.ts';
import type { Task } from './task.ts';

const TASKS: Record<string, Task> = {
  arithmetic,
  sorting,
};

export const TASK_NAMES: readonly string[] = Object.keys(TASKS);
/** The task a run uses when it is given none. */
export const DEFAULT_TASK_NAME = TASK_NAMES[0];

/** The built-in task of that name, or undefined. */
export function findTask(name: string): Task | undefined {
  return Object.hasOwn(TASKS, name) ? TASKS[name] : undefined;
}

export function getTask(name: string): Task {
  const task = findTask(name);
  if (!task) throw new Error(`Unknown task "${name}"; the tasks are: ${TASK_NAMES.join(', ')}.`);
  return task;
}

export type {
  NoisyTraceSolver,
  Problem,
  RuleFinding,
  SolverOptions,
  StepLabel,
  StepReason,
  StepSpan,
  Task,
  Trace,
  TraceLine,
  TraceSolver,
} from './task.ts';
export { HELD_OUT_SEED_BASE, isHeldOutPrompt, isHeldOutSeed, problemId } from './task.ts';
