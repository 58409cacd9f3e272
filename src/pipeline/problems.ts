// Which problems each stage uses, by seed range, for every face: SFT traces use
// seeds from 0, rollouts seeds from ROLLOUT_SEED_START (a fresh range each
// iteration), evaluation the held-out range — so a page run and a CLI run of
// the same settings see the same prompts.
import type { Rollout } from '../data/rollouts.ts';
import { problemFromId } from '../tasks/problem-id.ts';
import { HELD_OUT_SEED_BASE, type Problem, type Task } from '../tasks/task.ts';

export { problemFromId };

/** First problem seed of rollouts: above any SFT record count, below the held-out range. */
export const ROLLOUT_SEED_START = 10_000_000;

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

/** First problem seed of the rollouts of `round` (from 0: iteration − 1, or a seed's iterations laid end to end). */
export function rolloutSeedStart(round: number, prompts: number): number {
  return ROLLOUT_SEED_START + round * prompts;
}

/** The problems of a set of rollouts, by prompt id. */
export function problemsOf(task: Task, rollouts: readonly Rollout[]): Map<string, Problem> {
  const problems = new Map<string, Problem>();
  for (const r of rollouts)
    if (!problems.has(r.prompt_id)) problems.set(r.prompt_id, problemFromId(task, r.prompt_id, r.prompt));
  return problems;
}
