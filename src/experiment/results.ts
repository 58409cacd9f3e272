// results.json: every unit's numbers, the datasets, the label counts and the
// run's config, adapter and seconds — all a report (or a reader) needs, with no
// number left to recompute from the run folder. Aggregation over seeds (the
// table rows, the paired differences) lives here too, so the report and the
// claims read the same figures.
import type { ObjectiveName } from '../objectives/index.ts';
import type { PowerSection } from './power.ts';
import { iterationRole, type LabelSource, type Sweeps, type Variant } from './plan.ts';
import { pairedDifference, spread, type PairedDifference, type Spread } from './stats.ts';

export const RESULTS_FORMAT = 'gemstone-experiment';
/** 2: iteration chains per method (roles "iteration:<method>:<k>"), per-prompt scores, the power section. */
export const RESULTS_VERSION = 2;

/** One evaluation on the held-out prompts (the same prompts and sampling seeds for every policy). */
export interface EvalNumbers {
  /**
   * Accuracy as the paper measures it: pass@1, the mean correctness of the samples at temperature 0.7
   * (greedy accuracy when samples is 0).
   */
  accuracy: number;
  /** Greedy accuracy: the fraction of prompts whose greedy answer is right. */
  greedy?: number;
  /** pass@k by k, from `samples` samples per prompt (empty with samples 0). */
  passAtK: Record<string, number>;
  prompts: number;
  samples: number;
  /**
   * Correct samples of each held-out prompt, in prompt order (0 or 1 greedy when samples is 0): the
   * per-prompt scores that split a paired difference's spread into evaluation and training noise.
   */
  correctByPrompt?: number[];
  /** Rows generated together: a row's sampling seed depends on its batch, so pairing needs the same on every policy. */
  batch?: number;
}

export interface UnitResult {
  seed: number;
  iteration: number;
  key: string;
  variant: Variant;
  roles: string[];
  eval: EvalNumbers;
  steps: number;
  /** Training and evaluation of this unit. */
  seconds: number;
}

export interface DatasetResult {
  seed: number;
  iteration: number;
  /** From iteration 2: the method whose policy sampled it (each iterated method has its own data). */
  chain?: ObjectiveName;
  /** After dropping all-right and all-wrong groups (unless keepAll). */
  prompts: number;
  responses: number;
  negatives: number;
  tokens: number;
  negativeTokens: number;
  /** Accuracy of the sampled responses before dropping groups. */
  sampledAccuracy: number;
  droppedGroups: number;
  /** Seconds of rollouts, PRM and annotation. */
  seconds: number;
}

export interface LabelResult {
  seed: number;
  iteration: number;
  chain?: ObjectiveName;
  source: LabelSource;
  voters: string[];
  mode: string;
  negativeTokensCorrect: number;
  negativeTokensIncorrect: number;
  precision: number | null;
  recall: number | null;
}

export interface ExperimentResults {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  /** The command line that started the run. */
  command: string;
  /** Later legs' command lines (--resume, perhaps with more --sweep), in order. */
  resumedWith?: string[];
  adapter: string;
  profile: string;
  /** Seconds of work over every leg of the run (process start-up not counted). */
  seconds: number;
  config: Record<string, unknown>;
  seeds: number[];
  iterations: number;
  /** The methods with an iteration chain each (empty with one iteration). */
  iterate: ObjectiveName[];
  /** The half-width a paired difference's 95% interval should reach (--target-halfwidth, as a fraction). */
  targetHalfwidth: number;
  /** The power of every paired comparison (src/experiment/power.ts), stored for readers of this file. */
  power?: PowerSection;
  methods: ObjectiveName[];
  sweeps: Sweeps;
  /** BCPG-NSA's β outside the β sweep. */
  beta: number;
  /** The k of the pass@k column (the number of samples per prompt), null without sampling. */
  passK: number | null;
  reference: { path: string; trained: boolean; eval: EvalNumbers; seconds: number };
  datasets: DatasetResult[];
  labels: LabelResult[];
  units: UnitResult[];
  /** The mined-share sweep (--regimes), in the order given; absent without it. */
  regimes?: RegimeResult[];
}

/** The regime's mined share as `gemstone task-stats` measures it on its solver's traces. */
export interface MinedShare {
  share: number;
  minedTokens: number;
  negativeTokens: number;
  /** Traces drawn (training seeds 0 … traces − 1) and the solver's seed. */
  traces: number;
  seed: number;
}

/**
 * One regime of the mined-share sweep: its π_ref (the run's for the default regime, else trained on the
 * regime's traces), and per seed its data, label counts and the units of REGIME_UNITS (plan.ts), with
 * roles "regime:<name>:<unit>". The default regime's entries are copies of the run's seed data and units.
 */
export interface RegimeResult {
  name: string;
  isDefault: boolean;
  /** The knobs π_ref's traces were made with (none: the solver's defaults), and their difficulty. */
  solver: Record<string, unknown>;
  difficulty: number;
  /** The run folder's stage prefix of its π_ref, data and units (null for the default regime). */
  folder: string | null;
  mined: MinedShare;
  reference: { path: string; trained: boolean; eval: EvalNumbers; seconds: number };
  datasets: DatasetResult[];
  labels: LabelResult[];
  units: UnitResult[];
}

