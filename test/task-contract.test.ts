// The task contract: loadTask finds a task by name or by path, and checkTask
// refuses a task that breaks a rule, naming the rule (one test per rule, each
// on the example task with one part broken).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { arithmetic } from '../src/tasks/arithmetic.ts';
import { CONTRACT_RULES, type ContractRule, checkTask, TaskContractError } from '../src/tasks/check.ts';
import { getTask, TASK_NAMES } from '../src/tasks/index.ts';
import { lineSteps } from '../src/tasks/lines.ts';
import { loadTask } from '../src/tasks/load.ts';
import { sorting } from '../src/tasks/sorting/index.ts';
import { HELD_OUT_SEED_BASE, type Problem, problemId, type SolverOptions, type Task } from '../src/tasks/task.ts';

const EXAMPLE = './examples/tasks/my-task.ts';
const ROOT = new URL('..', import.meta.url).pathname;
let example: Task;
beforeAll(async () => {
  example = await loadTask(EXAMPLE, { base: ROOT });
});

/** The example task with some members replaced. */
const broken = (parts: Partial<Record<keyof Task, unknown>>): Task => ({ ...example, ...parts }) as Task;

/** Expects checkTask to refuse the task on exactly this rule. */
function expectBreaks(task: Task, rule: ContractRule, message?: RegExp): void {
  let error: unknown;
  try {
    checkTask(task, { seeds: 32 });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TaskContractError);
  expect((error as TaskContractError).rule).toBe(rule);
  expect((error as Error).message).toContain(`rule ${rule}:`);
  if (message) expect((error as Error).message).toMatch(message);
}

describe('loadTask', () => {
  it('gives a built-in task by name, and the example task by relative or absolute path', async () => {
    expect(TASK_NAMES).toEqual(['arithmetic', 'sorting']);
    expect(await loadTask('arithmetic')).toBe(arithmetic);
    expect(await loadTask('sorting')).toBe(getTask('sorting'));
    expect(example.name).toBe('reverse');
    expect(await loadTask(join(ROOT, EXAMPLE))).toBe(example);
  });

  it('refuses an unknown name, a missing module, and a module with no task or a built-in name', async () => {
    await expect(loadTask('chess')).rejects.toThrow(
      /Unknown task "chess"; the tasks are: arithmetic, sorting, or the path/,
    );
    await expect(loadTask('./nowhere/task.ts', { base: ROOT })).rejects.toThrow(
      /Cannot load the task module .*nowhere/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'gemstone-task-'));
    writeFileSync(join(dir, 'none.mjs'), 'export const answer = 42;\n');
    await expect(loadTask('./none.mjs', { base: dir })).rejects.toThrow(/must export one task .* it exports none/);
    writeFileSync(join(dir, 'half.mjs'), "export default { name: 'half', generate() {} };\n");
    await expect(loadTask('./half.mjs', { base: dir })).rejects.toThrow(
      /exports a default that is not a task: .*rule shape: .*verify must be a method/,
    );
    const stub = (name: string) =>
      `const f = () => null;\nexport const task = { name: '${name}', description: '', defaultDifficulty: 0, ` +
      `alphabet: '', generate: f, verify: f, extractAnswer: f, oracle: f, naturalSteps: f, solver: f };\n`;
    writeFileSync(join(dir, 'clash.mjs'), stub('arithmetic'));
    await expect(loadTask('./clash.mjs', { base: dir })).rejects.toThrow(/named "arithmetic", the name of a built-in/);
    writeFileSync(join(dir, 'named.mjs'), stub('stub'));
    expect((await loadTask(join(dir, 'named.mjs'))).name).toBe('stub');
    // With check, the contract is held before the task is handed out.
    await expect(loadTask(join(dir, 'named.mjs'), { check: true })).rejects.toThrow(
      /Task "stub" breaks the task contract, rule problem-json: generate\(0\) gave null, not a problem/,
    );
    expect(await loadTask(EXAMPLE, { base: ROOT, check: { seeds: 16 } })).toBe(example);
  });
});

describe('checkTask: the built-in tasks and the example keep the contract', () => {
  for (const name of ['arithmetic', 'sorting', 'example'] as const) {
    it(name, () => {
      const task = name === 'example' ? example : getTask(name);
      const report = checkTask(task, { seeds: 128 });
      expect(report.rules).toEqual(CONTRACT_RULES.filter((r) => r !== 'rule-judge' || task.ruleFindings !== undefined));
      expect(report.rejected).toBe(report.statedWrong);
      expect(report.rejected).toBeGreaterThan(0.2);
      expect(report.rejected).toBeLessThan(0.8);
    });
  }
  it('checks other difficulties too', () => {
    for (const difficulty of [0, 2]) {
      expect(checkTask(sorting, { seeds: 32, difficulty }).difficulty).toBe(difficulty);
      expect(checkTask(example, { seeds: 32, difficulty }).difficulty).toBe(difficulty);
    }
  });
});

