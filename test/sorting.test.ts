// The built-in task sorting: generation, the verifier, the oracle on
// hand-written traces, and the solver that writes π_ref's SFT data.
import { describe, expect, it } from 'vitest';
import { RuleJudge } from '../src/judge/rule-judge.ts';
import { defaultSegmenter } from '../src/segment/index.ts';
import { getTask } from '../src/tasks/index.ts';
import { insert, labelLines, type SortingData, sorting } from '../src/tasks/sorting/index.ts';
import { HELD_OUT_SEED_BASE, isHeldOutPrompt, type Problem } from '../src/tasks/task.ts';
import { traceStats } from '../src/tasks/traces.ts';

/** A problem written by hand: Sort 5 2 8 1 → 2 5, 2 5 8, 1 2 5 8. */
function handProblem(items = [5, 2, 8, 1]): Problem {
  const prefixes = [[items[0]]];
  for (let k = 1; k < items.length; k++) prefixes.push(insert(prefixes[k - 1], items[k]));
  const data: SortingData = { difficulty: 1, items, prefixes };
  return { id: 'hand', prompt: `Sort ${items.join(' ')}\n`, answer: prefixes.at(-1)!.join(' '), data };
}
const P = handProblem();
const lines = (...ls: string[]) => ls.join('\n');
const natural = (text: string) =>
  sorting.oracle(P, text, sorting.naturalSteps(text)).map((l) => `${l.score} ${l.reason}`);

describe('sorting: generation', () => {
  it('is registered, seeded, and follows the difficulty mapping', () => {
    expect(getTask('sorting')).toBe(sorting);
    expect(sorting.generate(7, 1)).toEqual(sorting.generate(7, 1));
    expect(sorting.generate(7, 1).prompt).not.toBe(sorting.generate(8, 1).prompt);
    for (const d of [0, 1, 2, 5]) {
      for (let seed = 0; seed < 50; seed++) {
        const p = sorting.generate(seed, d);
        const { items, prefixes } = p.data as SortingData;
        expect(items).toHaveLength(3 + d);
        for (const v of items) expect(v).toBeLessThanOrEqual(d <= 1 ? 9 : 99);
        expect(p.answer).toBe([...items].sort((a, b) => a - b).join(' '));
        expect(prefixes.at(-1)!.join(' ')).toBe(p.answer);
        expect(p.id).toBe(`sorting-d${d}-${seed}`);
        expect(isHeldOutPrompt(p.prompt)).toBe(false);
      }
    }
    expect(isHeldOutPrompt(sorting.generate(HELD_OUT_SEED_BASE + 3, 1).prompt)).toBe(true);
    expect(() => sorting.generate(0, 11)).toThrow(/difficulty must be an integer from 0 to 10/);
  });
});

describe('sorting: verifier and oracle on hand-written traces', () => {
  it('verifies the last answer line only', () => {
    expect(sorting.verify(P, lines('Insert 2: 2 5', 'Answer: 1 2 5 8'))).toBe(true);
    expect(sorting.verify(P, lines('Answer: 1 2 5 8', 'Answer: 1 2 8 5'))).toBe(false);
    expect(sorting.verify(P, 'the list is 1 2 5 8')).toBe(false);
    expect(sorting.extractAnswer('Answer:  1  2 5 8.')).toBe('1 2 5 8');
  });

  it('labels a clean trace correct', () => {
    expect(
      natural(lines('Insert 2: 2 5', 'Insert 8: 2 5 8', 'Check: 2 5 8 ok', 'Insert 1: 1 2 5 8', 'Answer: 1 2 5 8')),
    ).toEqual(['1 correct', '1 correct', '1 check', '1 correct', '1 final-correct']);
  });

  it('applies Error Propagation: right insertions into a wrong list are 0', () => {
    expect(
      natural(lines('Insert 2: 5 2', 'Insert 8: 5 2 8', 'Check: 5 2 8 ok', 'Insert 1: 1 5 2 8', 'Answer: 1 5 2 8')),
    ).toEqual(['0 own-error', '0 propagation', '0 propagation', '0 propagation', '0 final-wrong']);
  });

  it('applies Error Termination: a correction, or going on silently from the true list, is 1', () => {
    expect(natural(lines('Insert 2: 5 2', 'Check: 2 5, not 5 2', 'Insert 8: 2 5 8', 'Answer: 1 2 5 8'))).toEqual([
      '0 own-error',
      '1 termination',
      '1 correct',
      '1 final-correct',
    ]);
    expect(natural(lines('Insert 2: 5 2', 'Insert 8: 2 5 8', 'Insert 1: 1 2 5 8', 'Answer: 1 2 5 8'))).toEqual([
      '0 own-error',
      '1 termination',
      '1 correct',
      '1 final-correct',
    ]);
  });

  it('marks misreads, false confirmations, broken corrections and unreadable lines own-error', () => {
    // 3 is not the next number; the check states a list that is not the running one; then it goes on from the truth.
    expect(natural(lines('Insert 3: 3 5', 'Check: 2 5 ok', 'Insert 8: 2 5 8'))).toEqual([
      '0 own-error',
      '0 own-error',
      '1 termination',
    ]);
    expect(natural(lines('Insert 2: 5 2', 'Check: 5 2 ok'))).toEqual(['0 own-error', '0 own-error']);
    expect(natural(lines('Insert 2: 2 5', 'Check: 5 2, not 2 5'))).toEqual(['1 correct', '0 own-error']);
    expect(natural(lines('Check: 5 ok', 'Insert 2: 2 5', 'I think so', 'Insert 9: 2 5 9'))).toEqual([
      '0 own-error',
      '1 correct',
      '0 own-error',
      '0 own-error',
    ]);
  });

  it('labels merged lines by their worst line', () => {
    const text = lines('Insert 2: 5 2', 'Check: 2 5, not 5 2', 'Insert 8: 2 5 8', 'Answer: 1 2 5 8');
    const [a, b, c, d] = sorting.naturalSteps(text);
    expect(
      sorting
        .oracle(P, text, [
          { start: a.start, end: b.end },
          { start: c.start, end: d.end },
        ])
        .map((l) => l.score),
    ).toEqual([0, 1]);
    expect(() => sorting.oracle(P, text, [{ start: 0, end: 3 }])).toThrow(/cover the response exactly once/);
  });
});