export type Metric = 'accuracy' | 'passAtK';

export function metricOf(e: EvalNumbers, metric: Metric, passK: number | null): number | null {
  if (metric === 'accuracy') return e.accuracy;
  return passK === null ? null : (e.passAtK[String(passK)] ?? null);
}

/** The unit playing `role` on a seed (at its iteration), or an error naming what is missing. */
export function unitFor(results: ExperimentResults, seed: number, role: string): UnitResult {
  const unit = results.units.find((u) => u.seed === seed && u.roles.includes(role));
  if (unit === undefined) throw new Error(`results: no unit plays "${role}" on seed ${seed}.`);
  return unit;
}

/** A role's metric on every seed, in seed order. */
export function seedValues(results: ExperimentResults, role: string, metric: Metric): number[] | null {
  const values = results.seeds.map((s) => metricOf(unitFor(results, s, role).eval, metric, results.passK));
  return values.some((v) => v === null) ? null : (values as number[]);
}

export interface Row {
  /** The level: "topr", "0.5", "consensus", "2". */
  level: string;
  role: string;
  accuracy: Spread;
  passAtK: Spread | null;
  /** Paired differences reference − this row (positive: the reference is better); null for the reference row itself. */
  vsReference: { accuracy: PairedDifference; passAtK: PairedDifference | null } | null;
}

/**
 * The rows of one comparison ("method", "beta", "labels", "iteration") in the
 * order given, each with mean ± std over seeds and, against `reference` (a
 * level of the same family), the paired difference reference − row.
 */
export function familyRows(
  results: ExperimentResults,
  family: string,
  levels: readonly string[],
  reference: string | null,
): Row[] {
  const refRole = reference === null ? null : `${family}:${reference}`;
  return levels.map((level) => {
    const role = `${family}:${level}`;
    const acc = seedValues(results, role, 'accuracy')!;
    const pass = seedValues(results, role, 'passAtK');
    let vsReference: Row['vsReference'] = null;
    if (refRole !== null && role !== refRole) {
      const refAcc = seedValues(results, refRole, 'accuracy')!;
      const refPass = seedValues(results, refRole, 'passAtK');
      vsReference = {
        accuracy: pairedDifference(refAcc, acc),
        passAtK: refPass && pass ? pairedDifference(refPass, pass) : null,
      };
    }
    return { level, role, accuracy: spread(acc), passAtK: pass ? spread(pass) : null, vsReference };
  });
}

/** The comparisons present, with their levels in run order. */
export function families(results: ExperimentResults): { family: string; levels: string[] }[] {
  const out: { family: string; levels: string[] }[] = [];
  const add = (family: string, levels: string[]) => {
    if (levels.length > 0) out.push({ family, levels });
  };
  add('method', results.methods.map(String));
  add('beta', (results.sweeps.beta ?? []).map(String));
  add('labels', (results.sweeps.labels ?? []).map(String));
  for (const m of results.iterate) add(iterationFamily(m), iterationLevels(results));
  return out;
}

/** The family of a method's chain: its roles are "iteration:<method>:<k>". */
export const iterationFamily = (method: string): string => iterationRole(method, '').slice(0, -1);

export const iterationLevels = (results: ExperimentResults): string[] =>
  results.iterations > 1 ? Array.from({ length: results.iterations }, (_, i) => String(i + 1)) : [];

/**
 * results.json as written by any version: version 1 (only BCPG-NSA iterated, roles "iteration:<k>")
 * is read as version 2; anything else is refused with what was found.
 */
export function readResults(json: unknown, file = 'results.json'): ExperimentResults {
  const r = json as Partial<ExperimentResults> & { version?: number };
  if (r === null || typeof r !== 'object' || r.format !== RESULTS_FORMAT)
    throw new Error(`${file}: not a gemstone experiment's results (format ${JSON.stringify(r?.format)}).`);
  if (r.version === RESULTS_VERSION) return r as ExperimentResults;
  if (r.version !== 1)
    throw new Error(`${file}: results version ${r.version}; this gemstone reads versions 1 and ${RESULTS_VERSION}.`);
  const old = r as unknown as ExperimentResults;
  const role = (x: string) => (/^iteration:\d+$/.test(x) ? iterationRole('bcpg-nsa', x.split(':')[1]) : x);
  return {
    ...old,
    version: RESULTS_VERSION,
    iterate: old.iterations > 1 ? ['bcpg-nsa'] : [],
    targetHalfwidth: 0.015,
    units: old.units.map((u) => ({ ...u, roles: u.roles.map(role) })),
  };
}

/** Label counts of a source summed over seeds (iteration 1: the data every compared unit trains on). */
export function labelTotals(
  results: ExperimentResults,
  source: LabelSource,
): { correct: number; incorrect: number; precision: Spread; recall: Spread } {
  const rows = results.labels.filter((l) => l.source === source && l.iteration === 1);
  return {
    correct: rows.reduce((s, l) => s + l.negativeTokensCorrect, 0),
    incorrect: rows.reduce((s, l) => s + l.negativeTokensIncorrect, 0),
    precision: spread(rows.flatMap((l) => (l.precision === null ? [] : [l.precision]))),
    recall: spread(rows.flatMap((l) => (l.recall === null ? [] : [l.recall]))),
  };
}
