// The power of each paired comparison of a run: the half-width its 95% interval
// reached (Eq. S1), the smallest difference it could detect (Eq. S2), how many
// seeds the target half-width needs at the observed spread, and how much of that
// spread is evaluation noise (Eq. S3) rather than training noise — so a reader
// knows whether more seeds or more held-out prompts would help more.
import { methodName } from './names.ts';
import { iterationRole, regimeRole } from './plan.ts';
import type { ExperimentResults } from './results.ts';
import { evaluationVariance, halfWidth, minimumDetectable, seedsNeeded, spread } from './stats.ts';

export const POWER = { level: 0.95, alpha: 0.05, power: 0.8 } as const;
/** The target half-width of a paired method difference: ±1.5 points. */
export const DEFAULT_TARGET_HALFWIDTH = 0.015;
/** The "more held-out prompts" the power table prices: four times as many. */
export const MORE_PROMPTS = 4;

export interface ComparisonPower {
  /** The comparison family: "method", "beta", "labels", "iteration:<method>", "iteration-pair", "regime:<name>". */
  family: string;
  /** "BCPG-NSA − BCPG", in the direction the report states its Δ. */
  name: string;
  /** Roles of the two sides: the difference is a − b, seed by seed. */
  a: string;
  b: string;
  /** A Table-3 comparison (or, without methods, an iteration pair): it gets a sentence in the report. */
  headline: boolean;
  n: number;
  mean: number | null;
  /** s_d, the sample std of the per-seed differences; null below two seeds. */
  std: number | null;
  /** Eq. S1 at the run's n; null below two seeds. */
  halfWidth: number | null;
  /** Eq. S2 at the run's n. */
  minimumDetectable: number | null;
  reached: boolean | null;
  /** Seeds for the target half-width at s_d (Eq. S1 solved for n). */
  seedsForTarget: number | null;
  /** Eq. S3: the evaluation's variance in s_d² (null without per-prompt scores). */
  evaluationVariance: number | null;
  /** Its share of s_d², capped at 1 (a few seeds may measure s_d² below the evaluation's estimate). */
  evaluationShare: number | null;
  /** Seeds for the target with MORE_PROMPTS times the held-out prompts (the evaluation's part / 4). */
  seedsWithMorePrompts: number | null;
  /** Seeds for the target with no evaluation noise at all (the floor more prompts cannot lower). */
  seedsWithoutEvaluationNoise: number | null;
}

export interface PowerSection {
  /** Whether every evaluation of the run was on the same prompts with the same sampling seeds (pairingOf). */
  paired: boolean;
  pairing: string;
  level: number;
  alpha: number;
  power: number;
  targetHalfwidth: number;
  morePrompts: number;
  comparisons: ComparisonPower[];
}

/** Each prompt's score (correct samples / samples, or greedy 0/1) on every seed, for a role; undefined if absent. */
function promptScores(results: ExperimentResults, role: string): (number[] | undefined)[] {
  return results.seeds.map((seed) => {
    const e = results.units.find((u) => u.seed === seed && u.roles.includes(role))?.eval;
    if (e?.correctByPrompt === undefined) return undefined;
    const per = Math.max(1, e.samples);
    return e.correctByPrompt.map((c) => c / per);
  });
}

function accuracies(results: ExperimentResults, role: string): number[] {
  return results.seeds.map((seed) => {
    const unit = results.units.find((u) => u.seed === seed && u.roles.includes(role));
    if (unit === undefined) throw new Error(`results: no unit plays "${role}" on seed ${seed}.`);
    return unit.eval.accuracy;
  });
}

