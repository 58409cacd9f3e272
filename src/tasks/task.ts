// A reasoning task: seeded prompts with a difficulty knob, a verifier of the
// final answer, and an oracle that labels every step of a response. Any task
// that implements this runs through the whole pipeline (SFT data, rollouts,
// judges measured against the oracle, training, evaluation).

/** A contiguous span of a response, in character offsets [start, end). */
export interface StepSpan {
  start: number;
  end: number;
}

export interface Problem {
  /** Stable id: the task name and the seed that generated it. */
  id: string;
  /** The text the model is given. */
  prompt: string;
  /** The reference final answer, as text. */
  answer: string;
  /** Whatever the task needs to verify and to label steps (JSON-serialisable). */
  data: unknown;
}

/** Why the oracle labelled a step as it did (docs/algorithms.md §3.4). */
export type StepReason =
  | 'correct' // its own work is right and it builds on right values
  | 'own-error' // calculation slip, wrong formula, misread condition, false claim
  | 'propagation' // builds on an earlier wrong result without fixing it
  | 'termination' // notices and fixes an earlier error (Error Termination / Cessation)
  | 'check' // a check of a step with nothing wrong
  | 'final-correct'
  | 'final-wrong';

export interface StepLabel {
  /** 1 = correct, 0 = incorrect. */
  score: 0 | 1;
  reason: StepReason;
}

export interface Task {
  readonly name: string;
  /** The problem for a seed; the same seed always gives the same problem. */
  generate(seed: number, difficulty: number): Problem;
  /** Reward: does the response's final answer match the reference? */
  verify(problem: Problem, response: string): boolean;
  /** The final answer a response states, or null when it states none. */
  extractAnswer(response: string): string | null;
  /** Labels each given step of the response, in order (steps cover the response exactly once). */
  oracle(problem: Problem, response: string, steps: StepSpan[]): StepLabel[];
  /** A natural step segmentation of a response for this task (e.g. one line a step). */
  naturalSteps(response: string): StepSpan[];
}

/** Seed ranges: training prompts never come from the held-out range. */
export const HELD_OUT_SEED_BASE = 1_000_000_000;
export function isHeldOutSeed(seed: number): boolean {
  return seed >= HELD_OUT_SEED_BASE;
}
