// The demo's "what the experiment found" panel, its reading of results.json:
// the same figures as the experiment's own report (src/experiment), newer
// fields shown when present, odd files read without throwing; and the page's
// binomial half-width against hand values.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binomialHalfWidth, pagePrecision, readFindings } from '../demo/src/findings.ts';
import { familyRows, labelTotals, type ExperimentResults } from '../src/experiment/results.ts';

const results = JSON.parse(
  readFileSync(new URL('../docs/results/results.json', import.meta.url), 'utf8'),
) as ExperimentResults;

describe('the findings panel reads docs/results/results.json', () => {
  const findings = readFindings(results);

  it('with the report’s figures: π_ref, each method, BCPG-NSA − each method', () => {
    expect(findings.problems).toEqual([]);
    expect(findings.reference).toBe(results.reference.eval.accuracy);
    expect(findings.seeds).toBe(results.seeds.length);
    const rows = familyRows(results, 'method', results.methods, 'bcpg-nsa');
    expect(findings.methods.map((m) => m.method)).toEqual(results.methods);
    rows.forEach((row, i) => expect(findings.methods[i].mean).toBeCloseTo(row.accuracy.mean!, 12));
    for (const row of rows) {
      if (row.vsReference === null) continue;
      const c = findings.comparisons.find((x) => x.against === row.level)!;
      expect(c.mean).toBeCloseTo(row.vsReference.accuracy.mean!, 12);
      expect(c.ci![0]).toBeCloseTo(row.vsReference.accuracy.ci![0], 12);
      expect(c.ci![1]).toBeCloseTo(row.vsReference.accuracy.ci![1], 12);
    }
    const start = findings.comparisons.find((c) => c.against === 'reference')!;
    expect(start.mean).toBeCloseTo(rows[0].accuracy.mean! - results.reference.eval.accuracy, 12);
  });

  it('with the consensus’s mined share of the negatives’ tokens', () => {
    const totals = labelTotals(results, 'consensus');
    expect(findings.minedShare).toBeCloseTo(totals.correct / (totals.correct + totals.incorrect), 12);
  });

  it('shows per-method iterations and power fields when a newer file has them', () => {
    const later = results.units
      .filter((u) => u.roles.includes('method:bcpg-nsa') || u.roles.includes('method:bcpg'))
      .flatMap((u) =>
        [2, 3].map((iteration) => ({ ...u, iteration, roles: [], eval: { ...u.eval, accuracy: 0.1 * iteration } })),
      );
    const v2 = {
      ...results,
      version: 2,
      units: [...results.units, ...later],
      power: [{ comparison: 'bcpg-nsa − bcpg', halfWidth: 0.012, mde: 0.017, seedsNeeded: 9, note: 'text' }],
      somethingNew: { x: 1 },
    };
    const f = readFindings(v2);
    expect(f.version).toBe(2);
    expect(f.power).toEqual([
      {
        label: 'bcpg-nsa − bcpg',
        values: [
          { name: 'halfWidth', value: 0.012 },
          { name: 'mde', value: 0.017 },
          { name: 'seedsNeeded', value: 9 },
        ],
      },
    ]);
    const nsa = f.iterations.filter((i) => i.objective === 'bcpg-nsa');
    expect(nsa.map((i) => i.iteration)).toEqual([1, 2, 3]);
    expect(nsa[1].mean).toBeCloseTo(0.2, 12);
    expect(nsa[2].seeds).toBe(results.seeds.length);
    expect(f.iterations.filter((i) => i.objective === 'bcpg').map((i) => i.iteration)).toEqual([1, 2, 3]);
    expect(f.comparisons).toEqual(findings.comparisons);
  });

  it('reads version 2: chains per method ("iteration:<method>:<k>") and the power section', () => {
    const chained = results.units
      .filter((u) => u.roles.includes('method:bcpg-nsa') || u.roles.includes('method:bcpg'))
      .flatMap((u) => {
        const method = u.roles.includes('method:bcpg') ? 'bcpg' : 'bcpg-nsa';
        return [
          { ...u, roles: [...u.roles, `iteration:${method}:1`] },
          ...[2, 3].map((k) => ({
            ...u,
            iteration: k,
            chain: method,
            roles: [`iteration:${method}:${k}`],
            eval: { ...u.eval, accuracy: (method === 'bcpg' ? 0.01 : 0.02) * k },
          })),
        ];
      });
    const others = results.units.filter((u) => !chained.some((c) => c.key === u.key && c.seed === u.seed));
    const comparison = (name: string, headline: boolean) => ({
      family: 'method',
      name,
      a: 'method:bcpg-nsa',
      b: 'method:bcpg',
      headline,
      n: 3,
      mean: 0.003,
      std: 0.01,
      halfWidth: 0.026,
      minimumDetectable: 0.0371,
      reached: false,
      seedsForTarget: 11.2,
      evaluationVariance: null,
    });
    const v2 = {
      ...results,
      version: 2,
      iterate: ['bcpg-nsa', 'bcpg'],
      targetHalfwidth: 0.015,
      units: [...others, ...chained],
      power: {
        paired: true,
        targetHalfwidth: 0.015,
        comparisons: [comparison('BCPG-NSA − BCPG', true), comparison('β 0 − β 1', false)],
      },
    };
    const f = readFindings(v2);
    expect(f.targetHalfwidth).toBe(0.015);
    expect(f.power).toEqual([
      {
        label: 'BCPG-NSA − BCPG',
        values: [
          { name: '95% half-width', value: 0.026, text: '±2.6 pp' },
          { name: 'smallest detectable difference', value: 0.0371, text: '3.7 pp' },
          { name: 'seeds for the target', value: 11.2, text: '12' },
        ],
      },
    ]);
    expect(f.iterations.map((i) => `${i.objective} ${i.iteration}`)).toEqual([
      'bcpg-nsa 1',
      'bcpg-nsa 2',
      'bcpg-nsa 3',
      'bcpg 1',
      'bcpg 2',
      'bcpg 3',
    ]);
    expect(f.iterations[5].mean).toBeCloseTo(0.03, 12);
    expect(f.comparisons).toEqual(findings.comparisons);
  });

  it('says what an odd file lacks instead of throwing', () => {
    expect(readFindings(null).problems).toContain('results.json is not an object');
    const f = readFindings({ units: 'none', methods: ['bcpg-nsa'] });
    expect(f.problems).toEqual(['no π_ref accuracy (reference.eval.accuracy)', 'no "units" list', 'no bcpg-nsa units']);
    expect(f.comparisons).toEqual([]);
  });
});

describe('what one page run can resolve', () => {
  it('is the binomial half-width of its held-out draws', () => {
    // 1.96 · √(0.5 · 0.5 / 256) = 1.96 · 0.03125
    expect(binomialHalfWidth(0.5, 256)).toBeCloseTo(0.06125, 12);
    expect(binomialHalfWidth(0.2, 100)).toBeCloseTo(1.96 * 0.04, 12);
    const page = pagePrecision(64, 4);
    expect(page.draws).toBe(256);
    expect(page.difference).toBeCloseTo(Math.SQRT2 * 0.06125, 12);
    expect(pagePrecision(64, 0, 0.2).draws).toBe(64); // greedy: one draw per prompt
  });
});
