// gemstone experiment: the statistics against hand-computed values, the --sweep
// parser, label sources rebuilt from stored judge labels, verdicts computed from
// numbers, and the whole experiment end to end on the tiny preset (two seeds,
// every method, both sweeps, two iterations, a kill and --resume, the docs page).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GEMSTONE_BIN as BIN, runGemstone } from './util/cli.ts';
import type { AnnotatedRecord } from '../src/data/annotated.ts';
import { judgeClaims } from '../src/experiment/claims.ts';
import { buildFigures } from '../src/experiment/figures.ts';
import { labelCounts, labelRule, relabel } from '../src/experiment/labels.ts';
import { parseSweeps, planUnits, resolveMethods, SweepError } from '../src/experiment/plan.ts';
import { buildReport } from '../src/experiment/report.ts';
import { RESULTS_FORMAT, RESULTS_VERSION, type ExperimentResults, type UnitResult } from '../src/experiment/results.ts';
import { pairedDifference, spread, tQuantile } from '../src/experiment/stats.ts';
import { OBJECTIVE_NAMES } from '../src/objectives/index.ts';

const ENV = { ...process.env, GEMSTONE_ADAPTER: 'llvmpipe' };

describe('experiment statistics', () => {
  it('mean and sample standard deviation', () => {
    const s = spread([0.5, 0.6, 0.7]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(0.6, 12);
    expect(s.std).toBeCloseTo(0.1, 12); // sqrt((0.01 + 0 + 0.01) / 2)
    expect(spread([0.3])).toEqual({ n: 1, mean: 0.3, std: null });
    expect(spread([])).toEqual({ n: 0, mean: null, std: null });
  });

  it('Student t quantiles match the tables', () => {
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.7062, 4);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.3027, 4);
    expect(tQuantile(0.975, 4)).toBeCloseTo(2.7764, 4);
    expect(() => tQuantile(0.975, 0)).toThrow(/degrees of freedom/);
  });

  it('the paired difference and its 95% t-interval, by hand', () => {
    // d = [0.1, 0.2, 0.1]: mean 0.13333, sd 0.057735, se 0.033333, t(0.975, 2) 4.302653 → ± 0.143422.
    const d = pairedDifference([0.5, 0.6, 0.7], [0.4, 0.4, 0.6]);
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(0.133333, 6);
    expect(d.std).toBeCloseTo(0.057735, 6);
    expect(d.ci![0]).toBeCloseTo(-0.010088, 5);
    expect(d.ci![1]).toBeCloseTo(0.276755, 5);
    expect(d.side).toBe('overlaps');
    // Five pairs, d = [0.10, 0.12, 0.08, 0.11, 0.09]: mean 0.1, sd 0.015811, t(0.975, 4) 2.776445 → ± 0.019632.
    const e = pairedDifference([0.6, 0.62, 0.58, 0.61, 0.59], [0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(e.ci![0]).toBeCloseTo(0.080368, 5);
    expect(e.ci![1]).toBeCloseTo(0.119632, 5);
    expect(e.side).toBe('above');
    expect(pairedDifference([0.1, 0.2, 0.15], [0.3, 0.4, 0.36]).side).toBe('below');
    const one = pairedDifference([0.5], [0.4]);
    expect(one.ci).toBeNull();
    expect(one.side).toBe('undetermined');
    expect(() => pairedDifference([0.1, 0.2], [0.1])).toThrow(/seed for seed/);
  });
});

describe('--sweep', () => {
  it('parses β and label sweeps, in one flag or two', () => {
    expect(parseSweeps(['beta=-0.5', '0', '0.25', '0.5', '0.75', '1'])).toEqual({
      beta: [-0.5, 0, 0.25, 0.5, 0.75, 1],
    });
    expect(parseSweeps(['beta=-0.5,0', 'labels=oracle,consensus'])).toEqual({
      beta: [-0.5, 0],
      labels: ['oracle', 'consensus'],
    });
    expect(parseSweeps(['labels=prm', 'llm', 'beta=1'])).toEqual({ labels: ['prm', 'llm'], beta: [1] });
  });

  it('refuses malformed sweeps with a message naming --sweep and the fault', () => {
    const fails = (items: string[], message: RegExp) => {
      expect(() => parseSweeps(items)).toThrow(SweepError);
      expect(() => parseSweeps(items)).toThrow(message);
    };
    fails(['gamma=1'], /--sweep: unknown sweep "gamma"/);
    fails(['beta=0.5', 'x'], /"x" is not a number in \[−1, 1\]/);
    fails(['beta=2'], /"2" is not a number/);
    fails(['beta=0.5', '0.5'], /repeated/);
    fails(['labels=oracle', 'claude'], /unknown label source "claude"/);
    fails(['0.5', 'beta=1'], /"0.5" comes before any sweep name/);
    fails(['beta='], /no values/);
    fails(['beta=1', 'beta=0'], /given twice/);
    fails([], /no sweep given/);
  });

  it('plans each distinct training run once, with every role it plays', () => {
    const plan = planUnits(
      {
        methods: resolveMethods(undefined),
        sweeps: { beta: [0.5, 1], labels: ['consensus', 'prm'] },
        beta: 0.5,
        iterations: 2,
        iterate: ['bcpg-nsa'],
      },
      1,
    );
    const nsa = plan.find((u) => u.key === 'bcpg-nsa_beta0.5_consensus')!;
    expect(nsa.roles).toEqual(['method:bcpg-nsa', 'beta:0.5', 'labels:consensus', 'iteration:bcpg-nsa:1']);
    expect(plan.map((u) => u.key)).toEqual([
      ...['bcpg-nsa_beta0.5_consensus', ...OBJECTIVE_NAMES.slice(1)],
      'bcpg-nsa_beta1_consensus',
      'bcpg-nsa_beta0.5_prm',
    ]);
    expect(
      planUnits({ methods: [], sweeps: {}, beta: 0.5, iterations: 3, iterate: ['bcpg-nsa'] }, 2).map((u) => u.roles),
    ).toEqual([['iteration:bcpg-nsa:2']]);
    expect(resolveMethods(['topr'])).toEqual(['bcpg-nsa', 'topr']);
    expect(() => resolveMethods(['none', 'dpo'])).toThrow(/cannot be listed/);
  });
});

describe('label sources from stored judge labels', () => {
  // A negative response of three steps (tokens 0–1, 2–4, 5) and a positive one of one step.
  const verdicts = (...labels: (0 | 1 | null)[]) => labels.map((label) => ({ label }));
  const negative = {
    prompt_id: 'arithmetic-d1-1',
    index: 0,
    prompt: 'p',
    response: 'aaabbbbbc',
    reward: 0,
    segmenter: 's',
    steps: [
      { start: 0, end: 3, token_start: 0, token_end: 2 },
      { start: 3, end: 8, token_start: 2, token_end: 5 },
      { start: 8, end: 9, token_start: 5, token_end: 6 },
    ],
    judges: [
      { name: 'llm', simulated: true, verdicts: verdicts(1, 1, 0) },
      { name: 'prm', simulated: false, verdicts: verdicts(1, null, 0) },
      { name: 'oracle', simulated: false, verdicts: verdicts(1, 0, 0) },
    ],
    consensus: { mode: 'and', labels: [0, 0, 0], abstained: [0, 0, 0] },
    beta_mask: [0, 0, 0, 0, 0, 0],
  } as unknown as AnnotatedRecord;
  const positive = {
    ...negative,
    index: 1,
    reward: 1,
    response: 'abc',
    steps: [{ start: 0, end: 3, token_start: 0, token_end: 2 }],
    judges: [
      { name: 'llm', simulated: true, verdicts: verdicts(1) },
      { name: 'prm', simulated: false, verdicts: verdicts(1) },
      { name: 'oracle', simulated: false, verdicts: verdicts(1) },
    ],
    consensus: { mode: 'and', labels: [0], abstained: [0] },
    beta_mask: [0, 0],
  } as unknown as AnnotatedRecord;

  it('rebuilds the β mask of each source (Eq. 7) and counts Tables 4–5 tokens', () => {
    const llm = relabel([negative, positive], labelRule('llm', ['llm', 'prm'], 'and'));
    expect(llm[0].beta_mask).toEqual([1, 1, 1, 1, 1, 0]);
    expect(llm[1].beta_mask).toEqual([0, 0]); // positives keep weight 1: never masked
    expect(labelCounts(llm)).toEqual({
      negativeTokensCorrect: 5,
      negativeTokensIncorrect: 1,
      precision: 2 / 3,
      recall: 1,
    });
    // An abstention is not "correct": AND of llm and prm keeps only the first step.
    const both = relabel([negative, positive], labelRule('consensus', ['llm', 'prm'], 'and'));
    expect(both[0].beta_mask).toEqual([1, 1, 0, 0, 0, 0]);
    expect(both[0].consensus).toEqual({ mode: 'and', labels: [1, 0, 0], abstained: [0, 1, 0] });
    expect(labelCounts(both)).toMatchObject({
      negativeTokensCorrect: 2,
      negativeTokensIncorrect: 4,
      precision: 1,
      recall: 1,
    });
    expect(() => relabel([negative], labelRule('rule', ['llm'], 'and'))).toThrow(/no labels from judge "rule"/);
  });
});

/** Results with given per-seed greedy accuracies for each role (pass@k = accuracy + 0.1). */
function syntheticResults(
  byRole: Record<string, number[]>,
  sweeps: ExperimentResults['sweeps'],
  methods = [...OBJECTIVE_NAMES],
  iterations = 1,
  iterate: ExperimentResults['iterate'] = iterations > 1 ? ['bcpg-nsa', 'bcpg'] : [],
): ExperimentResults {
  const seeds = Object.values(byRole)[0].map((_, i) => i + 1);
  const units: UnitResult[] = [];
  for (const [role, values] of Object.entries(byRole)) {
    values.forEach((accuracy, i) =>
      units.push({
        seed: i + 1,
        iteration: role.startsWith('iteration:') ? Number(role.split(':').at(-1)) : 1,
        key: role,
        variant: { objective: 'bcpg-nsa', beta: 0.5, labels: 'consensus' },
        roles: [role],
        eval: { accuracy, passAtK: { 1: accuracy, 4: accuracy + 0.1 }, prompts: 200, samples: 4 },
        steps: 10,
        seconds: 5,
      }),
    );
  }
  const labels = (sweeps.labels ?? []).flatMap((source, j) =>
    seeds.map((seed) => ({
      seed,
      iteration: 1,
      source,
      voters: [source],
      mode: 'and',
      negativeTokensCorrect: source === 'consensus' ? 10 : 20 + j,
      negativeTokensIncorrect: 100,
      precision: 0.8,
      recall: 0.5,
    })),
  );
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    command: 'npx gemstone experiment --seeds 3',
    adapter: 'test adapter',
    profile: 'software',
    seconds: 100,
    config: { preset: 'small', judges: ['llm', 'prm'], consensus: 'and' },
    seeds,
    iterations,
    iterate,
    targetHalfwidth: 0.015,
    methods,
    sweeps,
    beta: 0.5,
    passK: 4,
    reference: {
      path: 'reference',
      trained: true,
      eval: { accuracy: 0.4, passAtK: { 1: 0.4, 4: 0.6 }, prompts: 200, samples: 4 },
      seconds: 50,
    },
    datasets: seeds.map((seed) => ({
      seed,
      iteration: 1,
      prompts: 10,
      responses: 80,
      negatives: 40,
      tokens: 4000,
      negativeTokens: 2000,
      sampledAccuracy: 0.5,
      droppedGroups: 2,
      seconds: 20,
    })),
    labels,
    units,
  };
}

