// `--solver key=value,...`: a task's noisy-solver knobs as one line of text (the CLI's), read into the
// options task.solver takes. Every key and value is checked, and a bad one is refused with its name.
import { SLIP_WHERE, type SolverOptions, type Task, type TaskSolverKnobs } from './task.ts';

/** Knobs of SolverOptions that --solver takes (the seed comes from the run's --seed). */
const PROBABILITIES = ['slipRate', 'checkRate', 'catchRate', 'falseConfirmRate'] as const;
export const SOLVER_KEYS: readonly string[] = [...PROBABILITIES, 'maxChars', 'slipWhere'];

/** What --solver sets: some of SolverOptions and of the task's own knobs. */
export type SolverSettings = Partial<SolverOptions> & TaskSolverKnobs;

export class SolverSpecError extends Error {
  override name = 'SolverSpecError';
}

/** Every key --solver takes for the task: SolverOptions' and the task's own (Task.solverKnobs). */
export function solverKeys(task: Pick<Task, 'solverKnobs'> | null): string[] {
  return [...SOLVER_KEYS, ...Object.keys(task?.solverKnobs ?? {})];
}

/**
 * "slipWhere=late,catchRate=0.8" → { slipWhere: 'late', catchRate: 0.8 }. With a task, a key neither
 * SolverOptions nor the task knows is refused; without one (before the task is loaded) such a key is
 * kept as text, for the check with the task. Spaces around keys and values are ignored.
 */
export function parseSolverSpec(text: string, task: Pick<Task, 'name' | 'solverKnobs'> | null): SolverSettings {
  const out: SolverSettings = {};
  const pairs = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (pairs.length === 0)
    throw new SolverSpecError('--solver: give key=value pairs, e.g. slipWhere=late,catchRate=0.8.');
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = (eq === -1 ? pair : pair.slice(0, eq)).trim();
    const value = eq === -1 ? '' : pair.slice(eq + 1).trim();
    if (eq === -1 || key === '' || value === '')
      throw new SolverSpecError(`--solver: "${pair}" is not key=value (e.g. slipWhere=late).`);
    if (Object.hasOwn(out, key)) throw new SolverSpecError(`--solver: ${key} is given twice.`);
    out[key] = parseValue(key, value, task);
  }
  return out;
}

function parseValue(key: string, value: string, task: Pick<Task, 'name' | 'solverKnobs'> | null): unknown {
  const bad = (what: string) => new SolverSpecError(`--solver ${key}=${value}: ${key} must be ${what}.`);
  if ((PROBABILITIES as readonly string[]).includes(key)) {
    const p = Number(value);
    if (!(p >= 0 && p <= 1)) throw bad('a probability in [0, 1]');
    return p;
  }
  if (key === 'maxChars') {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw bad('a positive integer (prompt + trace, in characters)');
    return n;
  }
  if (key === 'slipWhere') {
    if (!(SLIP_WHERE as readonly string[]).includes(value)) throw bad(`one of ${SLIP_WHERE.join(', ')}`);
    return value;
  }
  if (key === 'seed') throw new SolverSpecError("--solver seed: the solver's seed is the run's --seed.");
  const own = task?.solverKnobs?.[key];
  if (own !== undefined) {
    if (!own.includes(value)) throw bad(`one of ${own.join(', ')}`);
    return value;
  }
  if (task === null) return value;
  throw new SolverSpecError(
    `--solver: ${key} is not a knob of the ${task.name} solver; its knobs are ${solverKeys(task).join(', ')}.`,
  );
}

/** The settings as --solver text, keys in a fixed order ("" for none): how messages and files show them. */
export function formatSolverSpec(settings: SolverSettings): string {
  return Object.keys(settings)
    .sort()
    .map((k) => `${k}=${String(settings[k])}`)
    .join(',');
}

/** The settings in words: as --solver text, or "the solver's defaults" for none. */
export function describeSolver(settings: SolverSettings): string {
  return formatSolverSpec(settings) || "the solver's defaults";
}

/**
 * The solver's options for the settings at this seed, less the seed: what decides its traces, for
 * comparing two settings (slipShape=clamped is the same solver as none given).
 */
export function resolvedSolver(task: Task, settings: SolverSettings): Record<string, unknown> {
  const { seed: _seed, ...rest } = task.solver({ ...settings, seed: 0 }).options as SolverOptions & TaskSolverKnobs;
  return rest;
}

/** Whether two settings make the same traces: compared resolved, so knobs given at their defaults ask for nothing. */
export function sameSolver(task: Task, a: SolverSettings, b: SolverSettings): boolean {
  return JSON.stringify(resolvedSolver(task, a)) === JSON.stringify(resolvedSolver(task, b));
}

/** The traces a π_ref learns from: the solver's knobs (none: its defaults) and the problems' difficulty. */
export interface TraceRegime {
  solver: SolverSettings;
  difficulty: number;
}

/** "difficulty 2, slipWhere=late" or "difficulty 0, the solver's defaults": how messages and pages name a regime. */
export function describeRegime(regime: TraceRegime): string {
  return `difficulty ${regime.difficulty}, ${describeSolver(regime.solver)}`;
}

/** Whether π_ref learned the asked regime (both knobs, compared resolved, and difficulty). */
export function sameRegime(task: Task, learned: TraceRegime, asked: TraceRegime): boolean {
  return learned.difficulty === asked.difficulty && sameSolver(task, learned.solver, asked.solver);
}
