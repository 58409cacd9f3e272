// Any task through the task-side stages: the example module loaded by path
// and the built-in sorting task — prompts, π_ref's traces, the task's
// tokenizer, segmentation, then the oracle, the rule judge and a simulated
// LLM judge (the task's oracle behind the simulated server) combined into
// consensus labels and β masks. The stages after annotation see only these
// records, whatever the task.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from '../src/data/tokenizer.ts';
import type { Rollout } from '../src/data/rollouts.ts';
import { agreementFromAnnotated, annotatedRolloutSchema, annotateRollout } from '../src/judge/annotate.ts';
import type { Judge } from '../src/judge/judge.ts';
import { LlmJudge } from '../src/judge/llm-judge.ts';
import { OracleJudge } from '../src/judge/oracle-judge.ts';
import { RuleJudge, ruleStepLabeller } from '../src/judge/rule-judge.ts';
import { SimulatedLlmServer } from '../src/judge/simulated-llm-server.ts';
import { joinSteps, oracleStepLabeller } from '../src/judge/step-labeller.ts';
import { defaultSegmenter } from '../src/segment/index.ts';
import { arithmetic } from '../src/tasks/arithmetic.ts';
import { checkTask } from '../src/tasks/check.ts';
import { loadTask } from '../src/tasks/load.ts';
import { sorting } from '../src/tasks/sorting/index.ts';
import type { Problem, Task } from '../src/tasks/task.ts';
import { taskTokenizer } from '../src/tasks/tokenizer.ts';
import { sftRecords } from '../src/tasks/traces.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const servers: SimulatedLlmServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A rollout of a response, as the rollout stage writes it (log-probabilities aside). */
function rollout(task: Task, tokenizer: CharTokenizer, problem: Problem, response: string, index: number): Rollout {
  const response_tokens = [...tokenizer.encode(response), tokenizer.eos];
  return {
    prompt_id: problem.id,
    prompt: problem.prompt,
    reference_answer: problem.answer,
    index,
    response,
    prompt_tokens: tokenizer.encode(problem.prompt),
    response_tokens,
    logprobs_ref: response_tokens.map(() => -1),
    logprobs_sample: response_tokens.map(() => -1),
    reward: task.verify(problem, response) ? 1 : 0,
    answer: task.extractAnswer(response),
  };
}

