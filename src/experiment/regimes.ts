// The mined-share sweep (--regimes): the same comparison in several regimes of the task's noisy solver,
// each with its own π_ref trained on that regime's traces. What BCPG-NSA can gain over BCPG depends on the
// share of the negatives' tokens that lie in correct steps (the "mined share"; the paper: 22%); each regime
// sets that share through the solver's knobs, and BCPG-NSA with oracle labels shows what perfect mining
// would give there.
import { formatSolverSpec, parseSolverSpec, type SolverSettings, SolverSpecError } from '../tasks/solver-spec.ts';
import type { Task } from '../tasks/task.ts';
import { REGIME_UNITS, regimeRole, type RegimeUnit } from './plan.ts';
import type { ExperimentResults, LabelResult, RegimeResult } from './results.ts';
import { pairedDifference, type PairedDifference } from './stats.ts';

/** A malformed --regimes: the message names the option, the regime and the bad key. */
export class RegimeError extends Error {
  override name = 'RegimeError';
}

export const DEFAULT_REGIME = 'default';

export interface Regime {
  /** "default", or the settings as text in a fixed order ("slipWhere=late,difficulty=2"). */
  name: string;
  /** The experiment's own π_ref (and data); the rest train their own. */
  isDefault: boolean;
  /** The solver's knobs (none: its defaults); unused by the default regime. */
  solver: SolverSettings;
  /** The difficulty π_ref is trained at; unset: the experiment's. */
  difficulty?: number;
}

/**
 * --regimes text → regimes. Regimes are separated by ";", each "default" or key=value,... as --solver
 * takes it, plus an optional difficulty=N key. Every regime and key is checked against the task.
 */
export function parseRegimes(text: string, task: Pick<Task, 'name' | 'solverKnobs'>): Regime[] {
  const items = text.split(';').map((s) => s.trim());
  const regimes: Regime[] = [];
  for (const item of items) {
    if (item === '')
      throw new RegimeError(
        `--regimes ${text}: an empty regime; separate regimes with ";", e.g. "default;slipWhere=late,difficulty=2".`,
      );
    const regime = parseRegime(item, task);
    if (regimes.some((r) => r.name === regime.name))
      throw new RegimeError(`--regimes: regime "${item}" is given twice (as ${regime.name}).`);
    regimes.push(regime);
  }
  if (regimes.length < 2)
    throw new RegimeError(
      `--regimes ${text}: a sweep needs at least two regimes, e.g. "default;slipWhere=late,catchRate=0.8".`,
    );
  return regimes;
}

function parseRegime(item: string, task: Pick<Task, 'name' | 'solverKnobs'>): Regime {
  if (item === DEFAULT_REGIME) return { name: DEFAULT_REGIME, isDefault: true, solver: {} };
  const fail = (why: string) => new RegimeError(`--regimes: regime "${item}": ${why}`);
  const pairs = item.split(',').map((p) => p.trim());
  let difficulty: number | undefined;
  const solverPairs: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq >= 0 && pair.slice(0, eq).trim() === 'difficulty') {
      const value = pair.slice(eq + 1).trim();
      if (difficulty !== undefined) throw fail('difficulty is given twice.');
      if (!/^\d+$/.test(value)) throw fail(`difficulty=${value}: difficulty must be a whole number ≥ 0.`);
      difficulty = Number(value);
    } else solverPairs.push(pair);
  }
  let solver: SolverSettings = {};
  if (solverPairs.some((p) => p !== '') || difficulty === undefined) {
    try {
      solver = parseSolverSpec(solverPairs.join(','), task);
    } catch (error) {
      if (error instanceof SolverSpecError) throw fail(error.message.replace(/^--solver:?\s*/, ''));
      throw error;
    }
  }
  const text = [formatSolverSpec(solver), ...(difficulty === undefined ? [] : [`difficulty=${difficulty}`])];
  return {
    name: text.filter((t) => t !== '').join(','),
    isDefault: false,
    solver,
    ...(difficulty === undefined ? {} : { difficulty }),
  };
}

/** The regime's folder in the run folder (its π_ref, data and units): "regime-slipWhere_late_difficulty_2". */
export const regimeFolder = (name: string): string => `regime-${name.replace(/[^A-Za-z0-9.-]+/g, '_')}`;

/** Tokens of the negatives labelled correct, as a share of the negatives' tokens, summed over seeds. */
export function labelledShare(labels: readonly LabelResult[], source: 'consensus' | 'oracle'): number | null {
  const rows = labels.filter((l) => l.source === source);
  const correct = rows.reduce((s, l) => s + l.negativeTokensCorrect, 0);
  const all = rows.reduce((s, l) => s + l.negativeTokensCorrect + l.negativeTokensIncorrect, 0);
  return all > 0 ? correct / all : null;
}

/** One regime's accuracy of a unit on every seed of the run, in seed order. */
export function regimeAccuracies(results: ExperimentResults, regime: RegimeResult, unit: RegimeUnit): number[] {
  const role = regimeRole(regime.name, unit);
  return results.seeds.map((seed) => {
    const u = regime.units.find((x) => x.seed === seed && x.roles.includes(role));
    if (u === undefined) throw new Error(`results: regime ${regime.name} has no unit "${role}" on seed ${seed}.`);
    return u.eval.accuracy;
  });
}

export interface RegimeRow {
  regime: RegimeResult;
  /** The mined share of the regime's solver traces (task-stats). */
  minedShare: number;
  /** The share of its rollouts' negative tokens that the experiment's labels, and the oracle, mark correct. */
  labelledShare: number | null;
  oracleShare: number | null;
  /** Paired over seeds: BCPG-NSA − BCPG, and BCPG-NSA with oracle labels − BCPG. */
  nsaMinusBcpg: PairedDifference;
  oracleMinusBcpg: PairedDifference;
  /** Each seed's accuracy of the three units. */
  accuracy: Record<RegimeUnit, number[]>;
}

/** The sweep's rows in the order the regimes were given. */
export function regimeRows(results: ExperimentResults): RegimeRow[] {
  return (results.regimes ?? []).map((regime) => {
    const accuracy = Object.fromEntries(REGIME_UNITS.map((u) => [u, regimeAccuracies(results, regime, u)])) as Record<
      RegimeUnit,
      number[]
    >;
    return {
      regime,
      minedShare: regime.mined.share,
      labelledShare: labelledShare(regime.labels, 'consensus'),
      oracleShare: labelledShare(regime.labels, 'oracle'),
      nsaMinusBcpg: pairedDifference(accuracy['bcpg-nsa'], accuracy.bcpg),
      oracleMinusBcpg: pairedDifference(accuracy['bcpg-nsa-oracle'], accuracy.bcpg),
      accuracy,
    };
  });
}
