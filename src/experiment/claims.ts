// The paper's claims, each judged from the numbers of a run — never typed.
//
// A comparison claim ("A beats B") holds when the 95% t-interval of the paired
// difference A − B over seeds lies above 0; it is reversed when the interval
// lies below 0; otherwise the run does not show it either way (too few seeds,
// or too small an effect for the spread). With one seed there is no spread and
// nothing is decided.
import { methodName } from './names.ts';
import { iterationRole } from './plan.ts';
import { familyRows, labelTotals, seedValues, type ExperimentResults } from './results.ts';
import { pairedDifference, type PairedDifference } from './stats.ts';

export type Verdict = 'holds' | 'not shown' | 'reversed' | 'undetermined' | 'suggested' | 'does not hold';

export interface Claim {
  /** Which part of the paper makes it. */
  source: string;
  statement: string;
  verdict: Verdict;
  /** The figures the verdict rests on, in words. */
  evidence: string;
}

const pp = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;

/** "+2.1 pp, 95% CI [−0.4, +4.6]" */
export function describeDifference(d: PairedDifference): string {
  if (d.mean === null) return 'no data';
  const ci =
    d.ci === null ? 'no interval from one seed' : `${Math.round(100 * d.level)}% CI [${pp(d.ci[0])}, ${pp(d.ci[1])}]`;
  return `${pp(d.mean)} pp, ${ci}, ${d.n} seed${d.n === 1 ? '' : 's'}`;
}

export function verdictOf(d: PairedDifference): Verdict {
  switch (d.side) {
    case 'above':
      return 'holds';
    case 'below':
      return 'reversed';
    case 'overlaps':
      return 'not shown';
    default:
      return 'undetermined';
  }
}

function comparison(source: string, statement: string, d: PairedDifference, what: string): Claim {
  return { source, statement, verdict: verdictOf(d), evidence: `${what}: ${describeDifference(d)}` };
}

export function judgeClaims(results: ExperimentResults): Claim[] {
  const claims: Claim[] = [];
  const nsaRole = 'method:bcpg-nsa';
  const hasMethods = results.methods.includes('bcpg-nsa');

  if (hasMethods) {
    const nsa = seedValues(results, nsaRole, 'accuracy')!;
    const start = nsa.map(() => results.reference.eval.accuracy);
    claims.push(
      comparison(
        'Table 3 (start model)',
        'BCPG-NSA improves on the start model π_ref',
        pairedDifference(nsa, start),
        'accuracy, BCPG-NSA − π_ref',
      ),
    );
    for (const row of familyRows(results, 'method', results.methods, 'bcpg-nsa')) {
      if (row.vsReference === null) continue;
      claims.push(
        comparison(
          'Table 3',
          `BCPG-NSA beats ${methodName(row.level)}`,
          row.vsReference.accuracy,
          `accuracy, BCPG-NSA − ${methodName(row.level)}`,
        ),
      );
    }
  }

  const betas = [...(results.sweeps.beta ?? [])].sort((a, b) => a - b);
  if (betas.length >= 3) claims.push(betaShape(results, betas));
  if (betas.length >= 2 && betas.includes(1) && betas[0] < 1) {
    const low = betas[0];
    const d = pairedDifference(
      seedValues(results, `beta:${low}`, 'accuracy')!,
      seedValues(results, 'beta:1', 'accuracy')!,
    );
    claims.push(
      comparison(
        'Figure 2 (β ablation)',
        `BCPG-NSA beats BCPG (β = 1) even at β = ${low}`,
        d,
        `accuracy, β ${low} − β 1`,
      ),
    );
  }

  const sources = results.sweeps.labels ?? [];
  if (sources.includes('consensus')) {
    const consensus = seedValues(results, 'labels:consensus', 'accuracy')!;
    for (const s of sources) {
      if (s === 'consensus') continue;
      const d = pairedDifference(consensus, seedValues(results, `labels:${s}`, 'accuracy')!);
      const paper = s === 'prm' || s === 'llm';
      claims.push(
        comparison(
          paper ? 'Tables 4–5 (annotation ablation)' : 'gemstone (not in the paper)',
          `consensus labels train better than ${s} labels alone`,
          d,
          `accuracy, consensus − ${s}`,
        ),
      );
    }
    const singles = sources.filter((s) => s !== 'consensus' && s !== 'oracle');
    if (singles.length > 0) {
      const c = labelTotals(results, 'consensus').correct;
      const others = singles.map((s) => ({ s, n: labelTotals(results, s).correct }));
      const fewest = others.every((o) => c < o.n);
      claims.push({
        source: 'Tables 4–5 (annotation ablation)',
        statement: 'consensus labels the fewest tokens of negatives correct (it mines the least)',
        verdict: fewest ? 'holds' : 'does not hold',
        evidence:
          `tokens of negatives labelled correct, summed over seeds: consensus ${c}, ` +
          `${others.map((o) => `${o.s} ${o.n}`).join(', ')}`,
      });
    }
  }

  if (results.iterations > 1) {
    const last = results.iterations;
    // The paper iterates BCPG-NSA; each chain's own further round is judged, then BCPG-NSA against each other chain.
    for (const m of results.iterate) {
      const d = pairedDifference(
        seedValues(results, iterationRole(m, last), 'accuracy')!,
        seedValues(results, iterationRole(m, 1), 'accuracy')!,
      );
      claims.push(
        comparison(
          '§ multi-iteration training',
          `${methodName(m)}: a further round (iteration ${last}) improves on iteration 1`,
          d,
          `accuracy, ${methodName(m)} iteration ${last} − iteration 1`,
        ),
      );
    }
    if (results.iterate.includes('bcpg-nsa'))
      for (const m of results.iterate.filter((v) => v !== 'bcpg-nsa'))
        claims.push(
          comparison(
            '§ multi-iteration training',
            `BCPG-NSA beats ${methodName(m)} after ${last} iterations, each sampling from its own policy`,
            pairedDifference(
              seedValues(results, iterationRole('bcpg-nsa', last), 'accuracy')!,
              seedValues(results, iterationRole(m, last), 'accuracy')!,
            ),
            `accuracy at iteration ${last}, BCPG-NSA − ${methodName(m)}`,
          ),
        );
  }
  return claims;
}

