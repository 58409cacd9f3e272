// Which problems each stage uses, by seed range — the same ranges the CLI uses
// (node-runner/policy.ts, which the page cannot import: it reads files), so a
// demo run and a CLI run of the same settings see the same prompts.
import { HELD_OUT_SEED_BASE, type Problem, type Task } from '../../../src/tasks/task.ts';

/** First seed of the rollout prompts: above any SFT record count, below the held-out range. */
export const ROLLOUT_SEED_BASE = 10_000_000;

/** Problems from the held-out seed range, which training never uses. */
export function heldOutProblems(task: Task, count: number, difficulty: number): Problem[] {
  return Array.from({ length: count }, (_, i) => task.generate(HELD_OUT_SEED_BASE + i, difficulty));
}

/** Rollout prompts of iteration `iteration` (from 1): fresh seeds each iteration. */
export function rolloutProblems(task: Task, count: number, difficulty: number, iteration: number): Problem[] {
  const start = ROLLOUT_SEED_BASE + (iteration - 1) * count;
  if (start + count > HELD_OUT_SEED_BASE)
    throw new Error(`rollout seeds ${start}…${start + count - 1} reach the held-out range.`);
  return Array.from({ length: count }, (_, i) => task.generate(start + i, difficulty));
}

/** The problem a record was made for, regenerated from its id ("<task>-d<difficulty>-<seed>"), checked against its prompt. */
export function problemFromId(task: Task, id: string, prompt: string): Problem {
  const match = /-d(\d+)-(\d+)$/.exec(id);
  if (match === null) throw new Error(`Cannot regenerate problem "${id}": expected an id like ${task.name}-d1-42.`);
  const problem = task.generate(Number(match[2]), Number(match[1]));
  if (problem.id !== id || problem.prompt !== prompt)
    throw new Error(`Problem "${id}" regenerates to a different prompt: was the task changed?`);
  return problem;
}
