// gemstone experiment --regimes (the mined-share sweep): the parser and its errors, the units each regime
// trains, the report section and figure from hand-built results (every number checked against its
// definition), and a tiny run with two regimes end to end: its π_refs, results.json, report and resume.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFigures, REGIME_FIGURE } from '../src/experiment/figures.ts';
import { planUnits, REGIME_UNITS, regimeRole, regimeUnits } from '../src/experiment/plan.ts';
import { labelledShare, parseRegimes, RegimeError, regimeFolder, regimeRows } from '../src/experiment/regimes.ts';
import { buildReport } from '../src/experiment/report.ts';
import { type ExperimentResults, readResults } from '../src/experiment/results.ts';
import { powerSection } from '../src/experiment/power.ts';
import { pairedDifference } from '../src/experiment/stats.ts';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { getTask } from '../src/tasks/index.ts';
import { regimeStats } from '../src/tasks/regime.ts';
import { GEMSTONE_BIN as BIN, llvmpipeEnv, runGemstone } from './util/cli.ts';
import { sweepResults } from './util/regime-results.ts';

const arithmetic = getTask('arithmetic');

describe('--regimes', () => {
  it('reads "default" and solver settings with an optional difficulty, in a fixed key order', () => {
    const regimes = parseRegimes(
      ' default ; slipWhere=late, catchRate=0.8 ;difficulty=2;slipShape=symmetric',
      arithmetic,
    );
    expect(regimes).toEqual([
      { name: 'default', isDefault: true, solver: {} },
      { name: 'catchRate=0.8,slipWhere=late', isDefault: false, solver: { slipWhere: 'late', catchRate: 0.8 } },
      { name: 'difficulty=2', isDefault: false, solver: {}, difficulty: 2 },
      { name: 'slipShape=symmetric', isDefault: false, solver: { slipShape: 'symmetric' } },
    ]);
    expect(parseRegimes('default;difficulty=3,slipRate=0.1', arithmetic)[1]).toEqual({
      name: 'slipRate=0.1,difficulty=3',
      isDefault: false,
      solver: { slipRate: 0.1 },
      difficulty: 3,
    });
    // Folder names keep to letters, digits, dots and dashes.
    expect(regimeFolder('catchRate=0.8,slipWhere=late')).toBe('regime-catchRate_0.8_slipWhere_late');
  });

  it('refuses a bad regime with one message naming --regimes, the regime and the key', () => {
    const fails = (text: string, message: RegExp) => {
      expect(() => parseRegimes(text, arithmetic)).toThrow(RegimeError);
      expect(() => parseRegimes(text, arithmetic)).toThrow(message);
    };
    fails('default;slipRate=2', /^--regimes: regime "slipRate=2": slipRate=2: slipRate must be a probability/);
    fails('default;speed=3', /--regimes: regime "speed=3": speed is not a knob of the arithmetic solver/);
    fails('default;slipWhere', /--regimes: regime "slipWhere": "slipWhere" is not key=value/);
    fails('default;difficulty=x', /--regimes: regime "difficulty=x": difficulty=x: .*whole number/);
    fails('default;difficulty=1,difficulty=2', /regime "difficulty=1,difficulty=2": difficulty is given twice/);
    fails('default;;slipWhere=late', /an empty regime/);
    fails('slipWhere=late', /at least two regimes/);
    fails('default;default', /regime "default" is given twice/);
    fails('default;slipWhere=late,catchRate=0.8;catchRate=0.8,slipWhere=late', /is given twice \(as catchRate/);
  });

  it('a regime trains BCPG-NSA with the run labels and with the oracle, and BCPG; the default on the seed data', () => {
    const units = regimeUnits('slipWhere=late', 0.5);
    expect(units.map((u) => [u.key, u.roles])).toEqual([
      ['bcpg-nsa_beta0.5_consensus', ['regime:slipWhere=late:bcpg-nsa']],
      ['bcpg-nsa_beta0.5_oracle', ['regime:slipWhere=late:bcpg-nsa-oracle']],
      ['bcpg', ['regime:slipWhere=late:bcpg']],
    ]);
    // The default regime's units join the run's own: one training run plays the method row and the regime row.
    const plan = planUnits(
      { methods: ['bcpg-nsa'], sweeps: {}, beta: 0.5, iterations: 1, iterate: [], defaultRegime: true },
      1,
    );
    expect(plan.map((u) => [u.key, u.roles])).toEqual([
      ['bcpg-nsa_beta0.5_consensus', ['method:bcpg-nsa', 'regime:default:bcpg-nsa']],
      ['bcpg-nsa_beta0.5_oracle', ['regime:default:bcpg-nsa-oracle']],
      ['bcpg', ['regime:default:bcpg']],
    ]);
  });
});

describe('the mined-share sweep in results.json, report.md and a figure', () => {
  const results = sweepResults();

  it('the paired differences are the means of the per-seed differences, with their t-intervals', () => {
    const rows = regimeRows(results);
    expect(rows.map((r) => r.regime.name)).toEqual(['slipWhere=late', 'default']);
    const late = rows[0];
    const perSeed = [0.5 - 0.45, 0.52 - 0.46, 0.55 - 0.5];
    expect(late.nsaMinusBcpg.mean).toBeCloseTo(perSeed.reduce((s, v) => s + v, 0) / 3, 12);
    expect(late.nsaMinusBcpg).toEqual(pairedDifference([0.5, 0.52, 0.55], [0.45, 0.46, 0.5]));
    expect(late.oracleMinusBcpg.mean).toBeCloseTo((0.11 + 0.14 + 0.08) / 3, 12);
    expect(late.minedShare).toBe(0.25);
    // Summed over seeds: (18 + 2) / (18 + 80 + 4) correct by the consensus, (23 + 2) / (23 + 75 + 4) by the oracle.
    expect(late.labelledShare).toBeCloseTo(20 / 102, 12);
    expect(late.oracleShare).toBeCloseTo(25 / 102, 12);
    expect(labelledShare([], 'oracle')).toBeNull();
    // The Power section prices each regime's two differences, over that regime's own units.
    const power = powerSection(results).comparisons.filter((c) => c.family.startsWith('regime:'));
    expect(power.map((c) => c.name)).toEqual([
      'slipWhere=late: BCPG-NSA − BCPG',
      'slipWhere=late: BCPG-NSA (oracle labels) − BCPG',
      'default: BCPG-NSA − BCPG',
      'default: BCPG-NSA (oracle labels) − BCPG',
    ]);
    expect(power[0].mean).toBeCloseTo(late.nsaMinusBcpg.mean!, 12);
    expect(power[0].halfWidth).toBeCloseTo(late.nsaMinusBcpg.ci![1] - late.nsaMinusBcpg.mean!, 12);
    expect(power[1].mean).toBeCloseTo(late.oracleMinusBcpg.mean!, 12);
  });

  it('report.md has a Mined-share sweep section, rows by mined share, and the figure beside it', async () => {
    const figures = await buildFigures(results);
    expect(figures.map((f) => f.file)).toEqual([REGIME_FIGURE]);
    expect(figures[0].svg).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>$/);
    expect(figures[0].svg).toContain('BCPG-NSA (oracle labels) − BCPG');
    const report = buildReport(results, { figures });
    expect(report).toContain('## Mined-share sweep');
    const section = report.slice(report.indexOf('## Mined-share sweep'));
    const rows = section.split('\n').filter((l) => /^\| (default|slipWhere)/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      /^\| default \(the run's π_ref: the solver's defaults\) \| 1 \| 9\.0 \| 7\.8 \| 9\.8 \| 30\.0 \|/,
    );
    // slipWhere=late: Δ = [0.05, 0.06, 0.05] → +5.3 pp; oracle Δ = [0.11, 0.14, 0.08] → +11.0 pp.
    const d = pairedDifference([0.5, 0.52, 0.55], [0.45, 0.46, 0.5]);
    const pp = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
    const interval = `${pp(d.mean!)} pp, 95% CI [${pp(d.ci![0])}, ${pp(d.ci![1])}]`;
    expect(rows[1]).toContain(`| slipWhere=late | 1 | 25.0 | 19.6 | 24.5 | 30.0 | ${interval} |`);
    expect(rows[1]).toMatch(/\| \+11\.0 pp, 95% CI \[/);
    expect(section).toContain(`![${figures[0].title}](${REGIME_FIGURE})`);
    expect(report).toMatch(/^\| mined-share sweep: π_ref SFT \(per regime\) \| 1 \|/m);
  });

  it('results.json without regimes (an older run) still loads, and draws no sweep', async () => {
    const { regimes: _, ...older } = sweepResults();
    const loaded = readResults(JSON.parse(JSON.stringify(older)));
    expect(loaded.regimes).toBeUndefined();
    expect(regimeRows(loaded)).toEqual([]);
    expect(buildReport(loaded, { figures: [] })).not.toContain('Mined-share sweep');
  });
});

function gemstone(args: string[]): Promise<{ code: number | null; events: Record<string, unknown>[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: llvmpipeEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => {
      stdout += data;
    });
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    child.on('close', (code) =>
      resolve({
        code,
        events: stdout
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
        stderr,
      }),
    );
  });
}