describe('sorting: the solver', () => {
  it("writes π_ref's traces: both outcomes, checks and corrections, within 128 characters", () => {
    const stats = traceStats(sorting, sorting.solver(), { count: 2000, seedStart: 0, difficulty: 1 });
    expect(stats.wrong).toBeGreaterThan(0.3);
    expect(stats.wrong).toBeLessThan(0.6);
    expect(stats.wrongWithRightNonFirst).toBeGreaterThan(1 / 3);
    expect(stats.withCorrection).toBeGreaterThan(0.1);
    expect(stats.over).toBe(0);
  });

  it('its ground truth agrees with the oracle line by line, and with the verifier', () => {
    const solver = sorting.solver({
      seed: 5,
      slipRate: 0.5,
      checkRate: 0.8,
      falseConfirmRate: 0.5,
      maxChars: Infinity,
    });
    for (let seed = 0; seed < 500; seed++) {
      const p = sorting.generate(seed, seed % 4);
      const trace = solver.solve(p);
      const truth = labelLines(p.data as SortingData, trace.text).map((l) => l.label);
      expect(truth).toEqual(trace.lines.map((l) => l.label));
      expect(sorting.verify(p, trace.text)).toBe(trace.correct);
    }
  });

  it('the default segmenter gives its natural one-line-a-step segmentation', () => {
    const seg = defaultSegmenter(sorting);
    const solver = sorting.solver({ seed: 2 });
    for (let seed = 0; seed < 300; seed++) {
      const text = solver.solve(sorting.generate(seed, 1)).text;
      expect(seg.segment(text)).toEqual(sorting.naturalSteps(text));
    }
    const oneLine = 'Insert 2: 2 5. Insert 8: 2 5 8.';
    expect(defaultSegmenter('sorting').segment(oneLine)).toHaveLength(2);
  });

  it("its rule judge, blind to the prompt's order, agrees with the oracle on ≥ 99% of steps", async () => {
    const judge = new RuleJudge({ task: sorting });
    const solver = sorting.solver({ seed: 6, slipRate: 0.4, maxChars: Infinity });
    let agree = 0;
    let total = 0;
    let zeros = 0;
    for (let seed = 0; seed < 400; seed++) {
      const problem = sorting.generate(seed, seed % 3);
      const response = solver.solve(problem).text;
      const steps = sorting.naturalSteps(response);
      const truth = sorting.oracle(problem, response, steps).map((l) => l.score);
      const judged = (await judge.judge({ problem, response, steps })).map((v) => v.label);
      total += steps.length;
      agree += judged.filter((l, k) => l === truth[k]).length;
      zeros += judged.filter((l) => l === 0).length;
    }
    expect(agree / total).toBeGreaterThanOrEqual(0.99);
    expect(zeros).toBeGreaterThan(0);
    // A misread number passes the rule judge; the oracle catches it.
    const misread = lines('Insert 8: 5 8', 'Answer: 1 2 5 8');
    const steps = sorting.naturalSteps(misread);
    expect((await judge.judge({ problem: P, response: misread, steps })).map((v) => v.label)).toEqual([1, 1]);
    expect(sorting.oracle(P, misread, steps).map((l) => l.score)).toEqual([0, 1]);
  });
});