/** The power of the difference a − b over the run's seeds. */
export function comparisonPower(
  results: ExperimentResults,
  family: string,
  name: string,
  a: string,
  b: string,
  headline: boolean,
): ComparisonPower {
  const target = results.targetHalfwidth;
  const x = accuracies(results, a);
  const y = accuracies(results, b);
  const d = spread(x.map((v, i) => v - y[i]));
  const base = { family, name, a, b, headline, n: d.n, mean: d.mean, std: d.std };
  if (d.std === null)
    return {
      ...base,
      halfWidth: null,
      minimumDetectable: null,
      reached: null,
      seedsForTarget: null,
      evaluationVariance: null,
      evaluationShare: null,
      seedsWithMorePrompts: null,
      seedsWithoutEvaluationNoise: null,
    };
  const total = d.std ** 2;
  const evalVar = evaluationVariance(promptScores(results, a), promptScores(results, b));
  const half = halfWidth(d.std, d.n, POWER.level);
  // From few seeds s_d² is itself noisy and may fall below the evaluation's estimate: the evaluation's part is
  // then all of it (capped, so more prompts never price above today's spread), and no training noise is left.
  const evalPart = evalVar === null ? null : Math.min(evalVar, total);
  const training = evalPart === null ? null : total - evalPart;
  const seedsAt = (variance: number | null) =>
    variance === null ? null : seedsNeeded(Math.sqrt(variance), target, POWER.level);
  return {
    ...base,
    halfWidth: half,
    minimumDetectable: minimumDetectable(d.std, d.n, POWER.alpha, POWER.power),
    reached: half <= target,
    seedsForTarget: seedsAt(total),
    evaluationVariance: evalVar,
    evaluationShare: evalPart === null ? null : total > 0 ? evalPart / total : 0,
    seedsWithMorePrompts: training === null ? null : seedsAt(training + evalPart! / MORE_PROMPTS),
    seedsWithoutEvaluationNoise: seedsAt(training),
  };
}

/** Every paired comparison the report states a Δ for, with its power. */
export function powerSection(results: ExperimentResults): PowerSection {
  const out: ComparisonPower[] = [];
  const methods = results.methods.filter((m) => m !== 'bcpg-nsa');
  const hasNsa = results.methods.includes('bcpg-nsa');
  if (hasNsa)
    for (const m of methods)
      out.push(
        comparisonPower(results, 'method', `BCPG-NSA − ${methodName(m)}`, 'method:bcpg-nsa', `method:${m}`, true),
      );
  const betas = results.sweeps.beta ?? [];
  if (betas.includes(1))
    for (const b of betas.filter((v) => v !== 1))
      out.push(comparisonPower(results, 'beta', `β ${b} − β 1`, `beta:${b}`, 'beta:1', false));
  const sources = results.sweeps.labels ?? [];
  if (sources.includes('consensus'))
    for (const s of sources.filter((v) => v !== 'consensus'))
      out.push(comparisonPower(results, 'labels', `consensus − ${s}`, 'labels:consensus', `labels:${s}`, false));
  for (const m of results.iterate)
    for (let k = 2; k <= results.iterations; k++)
      out.push(
        comparisonPower(
          results,
          `iteration:${m}`,
          `${methodName(m)}: iteration ${k} − iteration 1`,
          iterationRole(m, k),
          iterationRole(m, 1),
          false,
        ),
      );
  if (results.iterate.includes('bcpg-nsa'))
    for (const m of results.iterate.filter((v) => v !== 'bcpg-nsa'))
      for (let k = 1; k <= results.iterations; k++)
        out.push(
          comparisonPower(
            results,
            'iteration-pair',
            `iteration ${k}: BCPG-NSA − ${methodName(m)}`,
            iterationRole('bcpg-nsa', k),
            iterationRole(m, k),
            !hasNsa && k === results.iterations,
          ),
        );
  // The mined-share sweep: each regime's two differences, over its own units (its own π_ref and data).
  for (const r of results.regimes ?? []) {
    const view = { ...results, units: r.units };
    const against = (unit: 'bcpg-nsa' | 'bcpg-nsa-oracle', name: string) =>
      comparisonPower(
        view,
        `regime:${r.name}`,
        `${r.name}: ${name}`,
        regimeRole(r.name, unit),
        regimeRole(r.name, 'bcpg'),
        false,
      );
    out.push(against('bcpg-nsa', 'BCPG-NSA − BCPG'), against('bcpg-nsa-oracle', 'BCPG-NSA (oracle labels) − BCPG'));
  }
  const pairing = pairingOf(results);
  return {
    paired: pairing.paired,
    pairing: pairing.text,
    level: POWER.level,
    alpha: POWER.alpha,
    power: POWER.power,
    targetHalfwidth: results.targetHalfwidth,
    morePrompts: MORE_PROMPTS,
    comparisons: out,
  };
}

