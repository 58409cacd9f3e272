// The regime knobs of the noisy solvers (slipShape, slipWhere), `--solver` text, the mined share and
// `gemstone task-stats`: the defaults draw exactly the traces the solvers drew before the knobs
// existed (π_ref and every figure depend on them), each knob changes what it says, and a bad
// --solver is refused naming the key.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runGemstone } from './util/cli.ts';
import { markdownRow, reportLines, SEED, TRACES } from '../node-runner/commands/task-stats.ts';
import { checkReferenceRegime } from '../node-runner/solver-option.ts';
import { PROFILES } from '../node-runner/presets.ts';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { referenceOptions } from '../src/pipeline/pipeline.ts';
import { taskRecords } from '../src/pipeline/sft.ts';
import { arithmetic } from '../src/tasks/arithmetic/index.ts';
import { checkTask } from '../src/tasks/check.ts';
import { negativeShares, regimeStats } from '../src/tasks/regime.ts';
import { formatSolverSpec, parseSolverSpec, resolvedSolver } from '../src/tasks/solver-spec.ts';
import { sorting } from '../src/tasks/sorting/index.ts';
import type { Problem, SlipWhere, Task, Trace } from '../src/tasks/task.ts';
import { taskTokenizer } from '../src/tasks/tokenizer.ts';
import { stepSlipRate } from '../src/tasks/traces.ts';

/** Options that make a command stop at its checks: no adapter probed, and no folder it could make. */
const NO_RUN = ['--profile', 'software', '--out', '/nonexistent/regime-test'];

const gemstone = (args: string[]) => runGemstone(args);

/** A hash of 300 traces: text, answer, draws and every line's kind, label and slip flag. */
function tracesHash(task: Task, options: Record<string, unknown>, difficulty: number): string {
  const hash = createHash('sha256');
  const solver = task.solver(options);
  for (let seed = 0; seed < 300; seed++) {
    const t = solver.solve(task.generate(seed, difficulty));
    hash.update(
      JSON.stringify({
        text: t.text,
        answer: t.answer,
        correct: t.correct,
        draws: t.draws,
        lines: t.lines.map((l) => [l.text, l.kind, l.label.score, l.label.reason, l.slipped ?? null]),
      }),
    );
  }
  return hash.digest('hex').slice(0, 16);
}

/** Traces of seeds 0 … count − 1 without a length limit (no redraw favours short traces). */
function traces(task: Task, options: Record<string, unknown>, difficulty: number, count: number): Trace[] {
  const solver = task.solver({ maxChars: Infinity, ...options });
  return Array.from({ length: count }, (_, seed) => solver.solve(task.generate(seed, difficulty)));
}

const slipsOf = (ts: Trace[]) => ts.flatMap((t) => t.lines.flatMap((l) => (l.slip ? [l.slip] : [])));

describe('the defaults draw the traces of the solvers before slipShape and slipWhere', () => {
  // Hashes of the code before the knobs (commit a0d5543), the same 300 seeds each.
  const BEFORE: [Task, Record<string, unknown>, number, string][] = [
    [arithmetic, {}, 1, 'e8712d2201c25211'],
    [arithmetic, { seed: 7 }, 2, '4ef22bd70a90b77e'],
    [arithmetic, { slipRate: 0.5, checkRate: 0.6, seed: 3 }, 0, '3f31da7b807bd911'],
    [arithmetic, { maxChars: Infinity, seed: 1 }, 3, 'd8129754fda71f20'],
    [sorting, {}, 1, '8e08a96b881f4091'],
    [sorting, { seed: 5, slipRate: 0.4 }, 2, 'e56f751deadb7884'],
  ];
  it.each(
    BEFORE.map(([task, ...rest]) => [task.name, task, ...rest] as const),
  )('%s %j at difficulty %i', (_name, task, options, difficulty, want) => {
    expect(tracesHash(task, options, difficulty)).toBe(want);
    expect(tracesHash(task, { ...options, slipWhere: 'uniform' }, difficulty)).toBe(want);
    if (task === arithmetic) expect(tracesHash(task, { ...options, slipShape: 'clamped' }, difficulty)).toBe(want);
  });

  it('the knobs change the traces', () => {
    expect(tracesHash(arithmetic, { slipShape: 'symmetric' }, 1)).not.toBe('e8712d2201c25211');
    expect(tracesHash(arithmetic, { slipWhere: 'late' }, 1)).not.toBe('e8712d2201c25211');
    expect(tracesHash(sorting, { slipWhere: 'early' }, 1)).not.toBe('8e08a96b881f4091');
  });
});

