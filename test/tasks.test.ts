// The built-in arithmetic task: generation, the verifier, the oracle on
// hand-written traces, and the noisy solver that writes π_ref's SFT data.
import { describe, expect, it } from 'vitest';
import {
  applyOp,
  arithmetic,
  DEFAULT_DIFFICULTY,
  difficultySpec,
  formatCheck,
  formatCorrection,
  isHeldOutPrompt,
  type ArithmeticData,
} from '../src/tasks/arithmetic.ts';
import { getTask, TASK_NAMES } from '../src/tasks/index.ts';
import { cleanTrace, NoisySolver, sftRecords, traceStats } from '../src/tasks/noisy-solver.ts';
import { Random } from '../src/util/random.ts';
import { HELD_OUT_SEED_BASE, type Problem, type StepLabel, type StepSpan } from '../src/tasks/task.ts';
import { handProblem, lines } from './util/problems.ts';

const P = handProblem();
/** The oracle's labels on the natural (one line a step) segmentation, as "score reason". */
function natural(problem: Problem, response: string): string[] {
  return arithmetic.oracle(problem, response, arithmetic.naturalSteps(response)).map(show);
}
const show = (l: StepLabel) => `${l.score} ${l.reason}`;
/** Spans that merge whole lines: groups = how many lines each step takes. */
function mergedLines(response: string, groups: number[]): StepSpan[] {
  const lineSpans = arithmetic.naturalSteps(response);
  const out: StepSpan[] = [];
  let i = 0;
  for (const g of groups) {
    out.push({ start: lineSpans[i].start, end: lineSpans[i + g - 1].end });
    i += g;
  }
  expect(i).toBe(lineSpans.length);
  return out;
}

