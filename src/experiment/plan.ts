// What an experiment trains on each seed's dataset: the units.
//
// A unit is one training run from π_ref: an objective, β (BCPG-NSA only) and
// the label source whose step labels make the β mask (BCPG-NSA only; the other
// objectives never read the mask). The six-method comparison, the β sweep and
// the label sweep are roles of units: a unit that serves several roles (BCPG-NSA
// at the default β with consensus labels is the method row, the β = 0.5 point
// and the consensus point) is trained once and reported in each.
import { OBJECTIVE_NAMES, type ObjectiveName } from '../objectives/index.ts';

/** Where the β mask's step labels come from: one judge alone, or the consensus of the run's judges. */
export const LABEL_SOURCES = ['oracle', 'rule', 'prm', 'llm', 'consensus'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

export const SWEEP_KEYS = ['beta', 'labels'] as const;
export type SweepKey = (typeof SWEEP_KEYS)[number];

export interface Sweeps {
  beta?: number[];
  labels?: LabelSource[];
}

/** A malformed --sweep: the message names the option and what is wrong. */
export class SweepError extends Error {
  override name = 'SweepError';
}

/**
 * --sweep values → sweeps. Accepts the flag's comma-separated text already split
 * ("beta=-0.5", "0", "0.25", "labels=oracle", "rule"): a token with "=" starts a
 * sweep, the tokens after it add values, so two sweeps fit in one flag or in
 * two. Items may also hold commas themselves (a config file's array).
 */
export function parseSweeps(items: readonly string[]): Sweeps {
  const tokens = items
    .flatMap((i) => i.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const raw = new Map<SweepKey, string[]>();
  let current: string[] | null = null;
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq >= 0) {
      const key = token.slice(0, eq).trim();
      if (!(SWEEP_KEYS as readonly string[]).includes(key))
        throw new SweepError(`--sweep: unknown sweep "${key}" (known: ${SWEEP_KEYS.map((k) => `${k}=…`).join(', ')}).`);
      if (raw.has(key as SweepKey))
        throw new SweepError(`--sweep: "${key}" is given twice; list all its values once (${key}=a,b,c).`);
      current = [];
      raw.set(key as SweepKey, current);
      const first = token.slice(eq + 1).trim();
      if (first !== '') current.push(first);
    } else {
      if (current === null)
        throw new SweepError(
          `--sweep: "${token}" comes before any sweep name; write e.g. beta=-0.5,0,0.5 or labels=oracle,consensus.`,
        );
      current.push(token);
    }
  }
  if (raw.size === 0)
    throw new SweepError('--sweep: no sweep given; write e.g. beta=-0.5,0,0.5 or labels=oracle,consensus.');
  const sweeps: Sweeps = {};
  for (const [key, values] of raw) {
    if (values.length === 0) throw new SweepError(`--sweep ${key}=: no values.`);
    if (new Set(values).size !== values.length)
      throw new SweepError(`--sweep ${key}=${values.join(',')}: a value is repeated.`);
    if (key === 'beta') {
      sweeps.beta = values.map((v) => {
        const b = Number(v);
        // Eq. 7 allows β ∈ [−1, 1]: 1 is BCPG, below 0 rewards the mined tokens.
        if (v === '' || !Number.isFinite(b) || b < -1 || b > 1)
          throw new SweepError(`--sweep beta=${values.join(',')}: "${v}" is not a number in [−1, 1] (Eq. 7).`);
        return b;
      });
      if (new Set(sweeps.beta).size !== sweeps.beta.length)
        throw new SweepError(`--sweep beta=${values.join(',')}: a value is repeated.`);
    } else {
      for (const v of values) {
        if (!(LABEL_SOURCES as readonly string[]).includes(v))
          throw new SweepError(
            `--sweep labels=${values.join(',')}: unknown label source "${v}" (known: ${LABEL_SOURCES.join(', ')}).`,
          );
      }
      sweeps.labels = values as LabelSource[];
    }
  }
  return sweeps;
}

export interface Variant {
  objective: ObjectiveName;
  /** β of Eq. 7 (read by BCPG-NSA only; recorded as 1 for the rest). */
  beta: number;
  labels: LabelSource;
}

export interface PlannedUnit {
  /** A folder-safe name, unique within a seed and iteration. */
  key: string;
  variant: Variant;
  /**
   * The comparisons this unit is a row of: "method:topr", "beta:0.5", "labels:prm", and
   * "iteration:<method>:<k>" for a unit of an iterated method's chain.
   */
  roles: string[];
  /** From iteration 2: the iterated method whose own chain (policy and data) this unit continues. */
  chain?: ObjectiveName;
}

export function unitKey(v: Variant): string {
  return v.objective === 'bcpg-nsa' ? `bcpg-nsa_beta${v.beta}_${v.labels}` : v.objective;
}

/** The role of a chain's unit at an iteration: "iteration:bcpg:2". */
export const iterationRole = (method: string, iteration: number | string): string => `iteration:${method}:${iteration}`;