describe('slipShape', () => {
  const all = { slipRate: 1, checkRate: 0 };
  const at = (shape: string, ok: (right: number) => boolean) =>
    slipsOf(traces(arithmetic, { ...all, slipShape: shape }, 1, 4000)).filter((s) => ok(s.right));
  /** |down − up| within 4 binomial standard deviations of a fair coin. */
  const balanced = (s: { right: number; written: number }[]) => {
    const down = s.filter((x) => x.written < x.right).length;
    return Math.abs(down - (s.length - down)) <= 4 * Math.sqrt(s.length);
  };

  it('symmetric: down and up equally likely wherever a result ≥ 0 allows both, never below 0', () => {
    const slips = at('symmetric', (r) => r >= 1);
    expect(slips.length).toBeGreaterThan(2000);
    expect(balanced(slips)).toBe(true);
    const ones = slips.filter((s) => s.right === 1);
    expect(ones.length).toBeGreaterThan(200);
    expect(balanced(ones)).toBe(true);
    expect(ones.every((s) => s.written === 0 || s.written === 2 || s.written === 3)).toBe(true);
    expect(at('symmetric', (r) => r >= 0).every((s) => s.written >= 0 && Math.abs(s.written - s.right) <= 2)).toBe(
      true,
    );
  });

  it('clamped (today): at r = 1 only a quarter of slips go down; reflected: |r ± 1 or 2|, never r itself', () => {
    const ones = at('clamped', (r) => r === 1);
    const down = ones.filter((s) => s.written < s.right).length / ones.length;
    expect(down).toBeGreaterThan(0.2);
    expect(down).toBeLessThan(0.3);
    expect(balanced(ones)).toBe(false);
    const reflected = at('reflected', (r) => r >= 0);
    expect(reflected.every((s) => s.written >= 0 && s.written !== s.right)).toBe(true);
    expect(reflected.every((s) => [1, 2].includes(Math.abs(s.written - s.right)))).toBe(true);
    expect(reflected.some((s) => s.right === 0)).toBe(true);
  });

  it.each(['symmetric', 'reflected'])('%s: the ground truth still agrees with the oracle and the verifier', (shape) => {
    const solver = arithmetic.solver({ slipShape: shape, slipRate: 0.5, seed: 4 });
    for (let seed = 0; seed < 600; seed++) {
      const p = arithmetic.generate(seed, seed % 3);
      const trace = solver.solve(p);
      const labels = arithmetic.oracle(p, trace.text, arithmetic.naturalSteps(trace.text));
      expect(labels.map((l) => l.score)).toEqual(trace.lines.map((l) => l.label.score));
      expect(arithmetic.verify(p, trace.text)).toBe(trace.correct);
    }
  });

  it('an unknown shape is refused with its name', () => {
    expect(() => arithmetic.solver({ slipShape: 'sideways' })).toThrow(/slipShape must be one of clamped/);
  });
});