describe('verdicts are computed from the numbers', () => {
  const results = syntheticResults(
    {
      'method:bcpg-nsa': [0.6, 0.62, 0.61],
      'method:bcpg': [0.5, 0.51, 0.52], // clearly below: holds
      'method:grpo-offline': [0.7, 0.72, 0.71], // clearly above: reversed
      'method:topr': [0.55, 0.66, 0.58], // mixed: not shown
      'method:dpo': [0.4, 0.41, 0.42],
      'method:rft': [0.3, 0.31, 0.3],
      'beta:-0.5': [0.5, 0.52, 0.51],
      'beta:0.5': [0.6, 0.62, 0.61],
      'beta:1': [0.5, 0.51, 0.52],
      'labels:consensus': [0.6, 0.62, 0.61],
      'labels:prm': [0.5, 0.52, 0.5],
      'iteration:bcpg-nsa:1': [0.6, 0.62, 0.61],
      'iteration:bcpg-nsa:2': [0.58, 0.6, 0.59],
      'iteration:bcpg:1': [0.5, 0.51, 0.52],
      'iteration:bcpg:2': [0.53, 0.55, 0.56], // rises by +3.7 ± 1.4: holds
    },
    { beta: [-0.5, 0.5, 1], labels: ['consensus', 'prm'] },
    [...OBJECTIVE_NAMES],
    2,
  );

  it('judges every claim, each from its own comparison', () => {
    const verdict = (statement: string) => judgeClaims(results).find((c) => c.statement === statement)?.verdict;
    expect(verdict('BCPG-NSA improves on the start model π_ref')).toBe('holds');
    expect(verdict('BCPG-NSA beats BCPG')).toBe('holds');
    expect(verdict('BCPG-NSA beats GRPO-offline')).toBe('reversed');
    expect(verdict('BCPG-NSA beats TOPR')).toBe('not shown');
    expect(verdict('accuracy rises then falls as β goes down from 1 (a peak inside the range)')).toBe('holds');
    expect(verdict('BCPG-NSA beats BCPG (β = 1) even at β = -0.5')).toBe('not shown');
    expect(verdict('consensus labels train better than prm labels alone')).toBe('holds');
    expect(verdict('consensus labels the fewest tokens of negatives correct (it mines the least)')).toBe('holds');
    expect(verdict('BCPG-NSA: a further round (iteration 2) improves on iteration 1')).toBe('reversed');
    expect(verdict('BCPG: a further round (iteration 2) improves on iteration 1')).toBe('holds');
    // Iteration 2: BCPG-NSA − BCPG = [0.05, 0.05, 0.03], mean 0.043 ± 0.029: the interval lies above 0.
    expect(verdict('BCPG-NSA beats BCPG after 2 iterations, each sampling from its own policy')).toBe('holds');
    const flat = syntheticResults(
      { 'method:bcpg-nsa': [0.5, 0.5], 'beta:0': [0.5, 0.5], 'beta:0.5': [0.4, 0.4], 'beta:1': [0.3, 0.3] },
      { beta: [0, 0.5, 1] },
      ['bcpg-nsa'],
    );
    expect(judgeClaims(flat).find((c) => c.statement.startsWith('accuracy rises'))?.verdict).toBe('does not hold');
  });

  it('writes the Table-3-like report and the figures from them', async () => {
    const figures = await buildFigures(results);
    expect(figures.map((f) => f.file)).toEqual([
      'accuracy-by-method.svg',
      'accuracy-by-beta.svg',
      'accuracy-by-labels.svg',
      'accuracy-by-iteration-bcpg-nsa.svg',
      'accuracy-by-iteration-bcpg.svg',
    ]);
    for (const f of figures) expect(f.svg).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>$/);
    expect(figures[0].svg).toContain('GRPO-offline');
    const report = buildReport(results, { figures });
    expect(report).toContain('| start model (π_ref) | 40.0 | 60.0 |  |  |');
    expect(report).toMatch(/\| BCPG \| 51\.0 ± 1\.0 \| 61\.0 ± 1\.0 \| \+10\.0 pp, 95% CI \[\+7\.5, \+12\.5\]/);
    expect(report).toContain('| BCPG-NSA beats GRPO-offline | Table 3 | **reversed** |');
    expect(report).toContain('![Held-out accuracy (pass@1) per method](accuracy-by-method.svg)');
    expect(report).toMatch(
      /^\| prm \| prm \| 50\.7 ± 1\.2 \| 60\.7 ± 1\.2 \| \+10\.3 pp, 95% CI \[\+8\.9, \+11\.8\] \| 63 \| 300 \|/m,
    );
  });
});

