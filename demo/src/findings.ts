// What the experiment found, read from docs/results/results.json at build
// time: π_ref, each method's accuracy over seeds, the paired differences of
// BCPG-NSA with their 95% intervals, the share of the negatives' tokens the
// consensus mined, per-method iterations and power fields when the file has
// them. Read defensively: a field that is missing or of another shape is
// left out (and listed in `problems`), never guessed — a regenerated file
// with new fields keeps the panel working.
import { regimeRows } from '../../src/experiment/regimes.ts';
import type { ExperimentResults } from '../../src/experiment/results.ts';
import { pairedDifference } from '../../src/experiment/stats.ts';
import { describeRegime, type SolverSettings } from '../../src/tasks/solver-spec.ts';

export interface MethodFinding {
  method: string;
  /** Mean accuracy over the seeds (a fraction). */
  mean: number;
  seeds: number;
}

export interface ComparisonFinding {
  /** 'reference' (π_ref) or the method compared with. */
  against: string;
  /** Mean over seeds of BCPG-NSA − against (a fraction). */
  mean: number;
  /** 95% t-interval over seeds; null below two seeds. */
  ci: [number, number] | null;
  seeds: number;
}

export interface IterationFinding {
  objective: string;
  iteration: number;
  mean: number;
  seeds: number;
}

/** One regime of the mined-share sweep, as the experiment's report shows it. */
export interface RegimeFinding {
  name: string;
  /** Its difficulty and knobs in words ("difficulty 1, slipWhere=late"). */
  regime: string;
  /** The mined share of its solver's traces (a fraction). */
  minedShare: number;
  /** BCPG-NSA − BCPG paired over seeds, with the report's 95% t-interval (null below two seeds). */
  nsaMinusBcpg: ComparisonFinding;
}

export interface PowerFinding {
  label: string;
  /** Known fields in words ("±1.2 pp"), then any other numbers as they are. */
  values: { name: string; value: number; text?: string }[];
}

export interface Findings {
  version: number | null;
  command: string | null;
  preset: string | null;
  seeds: number;
  evalPrompts: number | null;
  evalSamples: number | null;
  /** π_ref's held-out accuracy. */
  reference: number | null;
  methods: MethodFinding[];
  comparisons: ComparisonFinding[];
  /** Share of the negatives' tokens in steps the consensus labelled correct (iteration 1, summed over seeds). */
  minedShare: number | null;
  iterations: IterationFinding[];
  /** The mined-share sweep by mined share (empty when the file has none). */
  regimes: RegimeFinding[];
  power: PowerFinding[];
  /** The interval half-width the experiment aims at (a fraction), when the file states it. */
  targetHalfwidth: number | null;
  /** What could not be read. */
  problems: string[];
}

const MAIN = 'bcpg-nsa';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

interface Unit {
  seed: number;
  iteration: number;
  roles: string[];
  objective: string | null;
  accuracy: number;
}

function readUnits(value: unknown, problems: string[]): Unit[] {
  if (!Array.isArray(value)) {
    problems.push('no "units" list');
    return [];
  }
  const units: Unit[] = [];
  for (const u of value) {
    if (!isObject(u)) continue;
    const seed = num(u.seed);
    const accuracy = isObject(u.eval) ? num(u.eval.accuracy) : null;
    if (seed === null || accuracy === null) continue;
    units.push({
      seed,
      iteration: num(u.iteration) ?? 1,
      roles: Array.isArray(u.roles) ? u.roles.filter((r): r is string => typeof r === 'string') : [],
      objective: isObject(u.variant) ? str(u.variant.objective) : null,
      accuracy,
    });
  }
  return units;
}

