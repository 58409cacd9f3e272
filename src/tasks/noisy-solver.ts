// The arithmetic task's noisy solver (arithmetic/solver.ts) and what every task's solver shares (traces.ts),
// at the path their importers have used. A task's own solver is task.solver(options).
export { cleanTrace, DEFAULT_NOISY_SOLVER, NoisySolver, type NoisySolverOptions } from './arithmetic/solver.ts';
export type { Trace, TraceLine, TraceLineKind, TraceSolver } from './task.ts';
export { sftRecords, solveWithin, type TraceStats, traceStats } from './traces.ts';
