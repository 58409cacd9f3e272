// The experiment's power and iteration chains: the half-width, MDE and
// seeds-needed formulas against hand values from the t quantiles, the
// evaluation-noise share, the power section and its sentences, the pairing
// check, chains planned for two methods, old results.json read as new, and the
// run-length count.
import { describe, expect, it } from 'vitest';
import { countWork, generationRate, generationSeconds } from '../src/experiment/estimate.ts';
import { pairingOf, powerSection, powerSentence } from '../src/experiment/power.ts';
import { planUnits, resolveIterate, resolveMethods, SweepError } from '../src/experiment/plan.ts';
import { buildReport } from '../src/experiment/report.ts';
import {
  readResults,
  RESULTS_FORMAT,
  RESULTS_VERSION,
  type ExperimentResults,
  type UnitResult,
} from '../src/experiment/results.ts';
import { evaluationVariance, halfWidth, minimumDetectable, seedsNeeded } from '../src/experiment/stats.ts';

// With 2 degrees of freedom Student's t has a closed-form quantile: t_p = (2p − 1) / √(2p(1 − p)).
const T975_2 = 0.95 / Math.sqrt(2 * 0.975 * 0.025); // 4.302653
const T80_2 = 0.6 / Math.sqrt(2 * 0.8 * 0.2); // 1.060660

describe('power formulas', () => {
  it('Eq. S1 half-width and Eq. S2 minimum detectable difference, by hand', () => {
    expect(T975_2).toBeCloseTo(4.302653, 6);
    // s_d = 0.1 over 3 seeds: se = 0.057735.
    expect(halfWidth(0.1, 3)).toBeCloseTo((T975_2 * 0.1) / Math.sqrt(3), 6); // 0.248414
    expect(halfWidth(0.1, 3)).toBeCloseTo(0.248414, 6);
    expect(minimumDetectable(0.1, 3)).toBeCloseTo(((T975_2 + T80_2) * 0.1) / Math.sqrt(3), 6); // 0.309651
    expect(minimumDetectable(0.1, 3)).toBeCloseTo(0.309651, 6);
    // Tables: t(0.975, 7) = 2.3646, t(0.8, 7) = 0.8960 → (3.2606) · 0.05 / √8 = 0.05764.
    expect(minimumDetectable(0.05, 8)).toBeCloseTo(0.05764, 4);
    expect(minimumDetectable(0.1, 3)).toBeGreaterThan(halfWidth(0.1, 3));
  });

  it('seeds needed for a half-width: the first n with t(0.975, n−1) · s / √n ≤ target', () => {
    // s = 5 pp, target 1.5 pp: t/√n ≤ 0.3. n = 45: 2.01537/6.70820 = 0.30043 (no); n = 46: 2.01410/6.78233 = 0.29696.
    expect(seedsNeeded(0.05, 0.015)).toBe(46);
    // The issue's ±6.6 pp over 3 seeds is s_d = 6.6 · √3 / 4.302653 = 2.6569 pp: 15 seeds reach ±1.5
    // (t(0.975, 14) = 2.14479 → 1.4713 pp), 14 do not (t(0.975, 13) = 2.16037 → 1.5341 pp).
    const sd = (0.066 * Math.sqrt(3)) / T975_2;
    expect(seedsNeeded(sd, 0.015)).toBe(15);
    expect(seedsNeeded(0, 0.015)).toBe(2);
    expect(seedsNeeded(1, 1e-6, 0.95, 50)).toBeNull();
    expect(() => seedsNeeded(0.1, 0)).toThrow(/target half-width must be > 0/);
  });

  it('Eq. S3: the evaluation variance of a paired difference, by hand', () => {
    // Seed 1: d_p = [1, 0, 0, 1], var 1/3 over 4 prompts → 1/12; seed 2: d_p = 0 → 0; mean 1/24.
    const a = [
      [1, 0, 1, 1],
      [1, 1, 1, 1],
    ];
    const b = [
      [0, 0, 1, 0],
      [1, 1, 1, 1],
    ];
    expect(evaluationVariance(a, b)).toBeCloseTo(1 / 24, 12);
    expect(
      evaluationVariance(
        [[1, 0], undefined],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    ).toBeNull();
    expect(evaluationVariance([[1]], [[0]])).toBeNull();
  });
});

/** A run of BCPG-NSA, BCPG and RFT on `seeds` seeds with per-prompt scores of 4 prompts × 2 samples. */
function results(perSeed: Record<string, number[][]>, iterations = 1): ExperimentResults {
  const seeds = Object.values(perSeed)[0].map((_, i) => i + 1);
  const units: UnitResult[] = [];
  for (const [role, scores] of Object.entries(perSeed))
    scores.forEach((correct, i) =>
      units.push({
        seed: i + 1,
        iteration: role.startsWith('iteration:') ? Number(role.split(':').at(-1)) : 1,
        key: role,
        variant: { objective: 'bcpg', beta: 1, labels: 'consensus' },
        roles: [role],
        eval: {
          accuracy: correct.reduce((s, c) => s + c, 0) / (2 * correct.length),
          passAtK: {},
          prompts: correct.length,
          samples: 2,
          correctByPrompt: correct,
          batch: 8,
        },
        steps: 2,
        seconds: 1,
      }),
    );
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    command: 'npx gemstone experiment',
    adapter: 'test adapter',
    profile: 'software',
    seconds: 10,
    config: { preset: 'tiny', judges: ['llm', 'prm'], consensus: 'and' },
    seeds,
    iterations,
    iterate: iterations > 1 ? ['bcpg-nsa', 'bcpg'] : [],
    targetHalfwidth: 0.015,
    methods: ['bcpg-nsa', 'bcpg', 'rft'],
    sweeps: {},
    beta: 0.5,
    passK: 2,
    reference: {
      path: 'reference',
      trained: true,
      eval: { accuracy: 0.5, passAtK: {}, prompts: 4, samples: 2, batch: 8 },
      seconds: 1,
    },
    datasets: [],
    labels: [],
    units,
  };
}