describe('slipWhere', () => {
  it('p_i = slipRate · n · w_i / Σ w (eq. S1): the expected slips per trace stay n · slipRate', () => {
    for (const where of ['uniform', 'early', 'late'] as const)
      for (const n of [1, 2, 3, 5, 8]) {
        const p = Array.from({ length: n }, (_, i) => stepSlipRate(0.3, where, i, n));
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(0.3 * n, 12);
      }
    expect(stepSlipRate(0.3, 'late', 2, 3)).toBeCloseTo(0.45, 12);
    expect(stepSlipRate(0.3, 'early', 2, 3)).toBeCloseTo(0.15, 12);
    expect(stepSlipRate(0.9, 'late', 2, 3)).toBe(1);
  });

  it.each([
    ['arithmetic', arithmetic, 2],
    ['sorting', sorting, 2],
  ] as [
    string,
    Task,
    number,
  ][])('%s: late slips fall in later steps, early in earlier, as many per trace', (_, task, d) => {
    const perStep = (where: string) => {
      const counts: number[] = [];
      let slips = 0;
      const ts = traces(task, { slipWhere: where, slipRate: 0.2, checkRate: 0, seed: 2 }, d, 3000);
      for (const t of ts)
        t.lines
          .filter((l) => l.kind === 'step')
          .forEach((l, i) => {
            counts[i] = (counts[i] ?? 0) + (l.slipped ? 1 : 0);
            if (l.slipped) slips++;
          });
      return { counts, perTrace: slips / ts.length };
    };
    const uniform = perStep('uniform');
    const late = perStep('late');
    const early = perStep('early');
    const last = late.counts.length - 1;
    expect(late.counts[last]).toBeGreaterThan(2 * late.counts[0]);
    expect(early.counts[0]).toBeGreaterThan(2 * early.counts[last]);
    expect(Math.abs(uniform.counts[last] - uniform.counts[0])).toBeLessThan(0.25 * uniform.counts[0]);
    for (const other of [late, early]) expect(Math.abs(other.perTrace - uniform.perTrace)).toBeLessThan(0.05);
  });

  it('both built-in tasks still pass the task contract with the new rules', () => {
    expect(checkTask(arithmetic).rules).toContain('solver-knobs');
    expect(checkTask(sorting).rules).toContain('solver-knobs');
  });
});

describe('--solver text', () => {
  it('reads probabilities, lengths and choices, and writes them back in one order', () => {
    const s = parseSolverSpec(' slipWhere=late, catchRate=0.8 ,slipShape=symmetric,maxChars=200', arithmetic);
    expect(s).toEqual({ slipWhere: 'late', catchRate: 0.8, slipShape: 'symmetric', maxChars: 200 });
    expect(formatSolverSpec(s)).toBe('catchRate=0.8,maxChars=200,slipShape=symmetric,slipWhere=late');
    expect(resolvedSolver(arithmetic, { slipShape: 'clamped' })).toEqual(resolvedSolver(arithmetic, {}));
    expect(resolvedSolver(arithmetic, { slipWhere: 'late' })).not.toEqual(resolvedSolver(arithmetic, {}));
  });

  it.each([
    ['slipRat=0.2', /slipRat is not a knob of the arithmetic solver; its knobs are slipRate, .*slipShape/],
    ['slipRate=1.5', /--solver slipRate=1\.5: slipRate must be a probability in \[0, 1\]/],
    ['catchRate=x', /catchRate must be a probability/],
    ['maxChars=0', /maxChars must be a positive integer/],
    ['slipWhere=middle', /slipWhere must be one of uniform, early, late/],
    ['slipShape=up', /slipShape must be one of clamped, symmetric, reflected/],
    ['seed=3', /seed: the solver's seed is the run's --seed/],
    ['slipRate=0.1,slipRate=0.2', /slipRate is given twice/],
    ['slipWhere', /"slipWhere" is not key=value/],
    [' , ', /give key=value pairs/],
  ])('%j is refused', (text, message) => {
    expect(() => parseSolverSpec(text, arithmetic)).toThrow(message);
  });

  it("a task's own knob is refused on another task", () => {
    expect(() => parseSolverSpec('slipShape=symmetric', sorting)).toThrow(/slipShape is not a knob of the sorting/);
    expect(parseSolverSpec('slipShape=symmetric', null)).toEqual({ slipShape: 'symmetric' });
  });
});