function gemstone(
  args: string[],
  killWhen?: (event: Record<string, unknown>) => boolean,
): Promise<{ code: number | null; events: Record<string, unknown>[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: ENV });
    const events: Record<string, unknown>[] = [];
    let buffer = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (data) => {
      buffer += data;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        events.push(event);
        if (!sent && killWhen?.(event)) {
          sent = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    child.on('close', (code) => resolve({ code, events, stderr }));
  });
}

describe('gemstone experiment end to end (tiny preset)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gemstone-experiment-'));
  const out = join(dir, 'exp');
  const docs = join(dir, 'docs', 'results');
  const ARGS = [
    'experiment',
    '--preset',
    'tiny',
    '--records',
    '64',
    '--sft-steps',
    '30',
    '--prompts',
    '8',
    '--group',
    '2',
    '--batch',
    '8',
    '--prm-steps',
    '10',
    '--prm-responses',
    '8',
    '--epochs',
    '1',
    '--eval-prompts',
    '8',
    '--eval-samples',
    '2',
    '--keep-all',
    '--workers',
    '1',
    '--seeds',
    '2',
    '--sweep',
    'beta=-0.5,0,1',
    '--sweep',
    'labels=oracle,rule,prm,llm,consensus',
    '--iterations',
    '2',
    '--iterate',
    'bcpg-nsa,bcpg',
    '--out',
    out,
  ];

  it('a bad --sweep is one clear error before any work starts', async () => {
    const bad = join(dir, 'bad');
    const { stderr, code } = await runGemstone(['experiment', '--sweep', 'beta=0.5,2', '--out', bad], { env: ENV });
    expect(code).toBe(2);
    expect(stderr).toMatch(/--sweep.*"2" is not a number in \[−1, 1\]/);
    expect(existsSync(bad)).toBe(false);
  });

  it('--iterate without --iterations 2 is one clear error before any work starts', async () => {
    const bad = join(dir, 'bad-iterate');
    const { stderr, code } = await runGemstone(['experiment', '--iterate', 'bcpg', '--out', bad], { env: ENV });
    expect(code).toBe(2);
    expect(stderr).toMatch(/--iterate bcpg: needs --iterations 2 or more/);
    expect(existsSync(bad)).toBe(false);
  });

  it('a resumed leg may add a label sweep: the β masks are remade for the new sources', async () => {
    const leg = join(dir, 'leg');
    const small = ARGS.slice(0, ARGS.indexOf('--seeds'));
    const first = await gemstone([
      ...small,
      '--seeds',
      '1',
      '--methods',
      'rft',
      '--sweep',
      'labels=consensus',
      '--out',
      leg,
    ]);
    expect(first.code, first.stderr).toBe(0);
    const second = await gemstone(['experiment', '--resume', leg, '--sweep', 'labels=oracle,consensus']);
    expect(second.code, second.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(leg, 'results.json'), 'utf8')) as ExperimentResults;
    expect(results.units.flatMap((u) => u.roles)).toContain('labels:oracle');
  });

  const resumeTitle =
    'runs every method, both sweeps and two iterations of BCPG-NSA and BCPG on two seeds; ' +
    'killed mid-way, --resume finishes without redoing units; ' +
    'a resume of the finished run redoes nothing and cannot grow --iterations';
  it(resumeTitle, async () => {
    // Leg 1: killed once the first seed's BCPG chain starts its iteration-2 unit (its data and BCPG-NSA's are done).
    const first = await gemstone(ARGS, (e) => e.event === 'stage' && e.stage === 'seed-1/iteration-2/bcpg');
    expect(first.code).not.toBe(0);
    expect(existsSync(join(out, 'results.json'))).toBe(false);
    // A chain's later data is annotated by the consensus judges only: the label sweep's rule judge is not rerun.
    const title = (stage: string) => String(first.events.find((e) => e.event === 'stage' && e.stage === stage)?.title);
    expect(title('seed-1/iteration-1/annotate')).toMatch(/annotation \(llm \+ prm \+ rule;/);
    expect(title('seed-1/iteration-2/bcpg-nsa-data/annotate')).toMatch(/annotation \(llm \+ prm;/);
    // Before any seed, the start line estimates the run's length and says what from.
    expect(first.events.some((e) => /^estimate: at least .* at π_ref's evaluation rate/.test(String(e.message)))).toBe(
      true,
    );
    expect(first.events.some((e) => /^2 seeds × .*: 30 training units on 6 datasets/.test(String(e.message)))).toBe(
      true,
    );

    const second = await gemstone(['experiment', '--resume', out, '--docs', docs]);
    expect(second.code, second.stderr).toBe(0);
    const reused = second.events
      .filter((e) => e.event === 'log' && /done in an earlier leg/.test(String(e.message)))
      .map((e) => String(e.message));
    expect(reused.some((m) => /seed-1\/iteration-1: bcpg-nsa/.test(m))).toBe(true);
    expect(reused.some((m) => /π_ref: SFT/.test(m))).toBe(true);
    // After seed 1, the rest is estimated from seed 1's measured stages.
    expect(second.events.some((e) => /^estimate: seed 1 took .*; the 1 seed left ≈ /.test(String(e.message)))).toBe(
      true,
    );
    // Each chain's own iteration-2 data, and BCPG-NSA's iteration-2 unit, are reused.
    expect(reused.some((m) => /seed-1\/iteration-2\/bcpg-nsa-data: rollouts/.test(m))).toBe(true);
    expect(reused.some((m) => /seed-1\/iteration-2\/bcpg-data: rollouts/.test(m))).toBe(true);
    expect(reused.some((m) => /seed-1\/iteration-2: bcpg-nsa .*iteration:bcpg-nsa:2/.test(m))).toBe(true);
    expect(reused.some((m) => /seed-1\/iteration-2: bcpg —/.test(m))).toBe(false);

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ExperimentResults;
    expect(results.format).toBe(RESULTS_FORMAT);
    expect(results.command).toMatch(/^npx gemstone experiment --preset tiny .* --seeds 2 /);
    expect(results.adapter).toMatch(/llvmpipe/);
    expect(results.seeds).toEqual([1, 2]);
    for (const seed of [1, 2]) {
      const roles = results.units.filter((u) => u.seed === seed).flatMap((u) => u.roles);
      for (const m of OBJECTIVE_NAMES) expect(roles, `seed ${seed}`).toContain(`method:${m}`);
      for (const b of [-0.5, 0, 1]) expect(roles).toContain(`beta:${b}`);
      for (const l of ['oracle', 'rule', 'prm', 'llm', 'consensus']) expect(roles).toContain(`labels:${l}`);
      expect(roles).toEqual(
        expect.arrayContaining([
          'iteration:bcpg-nsa:1',
          'iteration:bcpg-nsa:2',
          'iteration:bcpg:1',
          'iteration:bcpg:2',
        ]),
      );
      // Iteration 1's chain units are the Table-3 rows themselves, trained once on the shared data.
      const first = results.units.filter((u) => u.seed === seed && u.iteration === 1);
      expect(first.find((u) => u.key === 'bcpg')?.roles).toEqual(['method:bcpg', 'iteration:bcpg:1']);
      // From iteration 2 each chain has its own data, sampled by its own policy.
      expect(
        results.datasets
          .filter((d) => d.seed === seed)
          .map((d) => [d.iteration, d.chain ?? null])
          .sort(),
      ).toEqual([
        [1, null],
        [2, 'bcpg'],
        [2, 'bcpg-nsa'],
      ]);
    }
    expect(results.version).toBe(RESULTS_VERSION);
    expect(results.iterate).toEqual(['bcpg-nsa', 'bcpg']);
    // 6 methods + β −0.5, 0, 1 + 4 label sources besides consensus, and iteration 2 of two chains: 15 units a seed.
    expect(results.units).toHaveLength(30);
    for (const u of results.units) {
      expect(Number.isFinite(u.eval.accuracy) && u.eval.accuracy >= 0 && u.eval.accuracy <= 1).toBe(true);
      expect(Object.keys(u.eval.passAtK).sort()).toEqual(['1', '2']);
      for (const v of Object.values(u.eval.passAtK)) expect(Number.isFinite(v)).toBe(true);
      expect(u.eval.prompts).toBe(8);
      // Per-prompt correct counts out of 2 samples, adding up to the accuracy: the paired scores of Eq. S3.
      expect(u.eval.correctByPrompt).toHaveLength(8);
      expect(u.eval.correctByPrompt!.reduce((s, c) => s + c, 0) / 16).toBeCloseTo(u.eval.accuracy, 12);
      expect(u.seconds).toBeGreaterThan(0);
    }
    expect(results.datasets).toHaveLength(6);
    // results.json states every paired comparison's power, the two chains compared iteration by iteration among them.
    expect(results.power!.paired).toBe(true);
    expect(results.power!.targetHalfwidth).toBe(0.015);
    const names = results.power!.comparisons.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'BCPG-NSA − BCPG',
        'BCPG-NSA − RFT',
        'β 0 − β 1',
        'consensus − prm',
        'BCPG: iteration 2 − iteration 1',
        'iteration 2: BCPG-NSA − BCPG',
      ]),
    );
    for (const c of results.power!.comparisons) {
      expect(c.n).toBe(2);
      expect(c.halfWidth === null || c.halfWidth >= 0).toBe(true);
    }
    expect(results.labels.filter((l) => l.iteration === 1)).toHaveLength(10);
    for (const l of results.labels) expect(l.negativeTokensCorrect + l.negativeTokensIncorrect).toBeGreaterThan(0);
    expect(Number.isFinite(results.reference.eval.accuracy)).toBe(true);
    expect(results.seconds).toBeGreaterThan(0);

    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('| start model (π_ref) |');
    // The first leg's command line, then the resumed leg's.
    expect(report).toMatch(/^- command: `.*experiment .*--seeds 2/m);
    expect(report).toMatch(/^- then resumed with: `.*experiment --resume /m);
    for (const name of ['BCPG-NSA', 'BCPG', 'GRPO-offline', 'TOPR', 'DPO', 'RFT'])
      expect(report).toMatch(new RegExp(`^\\| ${name} \\| \\d+\\.\\d ± \\d+\\.\\d \\|`, 'm'));
    expect(report).toContain('## β ablation');
    expect(report).toContain('## Annotation ablation');
    expect(report).toContain('## Iterations');
    expect(report).toContain('### BCPG-NSA\n');
    expect(report).toContain('### BCPG\n');
    expect(report).toMatch(/^\| 2 \| [+−]\d+\.\d pp, 95% CI \[/m); // BCPG-NSA − BCPG at iteration 2
    expect(report).toContain('## Power');
    expect(report).toMatch(/^- BCPG-NSA − BCPG: [+−]\d+\.\d pp ± \d+\.\d \(95%\) over 2 seeds/m);
    expect(report).toContain('- paired: every policy of the run');
    expect(report).toMatch(/^\| 1 \| 2 \(BCPG's chain\) \| \d+ \|/m);
    const svgs = readdirSync(out)
      .filter((f) => f.endsWith('.svg'))
      .sort();
    expect(svgs).toEqual([
      'accuracy-by-beta.svg',
      'accuracy-by-iteration-bcpg-nsa.svg',
      'accuracy-by-iteration-bcpg.svg',
      'accuracy-by-labels.svg',
      'accuracy-by-method.svg',
    ]);
    for (const f of svgs) expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg/);

    // The docs page: the same report, saying how it was generated, with the figures and results.json.
    const page = readFileSync(join(docs, 'index.md'), 'utf8');
    expect(page).toContain('Generated by `gemstone experiment`');
    expect(page).toContain(results.command);
    expect(readdirSync(docs).sort()).toEqual([...svgs, 'index.md', 'results.json'].sort());
    expect(JSON.parse(readFileSync(join(docs, 'results.json'), 'utf8'))).toEqual(results);

    // A resume of the finished run with the same flags reuses every stage: each one it enters was done before.
    const third = await gemstone(['experiment', '--resume', out]);
    expect(third.code, third.stderr).toBe(0);
    const entered = third.events.filter((e) => e.event === 'stage').length;
    const skipped = third.events.filter(
      (e) => e.event === 'log' && /done in an earlier leg/.test(String(e.message)),
    ).length;
    expect(entered).toBeGreaterThan(30);
    expect(skipped).toBe(entered);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).units).toEqual(results.units);

    // A finished run cannot grow --iterations: the last policies of the chains were removed once evaluated.
    const grow = await gemstone(['experiment', '--resume', out, '--iterations', '3']);
    expect(grow.code).toBe(2);
    expect(grow.stderr).toMatch(
      /seed-1\/iteration-3: bcpg-nsa's chain samples from .*removed once evaluated.*cannot grow --iterations/,
    );
  });
});