describe('the power section', () => {
  // BCPG-NSA − BCPG per seed: (6 − 4)/8 = 0.25, (5 − 4)/8 = 0.125, (7 − 4)/8 = 0.375: mean 0.25, s_d 0.125.
  const run = results({
    'method:bcpg-nsa': [
      [2, 1, 2, 1],
      [2, 1, 1, 1],
      [2, 2, 2, 1],
    ],
    'method:bcpg': [
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ],
    'method:rft': [
      [2, 1, 2, 1],
      [2, 1, 1, 1],
      [2, 2, 2, 1],
    ],
  });

  it('states the half-width, MDE, seeds for the target and the evaluation share of each comparison', () => {
    const power = powerSection(run);
    expect(power.paired).toBe(true);
    const [bcpg, rft] = power.comparisons;
    expect(bcpg.name).toBe('BCPG-NSA − BCPG');
    expect(bcpg.headline).toBe(true);
    expect(bcpg.mean).toBeCloseTo(0.25, 12);
    expect(bcpg.std).toBeCloseTo(0.125, 12);
    expect(bcpg.halfWidth).toBeCloseTo((T975_2 * 0.125) / Math.sqrt(3), 9);
    expect(bcpg.minimumDetectable).toBeCloseTo(((T975_2 + T80_2) * 0.125) / Math.sqrt(3), 9);
    expect(bcpg.reached).toBe(false);
    expect(bcpg.seedsForTarget).toBe(seedsNeeded(0.125, 0.015));
    // Per-prompt differences (in samples/2): seed 1 [0.5, 0, 0.5, 0], seed 2 [0.5, 0, 0, 0], seed 3 [0.5, 0.5, 0.5, 0]:
    // variances 1/12, 1/16, 1/16 over 4 prompts → mean (1/48 + 1/64 + 1/64) / 3 = 0.017361.
    const evalVar = (1 / 48 + 1 / 64 + 1 / 64) / 3;
    expect(bcpg.evaluationVariance).toBeCloseTo(evalVar, 12);
    // Estimated from three seeds it exceeds s_d² = 0.015625: the share is capped at 1 and no training noise is left,
    // so 4× the prompts leave a quarter of s_d², and without evaluation noise 2 seeds would do.
    expect(bcpg.evaluationShare).toBe(1);
    expect(bcpg.seedsWithoutEvaluationNoise).toBe(2);
    expect(bcpg.seedsWithMorePrompts).toBe(seedsNeeded(Math.sqrt(0.125 ** 2 / 4), 0.015));
    expect(bcpg.seedsWithMorePrompts!).toBeLessThan(bcpg.seedsForTarget!);
    // RFT scores exactly as BCPG-NSA on every prompt: no spread, nothing from the evaluation.
    expect(rft.std).toBe(0);
    expect(rft.evaluationShare).toBe(0);
    expect(powerSentence(rft, 0.015)).toMatch(/Every seed gave the same difference/);
    const sentence = powerSentence(bcpg, 0.015);
    expect(sentence).toMatch(/^BCPG-NSA − BCPG: \+25\.0 pp ± 31\.1 \(95%\) over 3 seeds; the smallest difference/);
    expect(sentence).toContain(`±1.5 points would need ${bcpg.seedsForTarget} seeds at this spread`);
    expect(sentence).toContain(
      'evaluation noise alone would explain all of the per-seed variance (its estimate exceeds the spread 3 seeds ' +
        'measured), so more held-out prompts × samples would help most',
    );
  });

  it('says more seeds help more when the per-seed differences vary but not across prompts', () => {
    // BCPG-NSA scores 2, 1, 0 of 2 on every prompt of seeds 1–3; BCPG 0: d = [1, 0.5, 0], s_d 0.5, no evaluation noise.
    const seedsOnly = results({
      'method:bcpg-nsa': [
        [2, 2, 2, 2],
        [1, 1, 1, 1],
        [0, 0, 0, 0],
      ],
      'method:bcpg': [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      'method:rft': [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
    });
    const c = powerSection(seedsOnly).comparisons[0];
    expect(c.std).toBeCloseTo(0.5, 12);
    expect(c.evaluationShare).toBe(0);
    expect(c.seedsWithMorePrompts).toBe(c.seedsForTarget);
    expect(powerSentence(c, 0.015)).toMatch(
      /evaluation noise is 0% of the per-seed variance, so more seeds would help more than more held-out prompts/,
    );
    // The target met: a spread of 1 pp over 8 seeds gives ±0.84 pp.
    const met = { ...c, n: 8, std: 0.01, halfWidth: halfWidth(0.01, 8), reached: true };
    expect(powerSentence(met, 0.015)).toMatch(/over 8 seeds; .* The ±1\.5-point target is reached\.$/);
  });

  it('splits s_d² into evaluation and training noise and prices 4× the prompts, by hand', () => {
    // d_s = [0.125, 0, 1]: s_d² = 0.296875. Evaluation: seed 1 d_p = [0, 0, 0, 0.5] (var 1/16, / 4 prompts),
    // seeds 2 and 3 constant: (1/64) / 3 = 0.0052083; training 0.296875 − 0.0052083 = 0.2916667.
    const mixed = results({
      'method:bcpg-nsa': [
        [2, 2, 2, 2],
        [1, 1, 1, 1],
        [2, 2, 2, 2],
      ],
      'method:bcpg': [
        [2, 2, 2, 1],
        [1, 1, 1, 1],
        [0, 0, 0, 0],
      ],
      'method:rft': [
        [2, 2, 2, 2],
        [1, 1, 1, 1],
        [2, 2, 2, 2],
      ],
    });
    const c = powerSection(mixed).comparisons[0];
    expect(c.std! ** 2).toBeCloseTo(0.296875, 12);
    expect(c.evaluationVariance).toBeCloseTo(1 / 192, 12);
    expect(c.evaluationShare).toBeCloseTo(1 / 192 / 0.296875, 12);
    expect(c.seedsWithMorePrompts).toBe(seedsNeeded(Math.sqrt(0.296875 - 1 / 192 + 1 / 768), 0.015));
    expect(c.seedsWithoutEvaluationNoise).toBe(seedsNeeded(Math.sqrt(0.296875 - 1 / 192), 0.015));
    expect(powerSentence(c, 0.015)).toMatch(
      /evaluation noise is 2% of the per-seed variance, so more seeds would help/,
    );
  });

  it('puts a Power section near the top of the report, before the claims', () => {
    const report = buildReport(run, { figures: [] });
    const power = report.indexOf('## Power');
    expect(power).toBeGreaterThan(0);
    expect(power).toBeLessThan(report.indexOf("## The paper's claims"));
    expect(report).toMatch(/^- BCPG-NSA − BCPG: \+25\.0 pp ± 31\.1 \(95%\)/m);
    expect(report).toMatch(
      /^\| BCPG-NSA − BCPG \| \+25\.0 \| 12\.5 \| 3 \| 31\.1 \| 38\.7 \| no \| \d+ \| \d+% \| \d+ \|$/m,
    );
    expect(report).toContain('- paired: every policy of the run');
    expect(report).toContain(
      'The ±1.5-point target is reached by 1 of 2 comparisons (1 of them with no spread at all: every seed gave ' +
        'the same difference); not by BCPG-NSA − BCPG. ' +
        'The widest spread (BCPG-NSA − BCPG) would need 270 seeds.',
    );
  });

  it('says when a resumed leg broke the pairing', () => {
    const broken = structuredClone(run);
    broken.units[0].eval.batch = 16;
    expect(pairingOf(broken).paired).toBe(false);
    expect(pairingOf(broken).text).toMatch(/^NOT paired: the evaluations differ in batch/);
    expect(buildReport(broken, { figures: [] })).toContain('- NOT paired:');
    // Results from before the batch was recorded: paired by prompts and samples, and the report says what it lacks.
    const older = structuredClone(run);
    for (const e of [older.reference.eval, ...older.units.map((u) => u.eval)]) delete e.batch;
    expect(pairingOf(older)).toEqual({
      paired: true,
      text: expect.stringMatching(
        /same 4 held-out prompts with the same sampling seed \(the generation batch.*not recorded\)$/,
      ),
    });
  });
});

describe('iteration chains', () => {
  const plan = {
    methods: resolveMethods(undefined),
    sweeps: {},
    beta: 0.5,
    iterations: 3,
    iterate: resolveIterate(undefined, 3),
  };

  it('defaults to BCPG-NSA and BCPG, each with its own chain from iteration 2', () => {
    expect(plan.iterate).toEqual(['bcpg-nsa', 'bcpg']);
    const first = planUnits(plan, 1);
    expect(first.find((u) => u.key === 'bcpg-nsa_beta0.5_consensus')).toEqual({
      key: 'bcpg-nsa_beta0.5_consensus',
      variant: { objective: 'bcpg-nsa', beta: 0.5, labels: 'consensus' },
      roles: ['method:bcpg-nsa', 'iteration:bcpg-nsa:1'],
    });
    expect(first.find((u) => u.key === 'bcpg')?.roles).toEqual(['method:bcpg', 'iteration:bcpg:1']);
    expect(first.find((u) => u.key === 'rft')?.roles).toEqual(['method:rft']);
    for (const k of [2, 3])
      expect(planUnits(plan, k)).toEqual([
        {
          key: 'bcpg-nsa_beta0.5_consensus',
          variant: { objective: 'bcpg-nsa', beta: 0.5, labels: 'consensus' },
          roles: [`iteration:bcpg-nsa:${k}`],
          chain: 'bcpg-nsa',
        },
        {
          key: 'bcpg',
          variant: { objective: 'bcpg', beta: 1, labels: 'consensus' },
          roles: [`iteration:bcpg:${k}`],
          chain: 'bcpg',
        },
      ]);
  });

  it('--iterate picks the chains; it needs two iterations', () => {
    expect(resolveIterate(['topr', 'bcpg-nsa'], 2)).toEqual(['bcpg-nsa', 'topr']);
    expect(resolveIterate(undefined, 1)).toEqual([]);
    expect(() => resolveIterate(['bcpg'], 1)).toThrow(SweepError);
    expect(() => resolveIterate(['bcpg'], 1)).toThrow(/--iterate bcpg: needs --iterations 2 or more/);
    expect(planUnits({ ...plan, iterate: ['bcpg'] }, 2).map((u) => u.key)).toEqual(['bcpg']);
  });

  it('reads a version-1 results.json as version 2 (BCPG-NSA the only chain) and refuses others', () => {
    const v1 = {
      ...results({ 'iteration:1': [[1, 1, 0, 0]], 'iteration:2': [[1, 1, 1, 0]] }, 2),
      methods: [],
      version: 1,
      iterate: undefined,
      targetHalfwidth: undefined,
    };
    const read = readResults(JSON.parse(JSON.stringify(v1)));
    expect(read.version).toBe(RESULTS_VERSION);
    expect(read.iterate).toEqual(['bcpg-nsa']);
    expect(read.units.map((u) => u.roles)).toEqual([['iteration:bcpg-nsa:1'], ['iteration:bcpg-nsa:2']]);
    expect(buildReport(read, { figures: [] })).toContain('### BCPG-NSA');
    expect(() => readResults({ ...v1, version: 9 }, 'x/results.json')).toThrow(
      /x\/results.json: results version 9; this gemstone reads versions 1 and 2/,
    );
    expect(() => readResults({ format: 'other' })).toThrow(/not a gemstone experiment's results/);
  });
});

describe('the run-length estimate', () => {
  it('counts datasets, units and generated sequences from the sizes', () => {
    // 8 seeds; iteration 1: 7 units on one dataset; iterations 2–3: 2 chains, each its own dataset and unit.
    const work = countWork({
      seeds: 8,
      iterations: 3,
      chains: 2,
      firstUnits: 7,
      prompts: 96,
      group: 8,
      evalPrompts: 400,
      evalSamples: 8,
    });
    expect(work).toEqual({
      datasets: 8 * (1 + 4),
      units: 8 * (7 + 4),
      rolloutSequences: 40 * 96 * 8,
      evaluationSequences: 88 * 400 * 9,
    });
    const rate = generationRate(90, 100, 8); // 0.1 s a sequence
    expect(rate).toBeCloseTo(0.1, 12);
    expect(generationSeconds(work, rate)).toBeCloseTo(0.1 * (30720 + 316800), 6);
  });
});