/** A role's accuracy by seed (the first unit that plays it on each seed). */
function bySeed(units: readonly Unit[], role: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const u of units) if (u.roles.includes(role) && !out.has(u.seed)) out.set(u.seed, u.accuracy);
  return out;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export function readFindings(value: unknown): Findings {
  const problems: string[] = [];
  const results = isObject(value) ? value : {};
  if (!isObject(value)) problems.push('results.json is not an object');
  const config = isObject(results.config) ? results.config : {};
  const reference =
    isObject(results.reference) && isObject(results.reference.eval) ? num(results.reference.eval.accuracy) : null;
  if (reference === null) problems.push('no π_ref accuracy (reference.eval.accuracy)');
  const units = readUnits(results.units, problems);
  const seedList = Array.isArray(results.seeds) ? results.seeds.filter((s): s is number => num(s) !== null) : [];
  const methodNames = Array.isArray(results.methods)
    ? results.methods.filter((m): m is string => typeof m === 'string')
    : [];

  const methods: MethodFinding[] = [];
  for (const method of methodNames) {
    const values = [...bySeed(units, `method:${method}`).values()];
    if (values.length > 0) methods.push({ method, mean: mean(values), seeds: values.length });
  }

  const comparisons: ComparisonFinding[] = [];
  const main = bySeed(units, `method:${MAIN}`);
  const compare = (against: string, other: (seed: number) => number | undefined) => {
    const seeds = [...main.keys()].filter((s) => other(s) !== undefined).sort((a, b) => a - b);
    if (seeds.length === 0) return;
    const d = pairedDifference(
      seeds.map((s) => main.get(s)!),
      seeds.map((s) => other(s)!),
    );
    if (d.mean === null) return;
    comparisons.push({ against, mean: d.mean, ci: d.ci, seeds: seeds.length });
  };
  if (main.size === 0) problems.push(`no ${MAIN} units`);
  else {
    if (reference !== null) compare('reference', () => reference);
    for (const method of methodNames) {
      if (method === MAIN) continue;
      const other = bySeed(units, `method:${method}`);
      compare(method, (s) => other.get(s));
    }
  }

  return {
    version: num(results.version),
    command: str(results.command),
    preset: str(config.preset),
    seeds: seedList.length > 0 ? seedList.length : new Set(units.map((u) => u.seed)).size,
    evalPrompts: num(config.evalPrompts),
    evalSamples: num(config.evalSamples),
    reference,
    methods,
    comparisons,
    minedShare: minedShare(results.labels),
    iterations: iterationsOf(units),
    regimes: regimesOf(results, problems),
    power: powerOf(results),
    targetHalfwidth:
      num(results.targetHalfwidth) ?? (isObject(results.power) ? num(results.power.targetHalfwidth) : null),
    problems,
  };
}

function minedShare(labels: unknown): number | null {
  if (!Array.isArray(labels)) return null;
  let correct = 0;
  let incorrect = 0;
  for (const l of labels) {
    if (!isObject(l) || l.source !== 'consensus' || (num(l.iteration) ?? 1) !== 1) continue;
    correct += num(l.negativeTokensCorrect) ?? 0;
    incorrect += num(l.negativeTokensIncorrect) ?? 0;
  }
  return correct + incorrect > 0 ? correct / (correct + incorrect) : null;
}

/** The sweep's rows as the report computes them (regimeRows), ordered by mined share as it orders them. */
function regimesOf(results: Json, problems: string[]): RegimeFinding[] {
  if (results.regimes === undefined) return [];
  try {
    return regimeRows(results as unknown as ExperimentResults)
      .sort((a, b) => a.minedShare - b.minedShare)
      .flatMap((r) =>
        r.nsaMinusBcpg.mean === null
          ? []
          : [
              {
                name: r.regime.name,
                regime: describeRegime({ difficulty: r.regime.difficulty, solver: r.regime.solver as SolverSettings }),
                minedShare: r.minedShare,
                nsaMinusBcpg: {
                  against: 'bcpg',
                  mean: r.nsaMinusBcpg.mean,
                  ci: r.nsaMinusBcpg.ci,
                  seeds: r.nsaMinusBcpg.n,
                },
              },
            ],
      );
  } catch (error) {
    problems.push(`the mined-share sweep (regimes) could not be read: ${(error as Error).message}`);
    return [];
  }
}

/** A chain's role: "iteration:<method>:<k>" (version 2), or "iteration:<k>" (version 1: BCPG-NSA's chain). */
function chainRole(role: string): { objective: string; iteration: number } | null {
  const v2 = /^iteration:([^:]+):(\d+)$/.exec(role);
  if (v2 !== null) return { objective: v2[1], iteration: Number(v2[2]) };
  const v1 = /^iteration:(\d+)$/.exec(role);
  return v1 === null ? null : { objective: MAIN, iteration: Number(v1[1]) };
}

/** Each method's mean accuracy per iteration of its chain, when some chain has more than one. */
function iterationsOf(units: readonly Unit[]): IterationFinding[] {
  const chains = new Map<string, Map<number, Map<number, number>>>(); // objective → iteration → seed → accuracy
  for (const u of units)
    for (const role of u.roles) {
      const c = chainRole(role);
      if (c === null) continue;
      const byIteration = chains.get(c.objective) ?? new Map<number, Map<number, number>>();
      chains.set(c.objective, byIteration);
      const bySeed = byIteration.get(c.iteration) ?? new Map<number, number>();
      byIteration.set(c.iteration, bySeed);
      if (!bySeed.has(u.seed)) bySeed.set(u.seed, u.accuracy);
    }
  const out: IterationFinding[] = [];
  for (const [objective, byIteration] of chains) {
    if (byIteration.size < 2) continue;
    for (const iteration of [...byIteration.keys()].sort((a, b) => a - b)) {
      const values = [...byIteration.get(iteration)!.values()];
      out.push({ objective, iteration, mean: mean(values), seeds: values.length });
    }
  }
  return out.length > 0 ? out : iterationsByUnit(units);
}