describe('arithmetic: generation', () => {
  it('is seeded: the same (seed, difficulty) gives the same problem, others differ', () => {
    expect(arithmetic.generate(42, 1)).toEqual(arithmetic.generate(42, 1));
    expect(arithmetic.generate(42, 1).prompt).not.toBe(arithmetic.generate(43, 1).prompt);
    expect(arithmetic.generate(42, 1).prompt).not.toBe(arithmetic.generate(42, 2).prompt);
    expect(arithmetic.generate(42, 1).id).toBe('arithmetic-d1-42');
  });

  it('follows the difficulty mapping and keeps true values in range', () => {
    for (const d of [0, 1, 2, 3, 5]) {
      const spec = difficultySpec(d);
      expect(spec.chainLength).toBe(2 + d);
      expect(spec.maxOperand).toBe(10 * (d + 1));
      for (let seed = 0; seed < 300; seed++) {
        const p = arithmetic.generate(seed, d);
        const data = p.data as ArithmeticData;
        expect(data.ops).toHaveLength(spec.chainLength);
        expect(data.start).toBeGreaterThanOrEqual(1);
        expect(data.start).toBeLessThanOrEqual(spec.maxOperand);
        for (const v of data.values) expect(v >= 0 && v <= spec.maxValue).toBe(true);
        for (const o of data.ops) {
          if (o.op === '+' || o.op === '-') expect(o.operand).toBeLessThanOrEqual(spec.maxOperand);
          if (o.op === '*') expect(o.operand >= 2 && o.operand <= spec.maxMultiplier).toBe(true);
          if (o.op === '/' || o.op === '%') expect(o.operand >= 2 && o.operand <= spec.maxDivisor).toBe(true);
        }
        expect(p.answer).toBe(String(data.values[data.values.length - 1]));
        expect(arithmetic.verify(p, cleanTrace(p))).toBe(true);
        expect(natural(p, cleanTrace(p)).every((l) => l.startsWith('1 '))).toBe(true);
      }
    }
    expect(() => arithmetic.generate(1, -1)).toThrow(/difficulty/);
    expect(() => arithmetic.generate(1.5, 1)).toThrow(/seed/);
  });

  it('uses every operation at the default difficulty', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++)
      for (const o of (arithmetic.generate(seed, DEFAULT_DIFFICULTY).data as ArithmeticData).ops) seen.add(o.op);
    expect([...seen].sort()).toEqual(['%', '*', '+', '-', '/']);
  });

  it('floors division and gives mod the sign of the divisor', () => {
    expect(applyOp(-7n, '/', 2n)).toBe(-4n);
    expect(applyOp(-7n, '%', 2n)).toBe(1n);
    expect(applyOp(7n, '/', 2n)).toBe(3n);
    expect(applyOp(7n, '%', 2n)).toBe(1n);
    expect(applyOp(-6n, '/', 3n)).toBe(-2n);
    expect(applyOp(-6n, '%', 3n)).toBe(0n);
    expect(applyOp(5n, '/', 0n)).toBeNull();
    const neg = handProblem(3, [
      { op: '-', operand: 4 },
      { op: '/', operand: 2 },
      { op: '%', operand: 3 },
    ]);
    expect((neg.data as ArithmeticData).values).toEqual([3, -1, -1, 2]);
    expect(natural(neg, lines('Step 1: 3-4=-1', 'Step 2: -1/2=-1', 'Step 3: -1%3=2', 'Answer: 2'))).toEqual([
      '1 correct',
      '1 correct',
      '1 correct',
      '1 final-correct',
    ]);
    expect(natural(neg, lines('Step 1: 3-4=-1', 'Step 2: -1/2=0', 'Step 3: 0%3=0', 'Answer: 0'))).toEqual([
      '1 correct',
      '0 own-error',
      '0 propagation',
      '0 final-wrong',
    ]);
  });

  it('keeps held-out prompts apart from training prompts', () => {
    const training = new Set<string>();
    for (let seed = 0; seed < 5000; seed++) {
      const p = arithmetic.generate(seed, DEFAULT_DIFFICULTY).prompt;
      expect(isHeldOutPrompt(p)).toBe(false);
      training.add(p);
    }
    for (let i = 0; i < 2000; i++) {
      const p = arithmetic.generate(HELD_OUT_SEED_BASE + i, DEFAULT_DIFFICULTY).prompt;
      expect(isHeldOutPrompt(p)).toBe(true);
      expect(training.has(p)).toBe(false);
    }
    // Even at difficulty 0, where a few thousand prompts exist and training seeds repeat them.
    const small = new Set<string>();
    for (let seed = 0; seed < 5000; seed++) small.add(arithmetic.generate(seed, 0).prompt);
    for (let i = 0; i < 500; i++) expect(small.has(arithmetic.generate(HELD_OUT_SEED_BASE + i, 0).prompt)).toBe(false);
  });

  it('is registered as "arithmetic"', () => {
    expect(getTask('arithmetic')).toBe(arithmetic);
    expect(TASK_NAMES).toContain('arithmetic');
    expect(() => getTask('chess')).toThrow(/Unknown task "chess"; the tasks are: arithmetic/);
  });
});

describe('arithmetic: verifier and answer extraction', () => {
  it('reads the last Answer line, null when there is none', () => {
    expect(arithmetic.extractAnswer('Step 1: 7+5=12\nAnswer: 12')).toBe('12');
    expect(arithmetic.extractAnswer('Answer: 3\nStep 1: 7+5=12\nAnswer: 12\n')).toBe('12');
    expect(arithmetic.extractAnswer('Answer: -04')).toBe('-4');
    expect(arithmetic.extractAnswer('Step 1: 7+5=12')).toBeNull();
    expect(arithmetic.extractAnswer('')).toBeNull();
    expect(arithmetic.extractAnswer('The Answer: 12 is it')).toBeNull();
  });

  it('accepts the reference answer only', () => {
    expect(arithmetic.verify(P, lines('Step 1: 7+5=12', 'Answer: 2'))).toBe(true);
    expect(arithmetic.verify(P, 'Answer: 02')).toBe(true);
    expect(arithmetic.verify(P, 'Answer: 3')).toBe(false);
    expect(arithmetic.verify(P, 'Answer: 2\nAnswer: 3')).toBe(false);
    expect(arithmetic.verify(P, 'Step 4: 32%6=2')).toBe(false);
  });
});

