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

/** The (1 − α/2) quantile of Student's t with dof degrees of freedom. */
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