/**
 * Figure 2's shape: going down from β = 1, accuracy first rises, then falls —
 * the best β lies strictly inside the swept range. Judged on the mean curve;
 * "holds" also needs the peak to beat both ends with intervals above 0.
 */
function betaShape(results: ExperimentResults, betas: number[]): Claim {
  const means = betas.map((b) => ({ b, m: familyRows(results, 'beta', [String(b)], null)[0].accuracy.mean ?? 0 }));
  const best = Math.max(...means.map((x) => x.m));
  const curve = means.map((x) => `β ${x.b}: ${(100 * x.m).toFixed(1)}%`).join(', ');
  const base = {
    source: 'Figure 2 (β ablation)',
    statement: 'accuracy rises then falls as β goes down from 1 (a peak inside the range)',
  };
  if (means.every((x) => x.m === best)) return { ...base, verdict: 'not shown', evidence: `flat curve (${curve})` };
  const peaks = means.filter((x) => x.m === best).map((x) => x.b);
  const ends = [betas[0], betas.at(-1)!];
  if (peaks.some((b) => ends.includes(b)))
    return {
      ...base,
      verdict: 'does not hold',
      evidence: `best mean at β ${peaks.join(', ')}, an end of the range (${curve})`,
    };
  const peak = peaks[0];
  const values = (b: number) => seedValues(results, `beta:${b}`, 'accuracy')!;
  const vsEnds = ends.map((e) => pairedDifference(values(peak), values(e)));
  const shown = vsEnds.every((d) => d.side === 'above');
  return {
    ...base,
    verdict: shown ? 'holds' : 'suggested',
    evidence:
      `best mean at β ${peak} (${curve}); β ${peak} − β ${ends[0]}: ${describeDifference(vsEnds[0])}; ` +
      `β ${peak} − β ${ends[1]}: ${describeDifference(vsEnds[1])}`,
  };
}

export const VERDICT_MEANING: Record<Verdict, string> = {
  holds: 'the 95% interval of the paired difference lies above 0',
  'not shown': 'the interval contains 0: this run can neither confirm nor refute it',
  reversed: 'the interval lies below 0: the opposite holds here',
  undetermined: 'one seed: no spread to judge by',
  suggested: 'the mean curve has the shape, but the intervals contain 0',
  'does not hold': 'the figures have another shape or order',
};
