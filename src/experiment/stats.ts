// Statistics over seeds: mean ± sample standard deviation, and the paired
// difference of two methods evaluated on the same seeds with a two-sided
// t-interval. Pairing matters: each seed shares π_ref's rollouts and the
// held-out prompts across methods, so the per-seed differences cancel the
// seed-to-seed variation that the unpaired spreads still carry.
//
// Values that cannot be computed (a spread from one seed) are null, never
// NaN: results.json must stay valid JSON and the report shows them as "–".
import jStat from 'jstat';

export interface Spread {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n − 1); null below two values. */
  std: number | null;
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0) return { n, mean: null, std: null };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { n, mean, std: null };
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { n, mean, std: Math.sqrt(ss / (n - 1)) };
}

/** The p-quantile of Student's t with dof degrees of freedom (p = 1 − α/2 for a two-sided interval). */
export function tQuantile(p: number, dof: number): number {
  if (!(dof >= 1)) throw new Error(`t quantile: degrees of freedom must be ≥ 1, got ${dof}.`);
  if (!(p > 0 && p < 1)) throw new Error(`t quantile: p must lie in (0, 1), got ${p}.`);
  return jStat.studentt.inv(p, dof);
}

/** Where a confidence interval of a difference lies relative to 0. */
export type Side = 'above' | 'overlaps' | 'below' | 'undetermined';

export interface PairedDifference extends Spread {
  /** Confidence level of `ci` (0.95). */
  level: number;
  /** [low, high] of the mean difference; null below two pairs. */
  ci: [number, number] | null;
  side: Side;
}

/**
 * Mean of a[i] − b[i] over the pairs, with its t-interval at `level`.
 * `side` says whether the interval lies wholly above 0, wholly below, or
 * contains it; 'undetermined' with fewer than two pairs (no spread to judge).
 */
export function pairedDifference(a: readonly number[], b: readonly number[], level = 0.95): PairedDifference {
  if (a.length !== b.length)
    throw new Error(`paired difference: ${a.length} values against ${b.length}; the pairs must match seed for seed.`);
  const d = a.map((v, i) => v - b[i]);
  const s = spread(d);
  if (s.n < 2 || s.mean === null || s.std === null) return { ...s, level, ci: null, side: 'undetermined' };
  const half = tQuantile(1 - (1 - level) / 2, s.n - 1) * (s.std / Math.sqrt(s.n));
  // A difference that is the same on every seed has no spread: the interval is the point itself.
  const ci: [number, number] = [s.mean - half, s.mean + half];
  return { ...s, level, ci, side: sideOf(ci) };
}

export function sideOf(ci: [number, number]): Side {
  if (ci[0] > 0) return 'above';
  if (ci[1] < 0) return 'below';
  return 'overlaps';
}

// Power of a paired comparison over n seeds with a per-seed spread s_d of the
// differences (docs/algorithms.md, § 6.1): the interval's half-width (Eq. S1),
// the smallest difference the run would detect (Eq. S2), and how many seeds
// would reach a given half-width at that spread.

/** Eq. S1: half-width of the two-sided t-interval, t_{1−α/2, n−1} · s_d / √n. */
export function halfWidth(std: number, n: number, level = 0.95): number {
  return tQuantile(1 - (1 - level) / 2, n - 1) * (std / Math.sqrt(n));
}

/**
 * Eq. S2: the minimum detectable difference of a paired t-test, two-sided at
 * α with power 1 − β: MDE = (t_{1−α/2, n−1} + t_{1−β, n−1}) · s_d / √n.
 */
export function minimumDetectable(std: number, n: number, alpha = 0.05, power = 0.8): number {
  return (tQuantile(1 - alpha / 2, n - 1) + tQuantile(power, n - 1)) * (std / Math.sqrt(n));
}

/** The fewest seeds (≥ 2) whose Eq. S1 half-width at spread `std` is at most `target`; null past `limit`. */
export function seedsNeeded(std: number, target: number, level = 0.95, limit = 10_000): number | null {
  if (!(target > 0)) throw new Error(`seeds needed: the target half-width must be > 0, got ${target}.`);
  for (let n = 2; n <= limit; n++) if (halfWidth(std, n, level) <= target) return n;
  return null;
}

/**
 * Eq. S3: the evaluation's share of a per-seed difference's variance. On one
 * seed, two policies scored on the same P held-out prompts differ by the mean
 * of the per-prompt differences d_p (each a mean over the samples); with the
 * prompts as draws from the task, that mean has variance var(d_p) / P. Averaged
 * over seeds it is the part of s_d² that more held-out prompts (or samples)
 * would shrink; the rest is training noise, which only more seeds average out.
 * Null without per-prompt scores or with fewer than two prompts.
 */
export function evaluationVariance(
  a: readonly (readonly number[] | undefined)[],
  b: readonly (readonly number[] | undefined)[],
): number | null {
  if (a.length !== b.length || a.length === 0) return null;
  let sum = 0;
  for (let s = 0; s < a.length; s++) {
    const x = a[s];
    const y = b[s];
    if (x === undefined || y === undefined || x.length !== y.length || x.length < 2) return null;
    const d = spread(x.map((v, p) => v - y[p]));
    sum += (d.std ?? 0) ** 2 / d.n;
  }
  return sum / a.length;
}
