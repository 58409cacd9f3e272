// A reasoning task: everything the pipeline needs to know about one, and
// nothing more. Seeded prompts with a difficulty knob, a verifier of the final
// answer, an oracle that labels every step of a response, the natural
// segmentation, the traces π_ref is trained on (a solver that slips, notices
// and corrects), the characters its tokenizer needs, and optionally a rule
// judge. Any task that implements this and passes checkTask (check.ts) runs
// through the whole pipeline: segmenters, judges, consensus, objectives and
// training only ever see it through this interface. docs/tasks.md says how to
// write one.

import { hashString } from '../util/hash.ts';

/** A contiguous span of a response, in character offsets [start, end). */
export interface StepSpan {
  start: number;
  end: number;
}

export interface Problem {
  /** Stable id: `${task.name}-d${difficulty}-${seed}` (the problem is regenerated from it). */
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

// ---- the traces π_ref is trained on ----

/** Where in the chain a solver's slips fall (stepSlipRate in traces.ts): evenly, more at the start, or at the end. */
export type SlipWhere = 'uniform' | 'early' | 'late';
export const SLIP_WHERE: readonly SlipWhere[] = ['uniform', 'early', 'late'];

/**
 * The knobs of a solver that writes traces the way long chain-of-thought
 * models do: each step may slip; after a step it may check its work; a check
 * of a slipped step catches it (and writes a correction) or misses it, and a
 * missed slip is sometimes wrongly "confirmed".
 */
export interface SolverOptions {
  /** Probability that a step's own work is wrong (the mean over a trace's steps when slipWhere is not uniform). */
  slipRate: number;
  /** Where slips fall (default 'uniform': every step at slipRate); the expected slips per trace stay the same. */
  slipWhere?: SlipWhere;
  /** Probability of a check after a step. */
  checkRate: number;
  /** Probability that a check of a slipped step catches it (then a correction is written). */
  catchRate: number;
  /** Probability that a check of a slipped step that does not catch it writes a false "ok". */
  falseConfirmRate: number;
  /** Longest prompt + trace in characters; longer traces are redrawn (Infinity: never). */
  maxChars: number;
  seed: number;
}

export type TraceLineKind = 'step' | 'check' | 'correction' | 'false-confirm' | 'answer';

export interface TraceLine {
  text: string;
  kind: TraceLineKind;
  /** The ground truth, by the oracle's rules. */
  label: StepLabel;
  /** For step lines: whether this step slipped. */
  slipped?: boolean;
  /** For a slipped step whose result is a number: the right result and the one written. */
  slip?: { right: number; written: number };
}

export interface Trace {
  /** Lines joined by "\n", no trailing newline (the end-of-sequence token follows in training). */
  text: string;
  lines: TraceLine[];
  /** The answer the trace states. */
  answer: string;
  /** Whether the solver meant that answer to be the reference (checkTask holds the verifier to it). */
  correct: boolean;
  /** How many draws it took to fit maxChars (1 when the first fit). */
  draws: number;
}

/** Anything that writes a response for a problem. */
export interface TraceSolver {
  solve(problem: Problem): { text: string };
}

/** Values of a task's own solver knobs (Task.solverKnobs), by name. */
export type TaskSolverKnobs = { [knob: string]: unknown };

/** A task's solver: the same (options.seed, problem) always gives the same trace. */
export interface NoisyTraceSolver extends TraceSolver {
  readonly options: SolverOptions;
  solve(problem: Problem): Trace;
}

// ---- the optional rule judge ----

/** A verdict of a task's rule judge on one span of a response (a claim, a line). */
export interface RuleFinding {
  start: number;
  end: number;
  score: 0 | 1;
  reason: Exclude<StepReason, 'final-correct' | 'final-wrong'>;
  /** What decided it, e.g. "7+5=13 is false (7+5 = 12)". */
  detail: string;
}

export interface Task {
  /** Lower-case letters, digits and '-'; problem ids start with it. */
  readonly name: string;
  /** One line saying what the task asks (for listings). */
  readonly description: string;
  /** The difficulty a run uses unless told otherwise. */
  readonly defaultDifficulty: number;
  /**
   * Characters every tokenizer for this task holds beyond those of its
   * traces (taskTokenizer), so a rollout can write any answer or number.
   */
  readonly alphabet: string;
  /** Segmenter markers of this task's format (regular-expression sources matched at a sentence start). */
  readonly stepMarkers?: readonly string[];
  /** The problem for a seed; the same seed always gives the same problem. */
  generate(seed: number, difficulty: number): Problem;
  /** Reward: does the response's final answer match the reference? */
  verify(problem: Problem, response: string): boolean;
  /** The final answer a response states, or null when it states none. */
  extractAnswer(response: string): string | null;
  /**
   * Labels each given step of the response, in order (steps cover the
   * response exactly once), by the step-label rules: own errors, Error
   * Propagation (0) and Error Termination (1).
   */
  oracle(problem: Problem, response: string, steps: StepSpan[]): StepLabel[];
  /** A natural step segmentation of a response for this task (e.g. one line a step). */
  naturalSteps(response: string): StepSpan[];
  /** The solver whose traces π_ref learns from; options override the task's defaults. */
  solver(options?: Partial<SolverOptions> & TaskSolverKnobs): NoisyTraceSolver;
  /**
   * The solver's own knobs beyond SolverOptions (optional), each with the values it takes, first the
   * default: e.g. arithmetic's { slipShape: ['clamped', 'symmetric', 'reflected'] }. `--solver` accepts them.
   */
  readonly solverKnobs?: Readonly<Record<string, readonly string[]>>;
  /**
   * The rule judge's findings (optional): what a checker that reads only the
   * prompt and the response can verify. The rule judge (src/judge/rule-judge.ts)
   * adds final answers and turns findings into step labels.
   */
  ruleFindings?(response: string, reference: { prompt: string; answer: string }): RuleFinding[];
}

/** Seed ranges: training prompts never come from the held-out range. */
export const HELD_OUT_SEED_BASE = 1_000_000_000;
export function isHeldOutSeed(seed: number): boolean {
  return seed >= HELD_OUT_SEED_BASE;
}

/**
 * Held-out prompts are kept apart from training ones by the prompt itself, not
 * only by the seed: a prompt whose hash falls in 1 bucket of 16 is held-out.
 * A task's generator redraws a training seed (< HELD_OUT_SEED_BASE) until its
 * prompt is not held-out, a held-out seed until it is; so no training seed can
 * ever produce a held-out prompt, however many are drawn.
 */
export const HELD_OUT_BUCKETS = 16;
export function isHeldOutPrompt(prompt: string): boolean {
  return hashString(prompt) % HELD_OUT_BUCKETS === 0;
}

/** The id of the problem of (task, seed, difficulty), from which it is regenerated. */
export function problemId(taskName: string, difficulty: number, seed: number): string {
  return `${taskName}-d${difficulty}-${seed}`;
}