describe('arithmetic: the oracle on hand-written traces', () => {
  const clean = lines('Step 1: 7+5=12', 'Step 2: 12*3=36', 'Step 3: 36-4=32', 'Step 4: 32%6=2', 'Answer: 2');

  it('labels a clean trace right', () => {
    expect(natural(P, clean)).toEqual(['1 correct', '1 correct', '1 correct', '1 correct', '1 final-correct']);
  });

  it('a slip followed by propagation: own-error, then propagation, then final-wrong', () => {
    const r = lines('Step 1: 7+5=12', 'Step 2: 12*3=38', 'Step 3: 38-4=34', 'Step 4: 34%6=4', 'Answer: 4');
    expect(natural(P, r)).toEqual(['1 correct', '0 own-error', '0 propagation', '0 propagation', '0 final-wrong']);
    expect(arithmetic.verify(P, r)).toBe(false);
  });

  it('a slip caught and corrected: the correction terminates the error, later steps are right', () => {
    const r = lines(
      'Step 1: 7+5=12',
      'Step 2: 12*3=38',
      'Check: 12*3=36, not 38',
      'Step 3: 36-4=32',
      'Step 4: 32%6=2',
      'Answer: 2',
    );
    expect(natural(P, r)).toEqual([
      '1 correct',
      '0 own-error',
      '1 termination',
      '1 correct',
      '1 correct',
      '1 final-correct',
    ]);
    expect(arithmetic.verify(P, r)).toBe(true);
    // The longer wording reads the same.
    const long = r.replace('Check: 12*3=36, not 38', 'Wait, let me check: 12*3=38 is wrong, it is 36.');
    expect(natural(P, long)).toEqual(natural(P, r));
  });

  it('a check of a right step is right (check)', () => {
    const r = lines(
      'Step 1: 7+5=12',
      'Check: 7+5=12 ok',
      'Step 2: 12*3=36',
      'Wait, let me check: 12*3=36. Correct.',
      'Step 3: 36-4=32',
      'Step 4: 32%6=2',
      'Answer: 2',
    );
    expect(natural(P, r)).toEqual([
      '1 correct',
      '1 check',
      '1 correct',
      '1 check',
      '1 correct',
      '1 correct',
      '1 final-correct',
    ]);
  });

  it('a wrong final answer after right steps is final-wrong, the steps stay right', () => {
    const r = clean.replace('Answer: 2', 'Answer: 3');
    expect(natural(P, r)).toEqual(['1 correct', '1 correct', '1 correct', '1 correct', '0 final-wrong']);
    expect(arithmetic.verify(P, r)).toBe(false);
  });

  it('a check that "confirms" a slip is a false claim; a check of a propagated step is propagation', () => {
    const r = lines(
      'Step 1: 7+5=13',
      'Check: 7+5=13 ok',
      'Step 2: 13*3=39',
      'Check: 13*3=39 ok',
      'Step 3: 39-4=35',
      'Step 4: 35%6=5',
      'Answer: 5',
    );
    expect(natural(P, r)).toEqual([
      '0 own-error',
      '0 own-error',
      '0 propagation',
      '0 propagation',
      '0 propagation',
      '0 propagation',
      '0 final-wrong',
    ]);
  });

  it('a correction on a wrong path stays propagation; a "correction" that breaks a right value is own-error', () => {
    const r = lines(
      'Step 1: 7+5=13',
      'Step 2: 13*3=40',
      'Check: 13*3=39, not 40',
      'Step 3: 39-4=35',
      'Step 4: 35%6=5',
      'Answer: 5',
    );
    expect(natural(P, r)).toEqual([
      '0 own-error',
      '0 own-error',
      '0 propagation',
      '0 propagation',
      '0 propagation',
      '0 final-wrong',
    ]);
    const broke = lines('Step 1: 7+5=12', 'Check: 7+6=13, not 12', 'Step 2: 13*3=39');
    expect(natural(P, broke)).toEqual(['1 correct', '0 own-error', '0 propagation']);
    const falseFix = lines('Step 1: 7+5=12', 'Check: 7+5=11, not 12');
    expect(natural(P, falseFix)).toEqual(['1 correct', '0 own-error']);
  });

  it('a misread operation, a copy error, a wrong step number and an extra step are own errors', () => {
    expect(natural(P, lines('Step 1: 7+5=12', 'Step 2: 12*4=48', 'Step 3: 48-4=44'))).toEqual([
      '1 correct',
      '0 own-error',
      '0 propagation',
    ]);
    expect(natural(P, lines('Step 1: 7+5=12', 'Step 2: 21*3=63'))).toEqual(['1 correct', '0 own-error']);
    expect(natural(P, lines('Step 1: 7+5=12', 'Step 3: 12*3=36'))).toEqual(['1 correct', '0 own-error']);
    expect(natural(P, clean.replace('Answer: 2', 'Step 5: 2+1=3\nAnswer: 2'))).toEqual([
      '1 correct',
      '1 correct',
      '1 correct',
      '1 correct',
      '0 own-error',
      '1 final-correct',
    ]);
  });

  it('a step that silently goes on from the true value terminates the error', () => {
    const r = lines('Step 1: 7+5=12', 'Step 2: 12*3=38', 'Step 3: 36-4=32', 'Step 4: 32%6=2', 'Answer: 2');
    expect(natural(P, r)).toEqual(['1 correct', '0 own-error', '1 termination', '1 correct', '1 final-correct']);
  });

  it('unparseable lines are own errors and change nothing else', () => {
    const r = lines(
      'Step 1: 7+5=12',
      'hmm, so twelve',
      'Step 2: 12*3=36',
      '',
      'Step 3: 36-4=32',
      'Step 4: 32%6=2',
      'Answer: 2',
    );
    expect(natural(P, r)).toEqual([
      '1 correct',
      '0 own-error',
      '1 correct',
      '0 own-error',
      '1 correct',
      '1 correct',
      '1 final-correct',
    ]);
    expect(natural(P, 'Step one: 7+5=12')).toEqual(['0 own-error']);
    expect(natural(P, 'Check: looks fine')).toEqual(['0 own-error']);
  });

  it('merged multi-line steps: wrong if any line is wrong, else by the rules', () => {
    const propagated = lines('Step 1: 7+5=12', 'Step 2: 12*3=38', 'Step 3: 38-4=34', 'Step 4: 34%6=4', 'Answer: 4');
    const label = (r: string, groups: number[]) => arithmetic.oracle(P, r, mergedLines(r, groups)).map(show);
    expect(label(propagated, [2, 2, 1])).toEqual(['0 own-error', '0 propagation', '0 final-wrong']);
    expect(label(propagated, [1, 3, 1])).toEqual(['1 correct', '0 own-error', '0 final-wrong']);
    expect(label(propagated, [1, 1, 1, 2])).toEqual(['1 correct', '0 own-error', '0 propagation', '0 final-wrong']);
    expect(label(propagated, [5])).toEqual(['0 own-error']);

    const caught = lines(
      'Step 1: 7+5=12',
      'Step 2: 12*3=38',
      'Check: 12*3=36, not 38',
      'Step 3: 36-4=32',
      'Step 4: 32%6=2',
      'Answer: 2',
    );
    expect(label(caught, [1, 2, 3])).toEqual(['1 correct', '0 own-error', '1 final-correct']);
    expect(label(caught, [2, 2, 2])).toEqual(['0 own-error', '1 termination', '1 final-correct']);
    expect(label(caught, [1, 1, 2, 1, 1])).toEqual([
      '1 correct',
      '0 own-error',
      '1 termination',
      '1 correct',
      '1 final-correct',
    ]);

    const checked = lines(
      'Step 1: 7+5=12',
      'Check: 7+5=12 ok',
      'Step 2: 12*3=36',
      'Step 3: 36-4=32',
      'Step 4: 32%6=2',
      'Answer: 2',
    );
    expect(label(checked, [2, 3, 1])).toEqual(['1 correct', '1 correct', '1 final-correct']);
    expect(label(checked, [1, 1, 4])).toEqual(['1 correct', '1 check', '1 final-correct']);
  });

  it('steps that cut lines: each part carries its line label; whitespace-only steps are own-error', () => {
    const r = lines('Step 1: 7+5=12', 'Step 2: 12*3=38', 'Answer: 38');
    const cut = r.indexOf('12*3');
    const nl = r.indexOf('\n');
    const steps = [
      { start: 0, end: nl },
      { start: nl, end: nl + 1 },
      { start: nl + 1, end: cut },
      { start: cut, end: r.length },
    ];
    expect(arithmetic.oracle(P, r, steps).map(show)).toEqual([
      '1 correct',
      '0 own-error',
      '0 own-error',
      '0 own-error',
    ]);
  });

  it('refuses steps that do not cover the response exactly once', () => {
    const r = 'Step 1: 7+5=12\nAnswer: 12';
    expect(() => arithmetic.oracle(P, r, [{ start: 0, end: 10 }])).toThrow(/cover the response exactly once/);
    expect(() =>
      arithmetic.oracle(P, r, [
        { start: 0, end: 10 },
        { start: 11, end: r.length },
      ]),
    ).toThrow(/cover/);
    expect(() =>
      arithmetic.oracle(P, r, [
        { start: 0, end: 20 },
        { start: 10, end: r.length },
      ]),
    ).toThrow(/cover/);
    expect(arithmetic.oracle(P, '', [])).toEqual([]);
  });
});