describe('gemstone experiment --regimes end to end (tiny preset)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gemstone-regimes-'));
  const out = join(dir, 'exp');
  const docs = join(dir, 'docs');
  const LATE = 'slipWhere=late,catchRate=0.8';
  const ARGS = [
    'experiment',
    ...['--preset', 'tiny', '--records', '64', '--sft-steps', '20', '--prompts', '8', '--group', '2'],
    ...['--batch', '8', '--prm-steps', '5', '--prm-responses', '8', '--epochs', '1', '--eval-prompts', '8'],
    ...['--eval-samples', '2', '--keep-all', '--workers', '1', '--seeds', '2', '--methods', 'none'],
    ...['--regimes', `default;${LATE}`, '--out', out],
  ];

  it('a bad --regimes is one clear error before anything is written', async () => {
    const bad = join(dir, 'bad');
    const { stderr, code } = await runGemstone(['experiment', '--regimes', 'default;slipWhere=sideways', '--out', bad]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--regimes: regime "slipWhere=sideways": slipWhere=sideways: slipWhere must be one of/);
    expect(existsSync(bad)).toBe(false);
  });

  it('runs two regimes on two seeds, writes the sweep, and a resume retrains no π_ref', async () => {
    const first = await gemstone([...ARGS, '--docs', docs]);
    expect(first.code, first.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ExperimentResults;
    expect(results.regimes!.map((r) => r.name)).toEqual(['default', 'catchRate=0.8,slipWhere=late']);
    const [own, late] = results.regimes!;
    // The default regime is the run's π_ref and seed data; the other trained its own π_ref on its traces.
    expect(own.reference.path).toBe('reference');
    expect(late.reference.path).toBe(`${regimeFolder(late.name)}/reference`);
    const extra = (path: string) =>
      decodeCheckpoint(new Uint8Array(readFileSync(path)), path).extra as { solver?: unknown; difficulty?: number };
    const lateCheckpoint = join(out, late.reference.path, 'checkpoint.safetensors');
    expect(extra(lateCheckpoint).solver).toEqual({ slipWhere: 'late', catchRate: 0.8 });
    expect(extra(join(out, 'reference', 'checkpoint.safetensors')).solver).toBeUndefined();
    expect(readFileSync(lateCheckpoint)).not.toEqual(readFileSync(join(out, 'reference', 'checkpoint.safetensors')));
    // The mined share is task-stats' figure for the regime's solver at its difficulty.
    for (const r of results.regimes!) {
      const s = regimeStats(arithmetic, r.solver, { difficulty: r.difficulty, count: r.mined.traces, seed: 1 });
      expect(r.mined.share).toBe(s.minedShare);
    }
    expect(late.mined.share).not.toBe(own.mined.share);
    // Seed by seed: the regime's π_ref first, then each seed's own units and that seed of the regime before the
    // next seed, so a run stopped after k seeds holds k whole seeds.
    const order = first.events.filter((e) => e.event === 'stage').map((e) => String(e.stage));
    const at = (prefix: string) => {
      const i = order.findIndex((stage) => stage.startsWith(prefix));
      expect(i, `a stage ${prefix}…`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const lateFolder = regimeFolder(late.name);
    expect(at(`${lateFolder}/reference`)).toBeLessThan(at('seed-1/'));
    expect(at(`${lateFolder}/seed-1/`)).toBeGreaterThan(at('seed-1/'));
    expect(at(`${lateFolder}/seed-1/`)).toBeLessThan(at('seed-2/'));
    expect(at(`${lateFolder}/seed-2/`)).toBeGreaterThan(at('seed-2/'));
    for (const r of results.regimes!) {
      expect(r.datasets.map((d) => d.seed)).toEqual([1, 2]);
      expect(r.labels.map((l) => `${l.seed}:${l.source}`).sort()).toEqual(
        ['1:consensus', '1:oracle', '2:consensus', '2:oracle'].sort(),
      );
      for (const seed of [1, 2])
        for (const u of REGIME_UNITS) {
          const unit = r.units.find((x) => x.seed === seed && x.roles.includes(regimeRole(r.name, u)))!;
          expect(unit, `${r.name} seed ${seed} ${u}`).toBeDefined();
          // Every unit of a regime saw the same held-out prompts and samples as its π_ref.
          expect(unit.eval.prompts).toBe(r.reference.eval.prompts);
          expect(unit.eval.correctByPrompt).toHaveLength(8);
        }
    }
    // The default regime's entries are the run's own units.
    expect(own.units).toEqual(results.units.filter((u) => u.roles.some((x) => x.startsWith('regime:default:'))));
    expect(results.units).toHaveLength(6);

    // report.md: the section's differences are those of the per-seed accuracies in results.json.
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    const section = report.slice(report.indexOf('## Mined-share sweep'));
    expect(section.length).toBeGreaterThan(0);
    for (const row of regimeRows(results)) {
      const bcpg = row.accuracy.bcpg;
      const d = row.accuracy['bcpg-nsa'].map((a, i) => a - bcpg[i]);
      expect(row.nsaMinusBcpg.mean).toBeCloseTo((d[0] + d[1]) / 2, 12);
      const pp = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
      expect(section).toContain(`${pp(row.nsaMinusBcpg.mean!)} pp, 95% CI [${pp(row.nsaMinusBcpg.ci![0])}`);
      expect(section).toContain(`${pp(row.oracleMinusBcpg.mean!)} pp, 95% CI [${pp(row.oracleMinusBcpg.ci![0])}`);
    }
    expect(report).toMatch(/^\| 2 \| 1 \(regime catchRate=0\.8,slipWhere=late\) \| \d+ \|/m);
    expect(results.power!.comparisons.map((c) => c.name)).toEqual([
      'default: BCPG-NSA − BCPG',
      'default: BCPG-NSA (oracle labels) − BCPG',
      `${late.name}: BCPG-NSA − BCPG`,
      `${late.name}: BCPG-NSA (oracle labels) − BCPG`,
    ]);
    expect(readdirSync(out)).toContain(REGIME_FIGURE);
    expect(readdirSync(docs)).toContain(REGIME_FIGURE);
    expect(readFileSync(join(docs, 'index.md'), 'utf8')).toContain('## Mined-share sweep');

    // A resume of the finished run retrains no π_ref: the regime's SFT stage was done in the first leg.
    const second = await gemstone(['experiment', '--resume', out]);
    expect(second.code, second.stderr).toBe(0);
    const stages = second.events.filter((e) => e.event === 'stage').map((e) => String(e.stage));
    expect(stages).toContain(`${regimeFolder(late.name)}/reference`);
    const reused = second.events
      .filter((e) => e.event === 'log' && /done in an earlier leg/.test(String(e.message)))
      .map((e) => String(e.message));
    expect(reused.some((m) => m.includes(`${regimeFolder(late.name)}: π_ref, SFT`))).toBe(true);
    expect(reused).toHaveLength(stages.length);
    const again = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ExperimentResults;
    expect(again.regimes).toEqual(results.regimes);
  }, 900_000);
});
