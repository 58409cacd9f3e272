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

/** The absolute path of the module each task loaded by path came from (loadTask records it). */
const MODULES = new WeakMap<Task, string>();

export function recordTaskModule(task: Task, path: string): void {
  MODULES.set(task, path);
}

/** The module a task was loaded from, or null for a built-in task (or one made in code). */
export function taskModule(task: Task): string | null {
  return MODULES.get(task) ?? null;
}

/** How files name a task: its name, and for a task from a module, the module's absolute path. */
export function taskRecord(task: Task): { task: string; task_module?: string } {
  const module = taskModule(task);
  return module === null ? { task: task.name } : { task: task.name, task_module: module };
}

/** "sorting", or "reverse (/abs/my-task.ts)": how messages name a task. */
export function describeTask(task: Task): string {
  const module = taskModule(task);
  return module === null ? task.name : `${task.name} (${module})`;
}

/** Throws naming the file and both tasks when a file made with one task is given to a run of another. */
export function checkSameTask(file: string, recorded: string | null | undefined, task: Task): void {
  if (recorded === undefined || recorded === null || recorded === task.name) return;
  throw new Error(
    `${file} was made with the task "${recorded}", but this run's task is "${task.name}": ` +
      `give --task ${recorded} (or a file made with ${task.name}).`,
  );
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
