// A rollout names its problem by id ("<task>-d<difficulty>-<seed>"); the task regenerates it from that.
import type { Problem, Task } from './task.ts';

/** The problem a rollout was made for, regenerated from its id ("<task>-d<difficulty>-<seed>"). */
export function problemFromId(task: Task, id: string, prompt?: string): Problem {
  const match = /-d(\d+)-(\d+)$/.exec(id);
  if (match === null) throw new Error(`Cannot regenerate problem "${id}": expected an id like ${task.name}-d1-42.`);
  const problem = task.generate(Number(match[2]), Number(match[1]));
  if (problem.id !== id || (prompt !== undefined && problem.prompt !== prompt))
    throw new Error(`Problem "${id}" regenerates to a different prompt: was the task changed?`);
  return problem;
}