describe('the mined share', () => {
  // Start 17: +15 *3 -14 → 32, 96, 82.
  const problem: Problem = {
    id: 'arithmetic-d1-0',
    prompt: 'Start 17: +15 *3 -14\n',
    answer: '82',
    data: {
      difficulty: 1,
      start: 17,
      ops: [
        { op: '+', operand: 15 },
        { op: '*', operand: 3 },
        { op: '-', operand: 14 },
      ],
      values: [17, 32, 96, 82],
    },
  };
  const responses = [
    // Negative: two right steps (17 + 16 characters), a slip (17), a wrong answer (10).
    'Step 1: 17+15=32\nStep 2: 32*3=96\nStep 3: 96-14=83\nAnswer: 83',
    // Negative: a slip in step 1, its correction (right: 24 characters), a slip in step 2, propagation.
    'Step 1: 17+15=33\nCheck: 17+15=32, not 33\nStep 2: 32*3=97\nStep 3: 97-14=83\nAnswer: 83',
    // Negative: only its first step is right.
    'Step 1: 17+15=32\nStep 2: 32*3=95\nStep 3: 95-14=81\nAnswer: 81',
    // Positive: not counted.
    'Step 1: 17+15=32\nStep 2: 32*3=96\nStep 3: 96-14=82\nAnswer: 82',
  ];
  it('counts the tokens of oracle-correct steps of the negatives, by the task tokenizer', () => {
    const tokenizer = taskTokenizer(arithmetic, responses);
    const shares = negativeShares(
      arithmetic,
      tokenizer,
      responses.map((response) => ({ problem, response })),
    );
    expect(shares.responses).toBe(4);
    expect(shares.negatives).toBe(3);
    expect(shares.negativesWithLaterCorrectStep).toBe(2);
    expect(shares.negativeTokens).toBe(60 + (17 + 24 + 16 + 17 + 10) + 60);
    expect(shares.minedTokens).toBe(17 + 16 + 24 + 17);
  });

  it('late slips raise it, early slips lower it (the regime knob)', () => {
    const share = (slipWhere: SlipWhere) =>
      regimeStats(arithmetic, { slipWhere }, { difficulty: 1, count: 600, seed: 1 }).minedShare;
    const [early, uniform, late] = (['early', 'uniform', 'late'] as const).map(share);
    expect(early).toBeLessThan(uniform - 0.05);
    expect(late).toBeGreaterThan(uniform + 0.05);
  });
});