/** Without chain roles: units past iteration 1 grouped by their objective. */
function iterationsByUnit(units: readonly Unit[]): IterationFinding[] {
  const later = units.filter((u) => u.iteration > 1 && u.objective !== null);
  if (later.length === 0) return [];
  const objectives = [...new Set(later.map((u) => u.objective!))];
  const out: IterationFinding[] = [];
  for (const objective of objectives) {
    const first = [...bySeed(units, `method:${objective}`).values()];
    if (first.length > 0) out.push({ objective, iteration: 1, mean: mean(first), seeds: first.length });
    const iterations = [...new Set(later.filter((u) => u.objective === objective).map((u) => u.iteration))];
    for (const iteration of iterations.sort((a, b) => a - b)) {
      const seen = new Map<number, number>();
      for (const u of later)
        if (u.objective === objective && u.iteration === iteration && !seen.has(u.seed)) seen.set(u.seed, u.accuracy);
      const values = [...seen.values()];
      out.push({ objective, iteration, mean: mean(values), seeds: values.length });
    }
  }
  return out;
}

/** The known fields of a comparison's power (version 2), in words. */
const POWER_FIELDS: [key: string, name: string, text: (v: number) => string][] = [
  ['halfWidth', '95% half-width', (v) => `±${(100 * v).toFixed(1)} pp`],
  ['minimumDetectable', 'smallest detectable difference', (v) => `${(100 * v).toFixed(1)} pp`],
  ['seedsForTarget', 'seeds for the target', (v) => String(Math.ceil(v))],
];

/**
 * Power fields, wherever a newer results.json keeps them: version 2's power.comparisons (the headline ones
 * when some are marked), else a "power" list or map of named numbers.
 */
function powerOf(results: Json): PowerFinding[] {
  const section = isObject(results.power) && Array.isArray(results.power.comparisons) ? results.power : null;
  if (section !== null) {
    const all = (section.comparisons as unknown[]).filter(isObject);
    const headline = all.filter((c) => c.headline === true);
    return (headline.length > 0 ? headline : all).flatMap((c) => {
      const values = POWER_FIELDS.flatMap(([key, name, text]) => {
        const v = num(c[key]);
        return v === null ? [] : [{ name, value: v, text: text(v) }];
      });
      return values.length > 0 ? [{ label: labelOf(c) ?? 'a comparison', values }] : [];
    });
  }
  const power = results.power;
  const entries: [string, unknown][] = Array.isArray(power)
    ? power.map((p, i) => [labelOf(p) ?? `comparison ${i + 1}`, p])
    : isObject(power)
      ? Object.entries(power)
      : [];
  const out: PowerFinding[] = [];
  for (const [label, entry] of entries) {
    if (num(entry) !== null) {
      out.push({ label, values: [{ name: label, value: num(entry)! }] });
      continue;
    }
    if (!isObject(entry)) continue;
    const values = Object.entries(entry).flatMap(([name, v]) => (num(v) === null ? [] : [{ name, value: num(v)! }]));
    if (values.length > 0) out.push({ label: labelOf(entry) ?? label, values });
  }
  return out;
}

function labelOf(entry: unknown): string | null {
  if (!isObject(entry)) return null;
  for (const key of ['name', 'label', 'comparison', 'role', 'key'])
    if (typeof entry[key] === 'string') return entry[key];
  return null;
}

/**
 * The normal approximation to a binomial proportion's 95% half-width, z·√(p(1 − p)/n), with n = prompts ×
 * samples treated as independent draws (samples of one prompt are not: the true width is wider).
 */
export function binomialHalfWidth(p: number, n: number, z = 1.96): number {
  if (!(n > 0)) return Number.NaN;
  return z * Math.sqrt((p * (1 - p)) / n);
}

export interface PagePrecision {
  /** Held-out draws: prompts × samples (greedy: one per prompt). */
  draws: number;
  /** The accuracy the width is computed at. */
  p: number;
  /** 95% half-width of one accuracy. */
  one: number;
  /** 95% half-width of a difference of two independent accuracies: √2 × one. */
  difference: number;
}

/** How precisely one in-page evaluation measures accuracy, from the run's own sizes (binomial approximation). */
export function pagePrecision(evalPrompts: number, evalSamples: number, p = 0.5): PagePrecision {
  const draws = evalPrompts * Math.max(1, evalSamples);
  const one = binomialHalfWidth(p, draws);
  return { draws, p, one, difference: Math.SQRT2 * one };
}