/**
 * Checks, from the numbers each evaluation recorded, that every policy of the run (π_ref and every unit, on
 * every seed) saw the same held-out prompts with the same sampling seeds: the same prompt count (the prompts
 * are the first n of the held-out range), samples and generation batch (a row's seed is its batch's).
 */
export function pairingOf(results: ExperimentResults): { paired: boolean; text: string } {
  const ref = results.reference.eval;
  const evals = [ref, ...results.units.map((u) => u.eval)];
  const differ = (key: 'prompts' | 'samples' | 'batch') => new Set(evals.map((e) => e[key])).size > 1;
  const faults = (['prompts', 'samples', 'batch'] as const).filter(differ);
  if (faults.length > 0)
    return {
      paired: false,
      text:
        `NOT paired: the evaluations differ in ${faults.join(', ')} (a resumed leg changed --eval-prompts, ` +
        '--eval-samples or --batch), so their differences include a draw of other prompts or samples',
    };
  const how =
    ref.batch === undefined
      ? 'the same sampling seed (the generation batch, on which a row’s stream also depends, was not recorded)'
      : `the same sampling seeds (batches of ${ref.batch} rows: the same random stream for each prompt and sample)`;
  return {
    paired: true,
    text:
      'paired: every policy of the run — π_ref and each method, β, label source and iteration, on every seed — ' +
      `was evaluated on the same ${ref.prompts} held-out prompts with ${how}`,
  };
}

const pp = (x: number) => `${(100 * x).toFixed(1)}`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${pp(Math.abs(x))}`;
const seedsText = (n: number | null) => (n === null ? 'more than 10,000 seeds' : `${n} seeds`);

/** One honest sentence: what this run can and cannot resolve for a comparison, and what would help more. */
export function powerSentence(c: ComparisonPower, target: number): string {
  if (c.std === null || c.halfWidth === null || c.mean === null)
    return `${c.name}: one seed, so no spread and no interval; run --seeds 2 or more to measure its power.`;
  const head =
    `${c.name}: ${signed(c.mean)} pp ± ${pp(c.halfWidth)} (95%) over ${c.n} seeds; ` +
    `the smallest difference this run would detect (power ${POWER.power}) is ${pp(c.minimumDetectable!)} pp.`;
  if (c.std === 0)
    return `${head} Every seed gave the same difference, so the interval has no width; more seeds would test that.`;
  if (c.reached) return `${head} The ±${pp(target)}-point target is reached.`;
  const need = ` ±${pp(target)} points would need ${seedsText(c.seedsForTarget)} at this spread`;
  if (c.evaluationShare === null) return `${head}${need}.`;
  const share =
    c.evaluationVariance! >= c.std ** 2
      ? 'evaluation noise alone would explain all of the per-seed variance (its estimate exceeds the spread ' +
        `${c.n} seeds measured)`
      : `evaluation noise is ${(100 * c.evaluationShare).toFixed(0)}% of the per-seed variance`;
  const helps =
    c.evaluationShare >= 0.5
      ? `more held-out prompts × samples would help most (${MORE_PROMPTS}× the prompts: ` +
        `${seedsText(c.seedsWithMorePrompts)})`
      : `more seeds would help more than more held-out prompts (${MORE_PROMPTS}× the prompts: ` +
        `${seedsText(c.seedsWithMorePrompts)}; with none of that noise, ${seedsText(c.seedsWithoutEvaluationNoise)})`;
  return `${head}${need}; ${share}, so ${helps}.`;
}