for (const specifier of ['./examples/tasks/my-task.ts', 'sorting']) {
  describe(`the task-side stages on ${specifier}`, () => {
    let task: Task;
    beforeAll(async () => {
      task = await loadTask(specifier, { base: ROOT });
      checkTask(task, { seeds: 32 });
    });

    it('prompts, traces and tokenizer: every SFT row round-trips through the task tokenizer', () => {
      const records = sftRecords(task, task.solver({ seed: 4 }), {
        count: 64,
        seedStart: 0,
        difficulty: task.defaultDifficulty,
      });
      expect(new Set(records.map((r) => r.prompt)).size).toBeGreaterThan(32);
      const tokenizer = taskTokenizer(
        task,
        records.flatMap((r) => [r.prompt, r.completion]),
      );
      for (const ch of task.alphabet) expect(tokenizer.covers(ch)).toBe(true);
      for (const r of records) {
        const text = r.prompt + r.completion;
        expect(tokenizer.covers(text)).toBe(true);
        expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
      }
      // Saved and restored as a checkpoint holds it.
      expect(CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON()))).symbols).toEqual(tokenizer.symbols);
    });

    it('segmentation, judges and consensus: labels, β masks and the agreement report', async () => {
      const problems = Array.from({ length: 12 }, (_, seed) => task.generate(seed, task.defaultDifficulty));
      const sampler = task.solver({ seed: 9, slipRate: 0.4 });
      const responses = problems.flatMap((p) =>
        [0, 1].map((i) => ({ p, text: sampler.solve({ ...p, id: `${p.id}#${i}` }).text })),
      );
      const tokenizer = taskTokenizer(task, [...problems.map((p) => p.prompt), ...responses.map((r) => r.text)]);
      const server = await SimulatedLlmServer.start({ labeller: oracleStepLabeller(task, problems), seed: 1 });
      servers.push(server);
      const llm = new LlmJudge({ baseUrl: server.baseUrl, model: 'simulated', apiKey: 'k', log: null, retries: 0 });
      const judges: Judge[] = [new OracleJudge(task), llm];
      if (task.ruleFindings !== undefined) judges.push(new RuleJudge({ task }));
      const segmenter = defaultSegmenter(task);
      const records = [];
      for (const [i, { p, text }] of responses.entries()) {
        const record = await annotateRollout(
          rollout(task, tokenizer, p, text, i % 2),
          p,
          tokenizer,
          segmenter,
          judges,
          'and',
        );
        expect(annotatedRolloutSchema.safeParse(record).success).toBe(true);
        // The default segmenter gives the task's natural steps on its traces.
        expect(record.steps.map(({ start, end }) => ({ start, end }))).toEqual(task.naturalSteps(text));
        const [oracle, judged] = record.judges;
        // Without noise the simulated LLM judge says what the task's oracle says.
        expect(judged.verdicts.map((v) => v.label)).toEqual(oracle.verdicts.map((v) => v.label));
        record.consensus.labels.forEach((label, k) => {
          expect(label).toBe(record.judges.every((j) => j.verdicts[k].label === 1) ? 1 : 0);
        });
        if (record.reward === 1) expect(record.beta_mask.every((m) => m === 0)).toBe(true);
        records.push(record);
      }
      const negatives = records.filter((r) => r.reward === 0);
      expect(negatives.length).toBeGreaterThan(0);
      // Some negatives hold steps every judge calls correct: the tokens BCPG-NSA keeps.
      expect(negatives.some((r) => r.beta_mask.some((m) => m === 1))).toBe(true);
      const report = agreementFromAnnotated(records);
      expect(report.judges.find((j) => j.name === 'llm')).toMatchObject({ precision: 1, recall: 1 });
      if (task.ruleFindings !== undefined) {
        const rule = report.judges.find((j) => j.name === 'rule')!;
        expect(rule.recall).toBeGreaterThan(0.9);
      }
    });

    it('the simulated LLM judge refuses a problem it was not given (the LLM judge abstains)', async () => {
      const problem = task.generate(0, task.defaultDifficulty);
      const label = oracleStepLabeller(task, [problem]);
      const other = task.generate(1, task.defaultDifficulty);
      expect(() => label(other.prompt, ['x'], { answer: other.answer })).toThrow(/no .* problem has the prompt/);
      const text = task.solver().solve(problem).text;
      const steps = task.naturalSteps(text).map((s) => text.slice(s.start, s.end).replace(/\n$/, ''));
      expect(label(problem.prompt, steps, { answer: problem.answer }).map((l) => l.score)).toEqual(
        task.oracle(problem, joinSteps(steps).response, joinSteps(steps).spans).map((l) => l.score),
      );
    });
  });
}

describe('a task without a rule judge', () => {
  it('gets abstentions from the rule judge, with the reason, never a silent "correct"', async () => {
    const task: Task = Object.assign(Object.create(sorting), { ruleFindings: undefined });
    const problem = task.generate(0, 1);
    const response = task.solver().solve(problem).text;
    const steps = task.naturalSteps(response);
    const verdicts = await new RuleJudge({ task }).judge({ problem, response, steps });
    expect(verdicts).toHaveLength(steps.length);
    for (const v of verdicts)
      expect(v).toEqual({ label: null, reason: 'rule judge failed: the task "sorting" has no rule judge' });
  });
});

describe('what the CLI and the page call today keeps working', () => {
  it('ruleStepLabeller() with no options judges as the default task; with {} it reads answers only', () => {
    const steps = ['Step 1: 7+5=13', 'Step 2: 13*3=39', 'Answer: 39'];
    const scores = (label: ReturnType<typeof ruleStepLabeller>) =>
      label('Start 7: +5 *3\n', steps, { answer: '36' }).map((l) => l.score);
    expect(scores(ruleStepLabeller())).toEqual([0, 0, 0]);
    expect(scores(ruleStepLabeller({ task: arithmetic }))).toEqual([0, 0, 0]);
    expect(scores(ruleStepLabeller({}))).toEqual([1, 1, 0]);
  });

  it('equals the tokenizer the CLI has built: the traces plus every digit and sign', () => {
    const records = sftRecords(arithmetic, arithmetic.solver({ seed: 0 }), { count: 200, seedStart: 0, difficulty: 1 });
    const texts = records.flatMap((r) => [r.prompt, r.completion]);
    expect(taskTokenizer(arithmetic, texts).toJSON()).toEqual(
      CharTokenizer.fromTexts([...texts, '0123456789+-*/%=:., \n']).toJSON(),
    );
  });
});