describe('checkTask: one broken rule each, refused with its name', () => {
  it('shape: a missing method, a bad name, segmenter markers that cannot match', () => {
    expectBreaks(broken({ solver: undefined }), 'shape', /solver must be a method/);
    expectBreaks(broken({ name: 'My Task' }), 'shape', /name must be lower-case/);
    expectBreaks(broken({ stepMarkers: [String.raw`take\b`] }), 'shape', /must start with a capital letter/);
    expectBreaks(broken({ stepMarkers: ['Take('] }), 'shape', /is not a regular expression/);
  });

  it('deterministic-generator: a generator that is not deterministic for a seed', () => {
    let calls = 0;
    expectBreaks(
      broken({ generate: (seed: number, d: number) => ({ ...example.generate(seed, d), prompt: `x${calls++}` }) }),
      'deterministic-generator',
      /generate\(0, 1\) gave two different problems/,
    );
  });

  it('problem-id: an id runs cannot regenerate the problem from', () => {
    expectBreaks(
      broken({ generate: (seed: number, d: number) => ({ ...example.generate(seed, d), id: `rev-${seed}` }) }),
      'problem-id',
      /seed 0 gave the id "rev-0", not "reverse-d1-0"/,
    );
  });

  it('problem-json: data that a JSON round trip changes', () => {
    expectBreaks(
      broken({
        generate: (seed: number, d: number) => {
          const p = example.generate(seed, d);
          return { ...p, data: { ...(p.data as object), made: new Date(0) } };
        },
      }),
      'problem-json',
    );
  });

  it('held-out-split: held-out seeds that give training prompts', () => {
    expectBreaks(
      broken({
        generate: (seed: number, d: number) => ({
          ...example.generate(seed % HELD_OUT_SEED_BASE, d),
          id: problemId('reverse', d, seed),
        }),
      }),
      'held-out-split',
      /seed 1000000000 is a held-out seed but its prompt/,
    );
  });

  it('alphabet: answers the alphabet cannot write', () => {
    expectBreaks(broken({ alphabet: 'abc: \n' }), 'alphabet', /which the alphabet lacks/);
  });

  it('deterministic-solver: a solver that is not deterministic for its seed', () => {
    let calls = 0;
    expectBreaks(
      broken({ solver: (o: Partial<SolverOptions> = {}) => example.solver({ ...o, seed: calls++ }) }),
      'deterministic-solver',
    );
  });

  it('solver-knobs: a solver that ignores the slip rate it is given, or slips at another than it states', () => {
    expectBreaks(
      broken({ solver: (o: Partial<SolverOptions> = {}) => example.solver({ ...o, slipRate: 0.2 }) }),
      'solver-knobs',
      /slipRate: 0.123/,
    );
    expectBreaks(
      broken({
        solver: (o: Partial<SolverOptions> = {}) => {
          const real = example.solver({ ...o, slipRate: 0.6 });
          return { options: example.solver(o).options, solve: (p: Problem) => real.solve(p) };
        },
      }),
      'solver-knobs',
      /the solver's step lines slip at \d+\.\d% \(\d+ lines\), its slip rate is 20.0%/,
    );
  });

  it('natural-steps: a natural segmentation that leaves part of the response out', () => {
    expectBreaks(broken({ naturalSteps: (r: string) => lineSteps(r).slice(1) }), 'natural-steps');
  });

  it('oracle-count: an oracle that returns the wrong number of labels', () => {
    expectBreaks(
      broken({ oracle: (p: Problem, r: string, s: []) => example.oracle(p, r, s).slice(1) }),
      'oracle-count',
      /the oracle gave \d+ labels for \d+ steps/,
    );
  });

  it('clean-traces: an oracle that finds errors in a trace with none', () => {
    expectBreaks(
      broken({ oracle: (_p: Problem, _r: string, s: []) => s.map(() => ({ score: 0, reason: 'own-error' })) }),
      'clean-traces',
      /labels step 0 of the slip-free trace/,
    );
  });

  it('verifier-rate: a verifier that rejects traces at the wrong rate, and a solver that never ends wrong', () => {
    expectBreaks(
      broken({ verify: (p: Problem, r: string) => example.verify(p, r) && !r.includes('Check') }),
      'verifier-rate',
      /the verifier rejects \d+\.\d% of the solver's traces, the solver says \d+\.\d% end wrong \(slip rate 0.2\)/,
    );
    expectBreaks(
      broken({
        solver: (o: Partial<SolverOptions> = {}) => {
          // It slips at its rate but catches every slip, so no trace ends wrong.
          const stated = example.solver(o);
          const catcher = example.solver({ ...o, checkRate: 1, catchRate: 1, maxChars: Infinity });
          return { options: stated.options, solve: (p: Problem) => catcher.solve(p) };
        },
      }),
      'verifier-rate',
      /needs traces that end right and traces that end wrong/,
    );
  });

  it('oracle-truth: an oracle that ignores Error Propagation', () => {
    expectBreaks(
      broken({
        oracle: (p: Problem, r: string, s: []) =>
          example.oracle(p, r, s).map((l) => (l.reason === 'propagation' ? { score: 1, reason: 'correct' } : l)),
      }),
      'oracle-truth',
      /agrees with the solver's ground truth on \d+\.\d% of \d+ lines/,
    );
  });

  it('rule-judge: a rule judge that calls right work wrong', () => {
    expectBreaks(
      broken({
        ruleFindings: (r: string, ref: { prompt: string; answer: string }) =>
          example.ruleFindings!(r, ref).map((f) => ({ ...f, score: 0, reason: 'own-error' })),
      }),
      'rule-judge',
      /on the slip-free trace of reverse-d1-0 the rule judge finds/,
    );
  });
});
