// The demo's regime: the noisy solver's knobs beside the difficulty, in the address (checked against the
// task as the CLI's --solver is), in π_ref's SFT traces and checkpoint, compared with what the bundled π_ref
// learned (one notice when they differ), and the experiment's mined-share sweep in the findings panel.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  configQuery,
  DEFAULT_CONFIG,
  DEMO_REGIME,
  type DemoConfig,
  describeConfigRegime,
  parseConfig,
} from '../demo/src/config.ts';
import { readFindings } from '../demo/src/findings.ts';
import { RunControl } from '../demo/src/pipeline/control.ts';
import { Pipeline, type PipelineDeps, referenceRecords } from '../demo/src/pipeline/driver.ts';
import { checkRunRecord, emptyRun } from '../demo/src/pipeline/run-record.ts';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { regimeRows } from '../src/experiment/regimes.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { taskRecords } from '../src/pipeline/sft.ts';
import { getTask } from '../src/tasks/index.ts';
import { WorkerPool } from '../src/workers/pool.ts';
import { sweepResults } from './util/regime-results.ts';

describe('the demo’s regime in the address', () => {
  it('starts in DEMO_REGIME, and a link without solver reads as before', () => {
    expect(DEFAULT_CONFIG).toMatchObject({ difficulty: DEMO_REGIME.difficulty, solver: DEMO_REGIME.solver });
    expect(parseConfig('').config.solver).toBe('');
    expect(configQuery(parseConfig('?seed=2&difficulty=1').config)).toBe('difficulty=1&seed=2');
    expect(describeConfigRegime(DEFAULT_CONFIG)).toBe("difficulty 0, the solver's defaults");
  });

  it('takes the knobs as --solver does, written back in one order', () => {
    const raw = parseConfig('?solver=slipWhere=late,catchRate=0.8');
    expect(raw.warnings).toEqual([]);
    expect(raw.config.solver).toBe('catchRate=0.8,slipWhere=late');
    const encoded = parseConfig('?solver=slipWhere%3Dlate%2CcatchRate%3D0.8&difficulty=2');
    expect(encoded.config).toMatchObject({ solver: 'catchRate=0.8,slipWhere=late', difficulty: 2 });
    // The share link carries them, encoded, and reads back to the same config.
    const query = configQuery(encoded.config);
    expect(query).toBe('difficulty=2&solver=catchRate%3D0.8%2CslipWhere%3Dlate');
    expect(parseConfig(`?${query}`).config).toEqual(encoded.config);
    expect(describeConfigRegime(encoded.config)).toBe('difficulty 2, catchRate=0.8,slipWhere=late');
    expect(parseConfig('?solver=').config.solver).toBe('');
  });

  it('ignores knobs the solver refuses, with one warning naming the key and the parser’s message', () => {
    const unknown = parseConfig('?solver=speed=3&seed=4');
    expect(unknown.config).toMatchObject({ solver: '', seed: 4 });
    expect(unknown.warnings).toEqual([
      'solver=speed=3 ignored: --solver: speed is not a knob of the arithmetic solver; its knobs are ' +
        'slipRate, checkRate, catchRate, falseConfirmRate, maxChars, slipWhere, slipShape.',
    ]);
    expect(parseConfig('?solver=slipRate%3D2').warnings).toEqual([
      'solver=slipRate=2 ignored: --solver slipRate=2: slipRate must be a probability in [0, 1].',
    ]);
    // Checked against the task the address asks for, wherever the task stands in it.
    const sorting = parseConfig('?solver=slipShape=reflected&task=sorting');
    expect(sorting.config).toMatchObject({ task: 'sorting', solver: '' });
    expect(sorting.warnings).toHaveLength(1);
    expect(sorting.warnings[0]).toMatch(/^solver=slipShape=reflected ignored: .*not a knob of the sorting solver/);
  });

  it('a run recorded before the knobs existed loads with the solver’s defaults', () => {
    const { solver: _, ...older } = emptyRun(DEFAULT_CONFIG).config;
    const run = checkRunRecord(JSON.parse(JSON.stringify({ ...emptyRun(DEFAULT_CONFIG), config: older })), 'old');
    expect(run.config.solver).toBe('');
    const example = JSON.parse(readFileSync(new URL('../demo/public/example-run.json', import.meta.url), 'utf8'));
    expect(checkRunRecord(example, 'example-run.json').config.solver).toBe(example.config.solver ?? '');
  });
});

describe('π_ref’s traces in the regime', () => {
  it('are the noisy solver’s with the knobs, and differ from the defaults’', () => {
    const config: DemoConfig = { ...DEFAULT_CONFIG, records: 200, solver: 'catchRate=0,slipRate=0.6,slipWhere=late' };
    const records = referenceRecords(config);
    const arithmetic = getTask('arithmetic');
    expect(records).toEqual(taskRecords(arithmetic, 200, 0, config.seed, 'slipWhere=late,slipRate=0.6,catchRate=0'));
    const defaults = referenceRecords({ ...config, solver: '' });
    expect(defaults).toEqual(taskRecords(arithmetic, 200, 0, config.seed));
    expect(records.map((r) => r.prompt)).toEqual(defaults.map((r) => r.prompt));
    const differing = records.filter((r, i) => r.completion !== defaults[i].completion).length;
    expect(differing).toBeGreaterThan(20);
  });
});