describe('arithmetic: naturalSteps', () => {
  it('one span per line, each with its newline, covering the response exactly once', () => {
    const cases = [
      '',
      'Answer: 2',
      'Step 1: 7+5=12\nAnswer: 12',
      'Step 1: 7+5=12\nAnswer: 12\n',
      '\n\nx\n',
      'a\r\nb',
      '\n',
    ];
    for (let seed = 0; seed < 50; seed++)
      cases.push(new NoisySolver({ seed }).solve(arithmetic.generate(seed, 1)).text);
    for (const r of cases) {
      const spans = arithmetic.naturalSteps(r);
      let at = 0;
      for (const [i, s] of spans.entries()) {
        expect(s.start).toBe(at);
        expect(s.end).toBeGreaterThan(s.start);
        const text = r.slice(s.start, s.end);
        expect(text.slice(0, -1)).not.toContain('\n');
        if (i < spans.length - 1) expect(text.endsWith('\n')).toBe(true);
        at = s.end;
      }
      expect(at).toBe(r.length);
      expect(spans.map((s) => r.slice(s.start, s.end)).join('')).toBe(r);
      expect(spans).toHaveLength(r === '' ? 0 : r.split('\n').length - (r.endsWith('\n') ? 1 : 0));
    }
  });
});

describe('noisy solver', () => {
  const COUNT = 2000;

  it('is deterministic per (solver seed, problem)', () => {
    const p = arithmetic.generate(5, 1);
    expect(new NoisySolver({ seed: 3 }).solve(p)).toEqual(new NoisySolver({ seed: 3 }).solve(p));
    const differs = Array.from({ length: 50 }, (_, i) => arithmetic.generate(i, 1)).some(
      (q) => new NoisySolver({ seed: 3 }).solve(q).text !== new NoisySolver({ seed: 4 }).solve(q).text,
    );
    expect(differs).toBe(true);
  });

  it('its ground truth agrees with the oracle, line by line, and with the verifier', () => {
    for (const options of [{}, { slipRate: 0.6, checkRate: 0.7, falseConfirmRate: 0.5, seed: 9 }]) {
      const solver = new NoisySolver(options);
      for (let seed = 0; seed < COUNT; seed++) {
        const p = arithmetic.generate(seed, seed % 3);
        const trace = solver.solve(p);
        expect(natural(p, trace.text)).toEqual(trace.lines.map((l) => show(l.label)));
        expect(arithmetic.verify(p, trace.text)).toBe(trace.correct);
        expect(arithmetic.extractAnswer(trace.text)).toBe(trace.answer);
      }
    }
  });

  it('on random merged and cut steps, a step is wrong exactly when a line it touches is wrong', () => {
    const rng = new Random(11);
    const solver = new NoisySolver({ seed: 1 });
    for (let seed = 0; seed < 300; seed++) {
      const p = arithmetic.generate(seed, 1);
      const trace = solver.solve(p);
      const r = trace.text;
      const cuts = new Set<number>();
      for (let i = 0; i < 6; i++) cuts.add(1 + Math.floor(rng.next() * (r.length - 1)));
      const points = [0, ...[...cuts].sort((a, b) => a - b), r.length];
      const steps = points.slice(1).map((end, i) => ({ start: points[i], end }));
      const labels = arithmetic.oracle(p, r, steps);
      const lineSpans = arithmetic.naturalSteps(r);
      steps.forEach((s, i) => {
        // A step touches a line when it overlaps the line's text without its surrounding whitespace.
        const touched = lineSpans
          .map((l, j) => {
            const text = r.slice(l.start, l.end);
            const from = l.start + (text.length - text.trimStart().length);
            const to = l.start + text.trimEnd().length;
            return { j, overlaps: Math.max(s.start, from) < Math.min(s.end, to) };
          })
          .filter((x) => x.overlaps);
        if (touched.length === 0) expect(labels[i]).toEqual({ score: 0, reason: 'own-error' });
        else expect(labels[i].score).toBe(Math.min(...touched.map((x) => trace.lines[x.j].label.score)));
      });
    }
  });

  it('writes clean traces with no slips, and uncaught slips end wrong', () => {
    const none = new NoisySolver({ slipRate: 0 });
    const all = new NoisySolver({ slipRate: 1, checkRate: 0 });
    let wrong = 0;
    for (let seed = 0; seed < 200; seed++) {
      const p = arithmetic.generate(seed, 1);
      const t = none.solve(p);
      expect(t.correct).toBe(true);
      expect(t.lines.every((l) => l.label.score === 1)).toBe(true);
      if (!all.solve(p).correct) wrong++;
    }
    // A slip can be washed out by a later % or /, so not every trace ends wrong.
    expect(wrong / 200).toBeGreaterThan(0.8);
  });

  it('has the statistics the defaults promise (2000 seeds, default difficulty)', () => {
    const stats = traceStats(arithmetic, new NoisySolver(), {
      count: COUNT,
      seedStart: 0,
      difficulty: DEFAULT_DIFFICULTY,
    });
    // Measured: wrong 0.465, wrong with a right non-first line 0.427, mean 93.3, max 128.
    expect(stats.wrong).toBeGreaterThan(0.38);
    expect(stats.wrong).toBeLessThan(0.58);
    expect(stats.wrongWithRightNonFirst).toBeGreaterThan(1 / 3);
    expect(stats.wrongWithRightCheck).toBeGreaterThan(0.25);
    expect(stats.withCorrection).toBeGreaterThan(0.1);
    expect(stats.maxChars).toBeLessThanOrEqual(128);
    expect(stats.over).toBe(0);
    expect(stats.meanChars).toBeLessThan(100);
    expect(stats.redrawn).toBeLessThan(0.05);
  });

  it('the default difficulty fits 128 characters with a check and a correction, with room to spare', () => {
    let withCorrection = 0;
    let withBoth = 0;
    for (let seed = 0; seed < COUNT; seed++) {
      const p = arithmetic.generate(seed, DEFAULT_DIFFICULTY);
      const data = p.data as ArithmeticData;
      const clean = cleanTrace(p);
      // The longest check and the longest correction (of a slip by +2) this problem can have.
      const check = Math.max(
        ...data.ops.map((o, i) => formatCheck(data.values[i], o.op, o.operand, data.values[i + 1]).length + 1),
      );
      const correction = Math.max(
        ...data.ops.map(
          (o, i) =>
            formatCorrection(data.values[i], o.op, o.operand, data.values[i + 1], data.values[i + 1] + 2).length + 1,
        ),
      );
      withCorrection = Math.max(withCorrection, p.prompt.length + clean.length + correction);
      withBoth = Math.max(withBoth, p.prompt.length + clean.length + check + correction);
    }
    // Measured: 107 and 126 (clean traces alone: 69 to 83, median 73).
    expect(withCorrection).toBeLessThanOrEqual(112);
    expect(withBoth).toBeLessThanOrEqual(128);
  });
});

describe('sftRecords', () => {
  it('gives {prompt, completion} records from training seeds', () => {
    const solver = new NoisySolver();
    const records = sftRecords(arithmetic, solver, { count: 20, seedStart: 100, difficulty: 1 });
    expect(records).toHaveLength(20);
    expect(records).toEqual(sftRecords(arithmetic, solver, { count: 20, seedStart: 100, difficulty: 1 }));
    records.forEach((r, i) => {
      const p = arithmetic.generate(100 + i, 1);
      expect(r.prompt).toBe(p.prompt);
      expect(r.prompt.endsWith('\n')).toBe(true);
      expect(r.completion).toBe(solver.solve(p).text);
      expect(r.completion.startsWith('Step 1: ')).toBe(true);
    });
    expect(() =>
      sftRecords(arithmetic, solver, { count: 10, seedStart: HELD_OUT_SEED_BASE - 5, difficulty: 1 }),
    ).toThrow(/held-out/);
  });
});