export interface PlanOptions {
  /** Objectives of the comparison (empty: sweeps only). */
  methods: readonly ObjectiveName[];
  sweeps: Sweeps;
  /** BCPG-NSA's β outside the β sweep (the pipeline's default). */
  beta: number;
  iterations: number;
  /** Methods whose policy samples the next iteration's data (their own chain each); empty with one iteration. */
  iterate: readonly ObjectiveName[];
  /** --regimes names the default regime: its units train on the seed's shared data too. */
  defaultRegime?: boolean;
}

/** The variant a method runs as in Table 3 and in its iteration chain: BCPG-NSA at the run's β, consensus labels. */
function methodVariant(m: ObjectiveName, beta: number): Variant {
  return m === 'bcpg-nsa'
    ? { objective: m, beta, labels: 'consensus' }
    : { objective: m, beta: 1, labels: 'consensus' };
}

/**
 * The units of iteration 1 (everything, on the seed's shared data) and of a
 * later iteration (one unit per iterated method, each on the data its own
 * previous policy sampled).
 */
export function planUnits(options: PlanOptions, iteration: number): PlannedUnit[] {
  const units = new Map<string, PlannedUnit>();
  const add = (variant: Variant, role: string, chain?: ObjectiveName) => {
    const key = unitKey(variant);
    const unit = units.get(key) ?? { key, variant, roles: [], ...(chain ? { chain } : {}) };
    if (!unit.roles.includes(role)) unit.roles.push(role);
    units.set(key, unit);
  };
  const nsa = (beta: number, labels: LabelSource): Variant => ({ objective: 'bcpg-nsa', beta, labels });
  if (iteration === 1) {
    for (const m of options.methods) add(methodVariant(m, options.beta), `method:${m}`);
    for (const b of options.sweeps.beta ?? []) add(nsa(b, 'consensus'), `beta:${b}`);
    for (const l of options.sweeps.labels ?? []) add(nsa(options.beta, l), `labels:${l}`);
    if (options.defaultRegime)
      for (const u of regimeUnits('default', options.beta)) for (const role of u.roles) add(u.variant, role);
  }
  if (options.iterations > 1)
    for (const m of options.iterate)
      add(methodVariant(m, options.beta), iterationRole(m, iteration), iteration > 1 ? m : undefined);
  return [...units.values()];
}

/**
 * The methods whose chains --iterations continues: --iterate if given, else
 * BCPG-NSA and BCPG (the pair the paper's multi-iteration claim compares).
 */
export function resolveIterate(given: readonly string[] | undefined, iterations: number): ObjectiveName[] {
  if (iterations < 2) {
    if (given !== undefined)
      throw new SweepError(`--iterate ${given.join(',')}: needs --iterations 2 or more (one iteration has no chain).`);
    return [];
  }
  if (given === undefined) return ['bcpg-nsa', 'bcpg'];
  if (given.length === 0) throw new SweepError('--iterate: name at least one method, e.g. --iterate bcpg-nsa,bcpg.');
  return OBJECTIVE_NAMES.filter((m) => given.includes(m));
}

/**
 * The objectives to compare: all six unless --methods names some; "none" runs
 * sweeps only. BCPG-NSA joins any other method, since every row is paired against it.
 */
export function resolveMethods(given: readonly string[] | undefined): ObjectiveName[] {
  if (given === undefined) return [...OBJECTIVE_NAMES];
  if (given.includes('none')) {
    if (given.length > 1)
      throw new SweepError(`--methods ${given.join(',')}: "none" (sweeps only) cannot be listed with methods.`);
    return [];
  }
  const methods = OBJECTIVE_NAMES.filter((m) => given.includes(m));
  if (!methods.includes('bcpg-nsa')) methods.unshift('bcpg-nsa');
  return methods;
}

/** The judges annotation must run so every label source can be rebuilt from stored labels. */
export function judgesNeeded(consensusJudges: readonly string[], sweeps: Sweeps): string[] {
  const needed = new Set(consensusJudges);
  for (const l of sweeps.labels ?? []) if (l !== 'consensus' && l !== 'oracle') needed.add(l);
  // The oracle's labels are always recorded (annotate's oracle: true): they measure every source.
  needed.delete('oracle');
  return [...needed];
}

/**
 * The units of the mined-share sweep in each regime: BCPG-NSA with the run's labels (the consensus),
 * BCPG-NSA with the oracle's (perfect mining), and BCPG, the baseline both are paired against.
 */
export const REGIME_UNITS = ['bcpg-nsa', 'bcpg-nsa-oracle', 'bcpg'] as const;
export type RegimeUnit = (typeof REGIME_UNITS)[number];

/** The role of a regime's unit: "regime:slipWhere=late:bcpg". */
export const regimeRole = (regime: string, unit: RegimeUnit): string => `regime:${regime}:${unit}`;

export function regimeUnits(regime: string, beta: number): PlannedUnit[] {
  const variants: Record<RegimeUnit, Variant> = {
    'bcpg-nsa': methodVariant('bcpg-nsa', beta),
    'bcpg-nsa-oracle': { objective: 'bcpg-nsa', beta, labels: 'oracle' },
    bcpg: methodVariant('bcpg', beta),
  };
  return REGIME_UNITS.map((u) => ({ key: unitKey(variants[u]), variant: variants[u], roles: [regimeRole(regime, u)] }));
}
