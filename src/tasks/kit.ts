// What a task author needs, in one import (docs/tasks.md): the interface, the
// held-out split, lines and step labels, the solver helpers and seeded hashes.
export { Random } from '../util/random.ts';
export { hashString, mixSeed } from '../util/hash.ts';
export { checkCoverage, type LineSpan, lineSteps, splitLines, stepLabelsFromLines } from './lines.ts';
export {
  HELD_OUT_SEED_BASE,
  isHeldOutPrompt,
  isHeldOutSeed,
  type NoisyTraceSolver,
  type Problem,
  problemId,
  type RuleFinding,
  SLIP_WHERE,
  type SlipWhere,
  type SolverOptions,
  type StepLabel,
  type StepReason,
  type StepSpan,
  type Task,
  type TaskSolverKnobs,
  type Trace,
  type TraceLine,
} from './task.ts';
export { solverOptions, solveWithin, stepSlipRate } from './traces.ts';
