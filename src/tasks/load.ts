// Loading a task by name or by path, in Node (tsx) and in Deno: a built-in
// task's name ("arithmetic"), or the path of a module (.ts, .js, .mjs) that
// exports one — as its default export, as `task`, or as its only export that
// is a task. A relative path is resolved against the working directory (or
// options.base). The module's task is checked for shape here; checkTask
// (check.ts) holds it to the rest of the contract before anything trains.
import { isAbsolute, resolve } from 'node:path';
import { cwd } from 'node:process';
import { pathToFileURL } from 'node:url';
import { type CheckOptions, checkShape, checkTask, TaskContractError } from './check.ts';
import { checkSameTask, findTask, recordTaskModule, TASK_NAMES } from './index.ts';
import type { Task } from './task.ts';

export interface LoadTaskOptions {
  /** The directory relative paths are resolved against (default: the working directory). */
  base?: string;
  /** Hold the task to the whole contract (checkTask) before returning it; true uses checkTask's defaults. */
  check?: boolean | CheckOptions;
}

/** Whether a specifier names a module file rather than a built-in task. */
export function isTaskPath(specifier: string): boolean {
  return /[\\/]/.test(specifier) || /\.(?:[cm]?[jt]s|tsx)$/.test(specifier) || specifier.startsWith('.');
}

/** The task a specifier names: a built-in task, or the task a module exports. */
export async function loadTask(specifier: string, options: LoadTaskOptions = {}): Promise<Task> {
  const task = await findOrImport(specifier, options);
  if (options.check) checkTask(task, options.check === true ? {} : options.check);
  return task;
}

/**
 * The task a file was made with (its recorded name, and module path for a task
 * from a module): `given` when the run names one (the same task, or an error
 * naming the file and both tasks), else the built-in task or the recorded module.
 */
export async function loadRecordedTask(
  file: string,
  record: { task?: string | null; task_module?: string | null },
  given?: Task,
): Promise<Task> {
  if (given !== undefined) {
    checkSameTask(file, record.task, given);
    return given;
  }
  if (record.task === undefined || record.task === null)
    throw new Error(`${file} names no task; pass --task NAME|PATH.`);
  const builtIn = findTask(record.task);
  if (builtIn !== undefined) return builtIn;
  if (typeof record.task_module !== 'string')
    throw new Error(`${file} was made with the task "${record.task}", which is not built in: pass --task PATH.`);
  const task = await loadTask(record.task_module, { check: true });
  checkSameTask(file, record.task, task);
  return task;
}

async function findOrImport(specifier: string, options: LoadTaskOptions): Promise<Task> {
  const builtIn = findTask(specifier);
  if (builtIn !== undefined) return builtIn;
  if (!isTaskPath(specifier))
    throw new Error(
      `Unknown task "${specifier}"; the tasks are: ${TASK_NAMES.join(', ')}, or the path of a module that exports ` +
        'a task (e.g. ./my-task.ts).',
    );
  const path = isAbsolute(specifier) ? specifier : resolve(options.base ?? cwd(), specifier);
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new Error(`Cannot load the task module ${path}: ${(error as Error).message}`);
  }
  const task = pickTask(module, path);
  const clash = findTask(task.name);
  if (clash !== undefined && clash !== task)
    throw new Error(`The task module ${path} exports a task named "${task.name}", the name of a built-in task.`);
  if (clash === undefined) recordTaskModule(task, path);
  return task;
}

/** The module's task: its default export, else `task`, else its only export shaped like a task. */
function pickTask(module: Record<string, unknown>, path: string): Task {
  const named = module.default ?? module.task;
  if (named !== undefined) {
    try {
      checkShape(named, path);
    } catch (error) {
      if (error instanceof TaskContractError)
        throw new Error(
          `The task module ${path} exports a ${module.default !== undefined ? 'default' : '`task`'} ` +
            `that is not a task: ${error.message}`,
        );
      throw error;
    }
    return named;
  }
  const candidates = Object.entries(module).filter(([, value]) => {
    try {
      checkShape(value);
      return true;
    } catch {
      return false;
    }
  });
  if (candidates.length !== 1)
    throw new Error(
      `The task module ${path} must export one task (as its default export or as \`task\`); it exports ` +
        (candidates.length === 0 ? 'none' : `${candidates.length}: ${candidates.map(([k]) => k).join(', ')}`) +
        '. docs/tasks.md says what a task holds.',
    );
  return candidates[0][1] as Task;
}