describe('the bundled π_ref in another regime', () => {
  const deps = (bundled?: Uint8Array): PipelineDeps => ({
    createContext: (onLost) => GpuContext.create({ onLost }),
    createPool: () => WorkerPool.create(1),
    loadBundledReference: async () => {
      if (bundled === undefined) throw new Error('no bundled π_ref in this run');
      return bundled;
    },
    llmEndpoint: null,
  });
  const small: DemoConfig = { ...DEFAULT_CONFIG, records: 32, sftSteps: 2, sftBatch: 4, readEvery: 1 };
  /** π_ref's SFT alone; its checkpoint's metadata and the notices. */
  const reference = async (config: DemoConfig, bundled?: Uint8Array) => {
    const notices: string[] = [];
    const hooks = { stage: () => {}, progress: () => {}, update: () => {}, notice: (m: string) => notices.push(m) };
    const run = new Pipeline(config, deps(bundled), hooks, new RunControl());
    await run.referenceOnly();
    const bytes = run.referenceBytes!;
    return { bytes, extra: decodeCheckpoint(bytes, 'π_ref').extra as Record<string, unknown>, notices };
  };

  it('records the knobs as the CLI does; a mismatch is one notice, the SFT goes on in the asked one', async () => {
    const late = await reference({ ...small, ref: 'scratch', solver: 'slipWhere=late' });
    expect(late.extra).toMatchObject({ task: 'arithmetic', difficulty: 0, solver: { slipWhere: 'late' } });
    expect(late.notices).toEqual([]);

    const defaults = await reference({ ...small, ref: 'bundled', solver: '' }, late.bytes);
    expect(defaults.notices).toEqual([
      "The bundled π_ref learned the traces of difficulty 0, slipWhere=late; continuing its SFT in this run's " +
        "regime (difficulty 0, the solver's defaults).",
    ]);
    expect(defaults.extra.difficulty).toBe(0);
    expect(defaults.extra).not.toHaveProperty('solver');

    const harder = await reference({ ...small, ref: 'bundled', difficulty: 1, solver: 'slipWhere=late' }, late.bytes);
    expect(harder.notices).toEqual([
      "The bundled π_ref learned the traces of difficulty 0, slipWhere=late; continuing its SFT in this run's " +
        'regime (difficulty 1, slipWhere=late).',
    ]);
    expect(harder.extra).toMatchObject({ difficulty: 1, solver: { slipWhere: 'late' } });

    // The same regime, one knob given at its default: the same solver, so no notice.
    const same = await reference({ ...small, ref: 'bundled', solver: 'slipShape=clamped,slipWhere=late' }, late.bytes);
    expect(same.notices).toEqual([]);
  }, 300_000);
});

describe('the findings panel and the mined-share sweep', () => {
  it('shows nothing of a sweep when results.json has none (today’s file)', () => {
    const results = JSON.parse(readFileSync(new URL('../docs/results/results.json', import.meta.url), 'utf8'));
    expect(results.regimes).toBeUndefined();
    const findings = readFindings(results);
    expect(findings.regimes).toEqual([]);
    expect(findings.problems).toEqual([]);
  });

  it('lists each regime’s mined share and BCPG-NSA − BCPG with the report’s interval, by mined share', () => {
    const results = sweepResults();
    const findings = readFindings(results);
    expect(findings.regimes.map((r) => [r.name, r.regime, r.minedShare])).toEqual([
      ['default', "difficulty 1, the solver's defaults", 0.09],
      ['slipWhere=late', 'difficulty 1, slipWhere=late', 0.25],
    ]);
    for (const row of regimeRows(results)) {
      const shown = findings.regimes.find((r) => r.name === row.regime.name)!;
      expect(shown.nsaMinusBcpg).toEqual({
        against: 'bcpg',
        mean: row.nsaMinusBcpg.mean,
        ci: row.nsaMinusBcpg.ci,
        seeds: 3,
      });
    }
    expect(findings.regimes[1].nsaMinusBcpg.ci![0]).toBeLessThan(findings.regimes[1].nsaMinusBcpg.mean);
  });

  it('a sweep missing a unit is named in the problems, not guessed', () => {
    const results = sweepResults();
    results.regimes![1].units = results.regimes![1].units.filter((u) => u.seed !== 2);
    const findings = readFindings(results);
    expect(findings.regimes).toEqual([]);
    expect(findings.problems).toContain(
      'the mined-share sweep (regimes) could not be read: results: regime default has no unit ' +
        '"regime:default:bcpg-nsa" on seed 2.',
    );
  });
});