describe('the figures of the docs are what their commands print', () => {
  /** The options of a `gemstone task-stats …` command line, run in-process. */
  function statsOf(command: string) {
    const words = command.trim().split(/\s+/).slice(2);
    const o: Record<string, string> = {};
    for (let i = 0; i < words.length; i += 2) o[words[i].replace(/^--/, '')] = words[i + 1];
    const task = o.task === 'sorting' ? sorting : arithmetic;
    const options = { traces: Number(o.traces ?? TRACES), seed: Number(o.seed ?? SEED) };
    const settings = o.solver === undefined ? {} : parseSolverSpec(o.solver, task);
    const difficulty = o.difficulty === undefined ? task.defaultDifficulty : Number(o.difficulty);
    return { stats: regimeStats(task, settings, { difficulty, count: options.traces, seed: options.seed }), options };
  }

  it('docs/tasks.md: every row of the regime table', () => {
    const rows = readFileSync(join(ROOT, 'docs', 'tasks.md'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('| `gemstone task-stats'));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      const { stats, options } = statsOf(row.slice(3, row.indexOf('`', 3)));
      expect(markdownRow(stats, options)).toBe(row);
    }
    const shares = rows.map((r) => Number(r.split('|')[4].trim().replace('%', '')));
    expect(Math.min(...shares)).toBeLessThan(15);
    expect(Math.max(...shares)).toBeGreaterThanOrEqual(22);
  }, 60_000);

  it('docs/greedy-regression.md: every task-stats block', () => {
    const blocks = [
      ...readFileSync(join(ROOT, 'docs', 'greedy-regression.md'), 'utf8').matchAll(/```console\n([^`]*)```/g),
    ];
    expect(blocks.length).toBe(3);
    for (const [, block] of blocks) {
      const [command, ...printed] = block.trimEnd().split('\n');
      const { stats, options } = statsOf(command.replace(/^\$ /, ''));
      expect(reportLines(stats, options)).toEqual(printed);
    }
  }, 120_000);
});

describe('gemstone task-stats and --solver on the command line', () => {
  it('prints the regime of the traces (and --json its figures)', async () => {
    const human = await gemstone(['task-stats', '--solver', 'slipWhere=late', '--traces', '300']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/arithmetic · difficulty 1 · slipWhere=late \(solver seed 1\) · 300 traces/);
    expect(human.stdout).toMatch(/mined share: negatives' tokens in correct steps +\d+\.\d%/);
    const json = await gemstone(['task-stats', '--task', 'sorting', '--difficulty', '2', '--traces', '200', '--json']);
    expect(json.code).toBe(0);
    const done = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.event === 'done');
    const want = regimeStats(sorting, {}, { difficulty: 2, count: 200, seed: 1 });
    expect(done.summary.minedShare).toBeCloseTo(want.minedShare, 12);
    expect(done.summary.accuracy).toBeCloseTo(want.accuracy, 12);
  }, 60_000);

  it('refuses a bad --solver with the key, before any run folder (status 2)', async () => {
    const bad = await gemstone(['task-stats', '--solver', 'slipWhere=middle']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/slipWhere must be one of uniform, early, late/);
    const sft = await gemstone(['sft', '--task', 'sorting', '--solver', 'slipShape=symmetric', ...NO_RUN]);
    expect(sft.code).toBe(2);
    expect(sft.stderr).toMatch(/slipShape is not a knob of the sorting solver/);
    const data = await gemstone([
      'sft',
      '--data',
      'examples/arithmetic-sft.jsonl',
      '--solver',
      'slipRate=0.1',
      ...NO_RUN,
    ]);
    expect(data.code).toBe(2);
    expect(data.stderr).toMatch(/--solver sets the knobs of a task's noisy solver: give it with --task/);
  }, 60_000);

  it('refuses --solver with a π_ref that learned the default traces', async () => {
    const args = ['--solver', 'slipWhere=late', ...NO_RUN];
    const pipeline = await gemstone(['pipeline', ...args]);
    expect(pipeline.code).toBe(2);
    expect(pipeline.stderr).toMatch(/the bundled π_ref learned the traces of the solver's defaults.*--reference train/);
    const experiment = await gemstone(['experiment', ...args]);
    expect(experiment.code).toBe(2);
    expect(experiment.stderr).toMatch(/the bundled π_ref learned the traces of the solver's defaults/);
    // --difficulty: the experiment trains π_ref at it too, and refuses a π_ref that learned another.
    const harder = await gemstone(['experiment', '--difficulty', '2', ...NO_RUN]);
    expect(harder.code).toBe(2);
    expect(harder.stderr).toMatch(/--difficulty 2: the bundled π_ref learned problems of difficulty 1/);
  }, 60_000);

  it('refuses --difficulty with a π_ref that learned another one, and takes it where π_ref is trained', () => {
    const o = { reference: 'bundled', preset: 'small' };
    expect(() => checkReferenceRegime({ ...o, difficulty: 2 }, arithmetic)).toThrow(
      /--difficulty 2: the bundled π_ref learned problems of difficulty 1; give --reference train/,
    );
    expect(() => checkReferenceRegime({ ...o, difficulty: 1 }, arithmetic)).not.toThrow();
    expect(() => checkReferenceRegime({ ...o, reference: 'train', difficulty: 2 }, arithmetic)).not.toThrow();
  });

  it("π_ref's SFT records and options carry --solver through the pipeline's stages", () => {
    const records = taskRecords(arithmetic, 50, 1, 3, 'slipWhere=late,slipShape=reflected');
    const solver = arithmetic.solver({ slipWhere: 'late', slipShape: 'reflected', seed: 3 });
    expect(records.map((r) => r.completion)).toEqual(
      Array.from({ length: 50 }, (_, i) => solver.solve(arithmetic.generate(i, 1)).text),
    );
    expect(taskRecords(arithmetic, 50, 1, 3)).not.toEqual(records);
    const o = { ...PROFILES.software.pipeline, solver: 'slipWhere=late' };
    expect(referenceOptions(o, { difficulty: 2, seed: 1, evalPrompts: 0 })).toMatchObject({
      solver: 'slipWhere=late',
      difficulty: 2,
    });
    expect(referenceOptions(PROFILES.software.pipeline, { difficulty: 1, seed: 1, evalPrompts: 0 })).not.toHaveProperty(
      'solver',
    );
  });

  it('sft --task --solver records the knobs in the checkpoint and the summary', async () => {
    const out = mkdtempSync(join(tmpdir(), 'regime-sft-'));
    const sft = await gemstone([
      'sft',
      ...['--task', 'arithmetic', '--solver', 'slipWhere=late,catchRate=0.8', '--difficulty', '0'],
      ...['--preset', 'tiny', '--records', '16', '--steps', '2', '--batch-size', '4', '--eval-prompts', '0'],
      ...['--samples', '0', '--profile', 'software', '--out', out, '--json'],
    ]);
    expect(sft.code).toBe(0);
    const path = join(out, 'checkpoint.safetensors');
    const extra = decodeCheckpoint(new Uint8Array(readFileSync(path)), path).extra as Record<string, unknown>;
    expect(extra.solver).toEqual({ slipWhere: 'late', catchRate: 0.8 });
    expect(extra.difficulty).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).solver).toEqual(extra.solver);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).options.solver).toBe(
      'slipWhere=late,catchRate=0.8',
    );
    const o = { reference: out, preset: 'tiny' };
    expect(() =>
      checkReferenceRegime({ ...o, solver: 'catchRate=0.8,slipWhere=late', difficulty: 0 }, arithmetic),
    ).not.toThrow();
    expect(() => checkReferenceRegime({ ...o, solver: 'slipWhere=late' }, arithmetic)).toThrow(
      /learned the traces of catchRate=0\.8,slipWhere=late, not these/,
    );
  }, 120_000);

  it('pipeline --reference train --solver --difficulty trains π_ref on those traces and records them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'regime-pipeline-'));
    const run = await gemstone([
      'pipeline',
      ...['--reference', 'train', '--solver', 'slipShape=symmetric,slipWhere=early', '--difficulty', '0'],
      ...['--preset', 'tiny', '--records', '32', '--sft-steps', '4', '--prompts', '4', '--group', '2'],
      ...['--judges', 'rule', '--epochs', '1', '--eval-prompts', '4', '--eval-samples', '0', '--keep-all'],
      ...['--workers', '1', '--profile', 'software', '--out', out, '--json'],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const path = join(out, 'reference', 'checkpoint.safetensors');
    const extra = decodeCheckpoint(new Uint8Array(readFileSync(path)), path).extra as Record<string, unknown>;
    expect(extra.solver).toEqual({ slipShape: 'symmetric', slipWhere: 'early' });
    expect(extra.difficulty).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.solver).toEqual(extra.solver);
  }, 300_000);

  it('takes --solver where π_ref is trained, or learned the same traces', () => {
    const o = { reference: 'bundled', preset: 'small' };
    expect(() => checkReferenceRegime({ ...o, solver: 'slipWhere=late' }, arithmetic)).toThrow(/--reference train/);
    expect(() =>
      checkReferenceRegime({ ...o, solver: 'slipShape=clamped,slipWhere=uniform' }, arithmetic),
    ).not.toThrow();
    expect(() => checkReferenceRegime({ ...o, solver: 'slipWhere=late', preset: 'tiny' }, arithmetic)).not.toThrow();
    expect(() => checkReferenceRegime({ ...o, solver: 'slipWhere=late' }, sorting)).not.toThrow();
    expect(() =>
      checkReferenceRegime({ ...o, reference: 'train', solver: 'slipWhere=late' }, arithmetic),
    ).not.toThrow();
    expect(() => checkReferenceRegime({ ...o, reference: 'train', solver: 'slipRate=2' }, arithmetic)).toThrow(
      /slipRate must be a probability/,
    );
  });
});
