// Stage 2: judges and consensus. The rule judge against the oracle on the
// built-in task's noisy-solver traces (many seeds, several segmenters),
// hand-written free-text cases for Error Propagation and Error Termination,
// consensus modes with abstentions, the agreement report on a small example,
// and annotation of a hand-made negative (β mask, schema, TRL export).
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../src/data/rollouts.ts';
import { modelFreeRollout } from '../src/data/solver-rollouts.ts';
import { CharTokenizer } from '../src/data/tokenizer.ts';
import { agreementReport, formatAgreementReport } from '../src/judge/agreement.ts';
import {
  agreementFromAnnotated,
  annotatedRolloutSchema,
  annotateRollout,
  toStepwiseSupervision,
} from '../src/judge/annotate.ts';
import { consensus } from '../src/judge/consensus.ts';
import type { Judge, StepVerdict } from '../src/judge/judge.ts';
import { OracleJudge } from '../src/judge/oracle-judge.ts';
import { ruleLabels, RuleJudge, ruleStepLabeller } from '../src/judge/rule-judge.ts';
import { defaultSegmenter, getSegmenter, type Segmenter } from '../src/segment/index.ts';
import { arithmetic, findClaims } from '../src/tasks/arithmetic.ts';
import { NoisySolver } from '../src/tasks/noisy-solver.ts';
import type { Problem } from '../src/tasks/task.ts';
import { ChunkTokenizer } from './util/tokenizers.ts';
import { handProblem, lines } from './util/problems.ts';

const P = handProblem();
/** A free-text problem: only its prompt and answer matter to the rule judge. */
const freeProblem = (prompt: string, answer: string): Problem => ({ id: 'free', prompt, answer, data: null });

/** Rule labels as "score reason" on a segmentation. */
function rule(problem: Problem, text: string, seg: Segmenter = getSegmenter('newline')): string[] {
  return ruleLabels(text, seg.segment(text), problem, { task: arithmetic }).map((l) => `${l.score} ${l.reason}`);
}

describe('rule judge vs the oracle on noisy-solver traces', () => {
  const segmenters: Record<string, Segmenter> = {
    natural: { name: 'natural', segment: (t) => arithmetic.naturalSteps(t) },
    default: defaultSegmenter(arithmetic),
    'default, capped at 3 steps': defaultSegmenter(arithmetic, { maxSteps: 3 }),
    'markers, min 30 chars': getSegmenter('markers', { minChars: 30, extraMarkers: [String.raw`Step\b`] }),
  };
  const solvers = {
    'default solver': (seed: number) => new NoisySolver({ seed }),
    'noisier solver': (seed: number) =>
      new NoisySolver({
        seed,
        slipRate: 0.6,
        checkRate: 0.8,
        catchRate: 0.5,
        falseConfirmRate: 0.5,
        maxChars: Infinity,
      }),
  };
  for (const [segName, seg] of Object.entries(segmenters)) {
    for (const [solverName, makeSolver] of Object.entries(solvers)) {
      it(`agrees on ≥ 99% of steps (${segName}, ${solverName}, difficulties 0–5, 2 × 1500 problems)`, async () => {
        const judge = new RuleJudge({ task: arithmetic });
        const oracle = new OracleJudge(arithmetic);
        let agree = 0;
        let total = 0;
        const confusion = { '1/1': 0, '1/0': 0, '0/1': 0, '0/0': 0 }; // oracle/rule
        const disagreements: string[] = [];
        for (const solverSeed of [0, 1]) {
          const solver = makeSolver(solverSeed);
          for (let seed = 0; seed < 1500; seed++) {
            const problem = arithmetic.generate(seed, seed % 6);
            const response = solver.solve(problem).text;
            const steps = seg.segment(response);
            const [truth, judged] = await Promise.all([
              oracle.judge({ problem, response, steps }),
              judge.judge({ problem, response, steps }),
            ]);
            truth.forEach((t, k) => {
              total++;
              confusion[`${t.label}/${judged[k].label}` as keyof typeof confusion]++;
              if (t.label === judged[k].label) agree++;
              else if (disagreements.length < 5)
                disagreements.push(
                  `${problem.prompt}${response}\n  step ${k}: oracle ${t.label} (${t.reason}), ` +
                    `rule ${judged[k].label} (${judged[k].reason})`,
                );
            });
          }
        }
        const rate = agree / total;
        console.log(
          `rule vs oracle [${segName}, ${solverName}]: ${agree}/${total} steps agree ` +
            `(${(100 * rate).toFixed(3)}%); oracle/rule ${JSON.stringify(confusion)}`,
        );
        if (disagreements.length > 0) console.log(disagreements.join('\n'));
        expect(rate).toBeGreaterThanOrEqual(0.99);
        expect(confusion['0/0']).toBeGreaterThan(0);
      });
    }
  }
});

describe('rule judge: claims in any text', () => {
  it('reads claims in free text and skips what is ambiguous', () => {
    const claims = (t: string) => findClaims(t).map((c) => `${c.text}${c.holds ? '' : ' ✗'}`);
    expect(claims('Step 1: 7+5=12')).toEqual(['7+5=12']);
    expect(claims('so 12 × 3 = 36, then 36 - 4 = 32.')).toEqual(['12 × 3 = 36', '36 - 4 = 32']);
    expect(claims('12*3 = 36 - 4 = 32')).toEqual(['12*3 = 36', '36 - 4 = 32']);
    expect(claims('2*3 = 3+3 and 3 x 4 = 12, 3x4=13, 20 ÷ 6 = 3, 7 − 2 = 5')).toEqual([
      '2*3 = 3',
      '3 x 4 = 12',
      '3x4=13 ✗',
      '20 ÷ 6 = 3',
      '7 − 2 = 5',
    ]);
    expect(claims('-7 / 2 = -4, -7 % 2 = 1, 7 - -3 = 10, 2 + 3 * 4 = 14, 17 % 5 = 2')).toEqual([
      '-7 / 2 = -4',
      '-7 % 2 = 1',
      '7 - -3 = 10',
      '2 + 3 * 4 = 14',
      '17 % 5 = 2',
    ]);
    expect(claims('1,234 + 1 = 1,235 and 5/0 = 0')).toEqual(['1,234 + 1 = 1,235', '5/0 = 0 ✗']);
    // Decimals, powers, variables, percentages, comparisons: no integer claim.
    for (const t of [
      '3.5 + 1 = 4.5',
      '2^3+1=9',
      '2x + 3 = 7',
      'x2 + 1 = 3',
      '10*5 = 50%',
      '3 + 4 <= 8',
      '√9 + 1 = 4',
      '(2+3)*4 = 20',
      '3 + 4 is 7',
    ]) {
      expect(claims(t), t).toEqual([]);
    }
  });

  it('applies Error Propagation in free text', () => {
    const text = lines(
      'First, 12 × 3 = 38.',
      'Then 38 - 4 = 34.',
      'Let me verify: 12 × 3 = 38.',
      'So the answer is 34.',
    );
    expect(rule(freeProblem('12 times 3, minus 4?', '32'), text)).toEqual([
      '0 own-error',
      '0 propagation',
      '0 own-error',
      '0 final-wrong',
    ]);
    // A right restatement of a step built on a wrong value still carries it.
    const t2 = lines('7 + 5 = 13', '13 * 3 = 39', 'Check: 13 * 3 = 39, fine', 'The answer is 39');
    expect(rule(freeProblem('(7 + 5) * 3', '36'), t2)).toEqual([
      '0 own-error',
      '0 propagation',
      '0 propagation',
      '0 final-wrong',
    ]);
  });

  it('applies Error Termination in free text: explicit corrections, rejections, a fresh right value', () => {
    const problem = freeProblem('12 times 3, minus 4?', '32');
    expect(
      rule(problem, lines('12 × 3 = 38.', 'Wait, 12 × 3 = 36, not 38.', 'Then 36 - 4 = 32.', 'The answer is 32.')),
    ).toEqual(['0 own-error', '1 termination', '1 correct', '1 final-correct']);
    expect(
      rule(problem, lines('12*3 = 38.', 'Hmm, 12*3 = 38 is wrong, it is 36.', '36 - 4 = 32', '\\boxed{32}')),
    ).toEqual(['0 own-error', '1 termination', '1 correct', '1 final-correct']);
    // The same left side with a new, right result is a correction too.
    expect(rule(problem, lines('12*3 = 38', '12*3 = 36', '36-4 = 32'))).toEqual([
      '0 own-error',
      '1 termination',
      '1 correct',
    ]);
    // Going on silently from the right value ends the propagation.
    expect(rule(problem, lines('12*3 = 38', 'Start over: 36-4 = 32'))).toEqual(['0 own-error', '1 termination']);
    // A "correction" that is itself wrong, or one that breaks a right value.
    expect(rule(problem, lines('12*3 = 38', '12*3 = 37, not 38'))).toEqual(['0 own-error', '0 own-error']);
    expect(rule(problem, lines('12*3 = 36', '12*3 = 36 is wrong.'))).toEqual(['1 correct', '0 own-error']);
  });

  it("reads the oracle's long check forms like the oracle", () => {
    const r = lines(
      'Step 1: 7+5=12',
      'Step 2: 12*3=38',
      'Wait, let me check: 12*3=38 is wrong, it is 36.',
      'Step 3: 36-4=32',
      'Step 4: 32%6=2',
      'Answer: 2',
    );
    const r2 = lines(
      'Step 1: 7+5=12',
      'Check: 7+5=12 ok',
      'Step 2: 12*3=36',
      'Wait, let me check: 12*3=36. Correct.',
      'Step 3: 36-4=32',
      'Step 4: 32%6=2',
      'Answer: 2',
    );
    for (const text of [r, r2]) {
      const steps = arithmetic.naturalSteps(text);
      expect(ruleLabels(text, steps, P, { task: arithmetic }).map((l) => l.score)).toEqual(
        arithmetic.oracle(P, text, steps).map((l) => l.score),
      );
    }
  });

  it('labels steps with no claim 1, and judges every final answer', () => {
    expect(
      rule(freeProblem('?', '12'), lines('We add the two numbers first.', 'The answer is 12.', 'Answer: 13')),
    ).toEqual(['1 no-claims', '1 final-correct', '0 final-wrong']);
    expect(rule(freeProblem('?', '1,200'), '#### 1200')).toEqual(['1 final-correct']);
  });

  it("works as the simulated server's labeller (step texts in, labels out)", () => {
    const label = ruleStepLabeller({ task: arithmetic });
    expect(
      label(P.prompt, ['Step 1: 7+5=13', 'Step 2: 13*3=39', 'Answer: 35'], { answer: '2' }).map((l) => l.score),
    ).toEqual([0, 0, 0]);
    expect(label(P.prompt, ['Step 1: 7+5=12', 'Answer: 2'], { answer: '2' }).map((l) => l.score)).toEqual([1, 1]);
  });
});

describe('oracle judge', () => {
  it('wraps task.oracle, and abstains with the reason on bad input', async () => {
    const judge = new OracleJudge(arithmetic);
    expect(judge.name).toBe('oracle');
    const text = lines('Step 1: 7+5=13', 'Answer: 2');
    const verdicts = await judge.judge({ problem: P, response: text, steps: arithmetic.naturalSteps(text) });
    expect(verdicts).toEqual([
      { label: 0, reason: 'own-error' },
      { label: 1, reason: 'final-correct' },
    ]);
    const bad = await judge.judge({ problem: P, response: text, steps: [{ start: 0, end: 3 }] });
    expect(bad[0].label).toBeNull();
    expect(bad[0].reason).toMatch(/oracle failed: .*cover/);
  });
});

describe('consensus', () => {
  const v = (...labels: (0 | 1 | null)[]): StepVerdict[] => labels.map((label) => ({ label }));
  // Steps: both 1 | 1 and 0 | 1 and abstain | abstain and abstain | 0 and 0 | all abstain
  const verdicts = [v(1, 1, 1, null, 0, null), v(1, 0, null, null, 0, null)];
  it('AND: every judge must say 1; an abstention never makes a step correct', () => {
    expect(consensus('and', verdicts)).toEqual([
      { label: 1, abstained: 0 },
      { label: 0, abstained: 0 },
      { label: 0, abstained: 1 },
      { label: 0, abstained: 2 },
      { label: 0, abstained: 0 },
      { label: 0, abstained: 2 },
    ]);
    // An abstaining judge cannot make a step correct even with two others saying 1.
    expect(consensus('and', [v(1), v(1), v(null)])).toEqual([{ label: 0, abstained: 1 }]);
  });
  it('majority: abstentions do not vote, a tie is 0', () => {
    expect(consensus('majority', verdicts).map((c) => c.label)).toEqual([1, 0, 1, 0, 0, 0]);
    expect(consensus('majority', [v(1, 1), v(0, 1), v(1, 0)]).map((c) => c.label)).toEqual([1, 1]);
    expect(consensus('majority', [v(1), v(0), v(null)])).toEqual([{ label: 0, abstained: 1 }]);
  });
  it('any: one 1 is enough, abstentions do not vote', () => {
    expect(consensus('any', verdicts).map((c) => c.label)).toEqual([1, 1, 1, 0, 0, 0]);
  });
  it('refuses no judges, mismatched step counts and unknown modes', () => {
    expect(() => consensus('and', [])).toThrow(/no judges/);
    expect(() => consensus('and', [v(1), v(1, 0)])).toThrow(/judge 1 labels 2 steps/);
    expect(() => consensus('xor' as 'and', [v(1)])).toThrow(/Unknown consensus mode "xor"/);
  });
});

describe('agreement report', () => {
  it('gives precision, recall, F1, abstentions and negative-token counts on a hand-made example', () => {
    // Two responses: response 0 positive (2 steps), response 1 negative (3 steps).
    const oracle: (0 | 1)[][] = [
      [1, 1],
      [1, 0, 0],
    ];
    const tokenCounts = [
      [4, 6],
      [5, 7, 3],
    ];
    const negativeMask = [false, true];
    const judged = {
      a: [
        [1, 1],
        [1, 1, 0],
      ] as (0 | 1 | null)[][], // tp 3, fp 1, fn 0
      b: [
        [1, null],
        [0, 0, null],
      ] as (0 | 1 | null)[][], // tp 1, fp 0, fn 2 (one abstained), 2 abstained
    };
    const report = agreementReport(oracle, judged, tokenCounts, negativeMask);
    expect(report.steps).toBe(5);
    expect(report.correctShare).toBeCloseTo(3 / 5);
    expect(report.oracle.negativeTokens).toEqual({ correct: 5, incorrect: 10 });
    const [a, b, and] = report.judges;
    expect(a).toMatchObject({
      name: 'a',
      truePositives: 3,
      falsePositives: 1,
      falseNegatives: 0,
      trueNegatives: 1,
      abstained: 0,
      negativeTokens: { correct: 12, incorrect: 3, abstained: 0 },
    });
    expect(a.precision).toBeCloseTo(3 / 4);
    expect(a.recall).toBe(1);
    expect(a.f1).toBeCloseTo((2 * 0.75) / 1.75);
    expect(b).toMatchObject({
      name: 'b',
      truePositives: 1,
      falsePositives: 0,
      falseNegatives: 2,
      trueNegatives: 1,
      abstained: 2,
      negativeTokens: { correct: 0, incorrect: 12, abstained: 3 },
    });
    expect(b.precision).toBe(1);
    expect(b.recall).toBeCloseTo(1 / 3);
    expect(b.abstentionRate).toBeCloseTo(2 / 5);
    // AND of a and b: [[1, 0], [0, 0, 0]].
    expect(and).toMatchObject({
      name: 'consensus:and',
      truePositives: 1,
      falsePositives: 0,
      falseNegatives: 2,
      trueNegatives: 2,
      negativeTokens: { correct: 0, incorrect: 15, abstained: 0 },
    });
    const text = formatAgreementReport(report);
    expect(text).toMatch(/consensus:and/);
    expect(text).toMatch(/60\.0% correct by the oracle/);
    expect(() => agreementReport(oracle, { a: [[1]] }, tokenCounts, negativeMask)).toThrow(/judge "a" has 1 responses/);
  });
});

describe('annotation', () => {
  const tokenizer = CharTokenizer.fromTexts(['0123456789 +-*/%=:\nStepAnswerCheckotSart']);
  function rollout(problem: Problem, response: string, extraTokens: number[] = []): Rollout {
    return modelFreeRollout(arithmetic, problem, response, tokenizer, [...tokenizer.encode(response), ...extraTokens]);
  }
  /** A judge that says 1 everywhere but abstains on step 1. */
  const abstainer: Judge = {
    name: 'abstainer',
    simulated: true,
    judge: async ({ steps }) => steps.map((_, k) => ({ label: k === 1 ? null : 1, reason: 'stub' })),
  };
  const thrower: Judge = {
    name: 'thrower',
    judge: async () => {
      throw new Error('boom');
    },
  };
  const negative = lines(
    'Step 1: 7+5=12',
    'Step 2: 12*3=38',
    'Step 3: 38-4=34',
    'Check: 38-4=34 ok',
    'Step 4: 34%6=4',
    'Answer: 4',
  );

  it('marks β tokens: consensus-correct steps of a negative response, and only those', async () => {
    const r = rollout(P, negative, [tokenizer.eos]);
    expect(r.reward).toBe(0);
    const seg = defaultSegmenter(arithmetic);
    const a = await annotateRollout(
      r,
      P,
      tokenizer,
      seg,
      [new OracleJudge(arithmetic), new RuleJudge({ task: arithmetic })],
      'and',
    );
    expect(a.steps.map((s) => negative.slice(s.start, s.end).trim())).toEqual(negative.split('\n'));
    expect(a.judges.map((j) => j.verdicts.map((v) => v.label))).toEqual([
      [1, 0, 0, 0, 0, 0],
      [1, 0, 0, 0, 0, 0],
    ]);
    expect(a.consensus).toEqual({ mode: 'and', labels: [1, 0, 0, 0, 0, 0], abstained: [0, 0, 0, 0, 0, 0] });
    // Step 1 is "Step 1: 7+5=12\n": its 15 characters are the β tokens; the eos token goes with the last step.
    expect(a.beta_mask).toHaveLength(negative.length + 1);
    expect(a.beta_mask.slice(0, 15).every((b) => b === 1)).toBe(true);
    expect(a.beta_mask.slice(15).every((b) => b === 0)).toBe(true);
    expect(a.steps[a.steps.length - 1].token_end).toBe(negative.length + 1);
    expect(annotatedRolloutSchema.parse(JSON.parse(JSON.stringify(a)))).toEqual(a);
    // A tampered mask or a gap in the steps is caught by the schema.
    expect(annotatedRolloutSchema.safeParse({ ...a, beta_mask: a.beta_mask.map(() => 1) }).success).toBe(false);
    expect(annotatedRolloutSchema.safeParse({ ...a, steps: a.steps.slice(1) }).success).toBe(false);

    expect(toStepwiseSupervision(a)).toEqual({
      prompt: P.prompt,
      completions: seg.segment(negative).map((s) => negative.slice(s.start, s.end)),
      labels: [true, false, false, false, false, false],
    });

    // Under AND an abstaining judge keeps its step out of the mask; a throwing judge abstains everywhere.
    const b = await annotateRollout(
      r,
      P,
      tokenizer,
      seg,
      [new OracleJudge(arithmetic), abstainer, thrower],
      'majority',
    );
    expect(b.judges[1].simulated).toBe(true);
    expect(b.judges[2].verdicts.every((v) => v.label === null && /thrower" failed: boom/.test(v.reason ?? ''))).toBe(
      true,
    );
    expect(b.consensus.abstained).toEqual([1, 2, 1, 1, 1, 1]);
    expect(b.consensus.labels).toEqual([1, 0, 0, 0, 0, 0]);
    const c = await annotateRollout(r, P, tokenizer, seg, [abstainer], 'and');
    expect(c.consensus.labels).toEqual([1, 0, 1, 1, 1, 1]);
    expect(c.beta_mask.slice(15, 30).every((x) => x === 0)).toBe(true);
  });

  it('gives a positive response no β tokens, and maps a multi-character tokenizer exactly', async () => {
    const positive = lines('Step 1: 7+5=12', 'Step 2: 12*3=36', 'Step 3: 36-4=32', 'Step 4: 32%6=2', 'Answer: 2');
    const a = await annotateRollout(
      rollout(P, positive),
      P,
      tokenizer,
      defaultSegmenter(arithmetic),
      [new RuleJudge({ task: arithmetic })],
      'and',
    );
    expect(a.reward).toBe(1);
    expect(a.consensus.labels.every((l) => l === 1)).toBe(true);
    expect(a.beta_mask.every((b) => b === 0)).toBe(true);

    const chunks = new ChunkTokenizer(3);
    const ids = [...chunks.encode(negative), chunks.eos];
    const r: Rollout = {
      ...rollout(P, negative),
      response_tokens: ids,
      logprobs_ref: ids.map(() => 0),
      logprobs_sample: ids.map(() => 0),
    };
    const b = await annotateRollout(r, P, chunks, defaultSegmenter(arithmetic), [new OracleJudge(arithmetic)], 'and');
    // Step 1 covers characters [0, 15): tokens starting at 0, 3, 6, 9, 12 lie in it.
    expect(b.steps[0]).toEqual({ start: 0, end: 15, token_start: 0, token_end: 5 });
    expect(b.beta_mask).toEqual(ids.map((_, j) => (j < 5 ? 1 : 0)));
    expect(annotatedRolloutSchema.safeParse(b).success).toBe(true);
  });

  it("refuses a problem that is not the rollout's, and feeds the agreement report", async () => {
    const r = rollout(P, negative);
    await expect(
      annotateRollout(r, { ...P, id: 'other' }, tokenizer, defaultSegmenter(), [new RuleJudge()], 'and'),
    ).rejects.toThrow(/was given problem other/);
    await expect(
      annotateRollout(r, P, tokenizer, defaultSegmenter(), [new RuleJudge(), new RuleJudge()], 'and'),
    ).rejects.toThrow(/two judges are named "rule"/);
    const records = [
      await annotateRollout(
        r,
        P,
        tokenizer,
        defaultSegmenter(arithmetic),
        [new OracleJudge(arithmetic), new RuleJudge({ task: arithmetic }), abstainer],
        'and',
      ),
    ];
    const report = agreementFromAnnotated(records);
    expect(report.judges.map((j) => j.name)).toEqual(['rule', 'abstainer', 'consensus:and']);
    expect(report.judges[0]).toMatchObject({ precision: 1, recall: 1 });
    expect(report.oracle.negativeTokens).toEqual({ correct: 15, incorrect: negative.length - 15 });
  });

  it('reports the consensus that made the β mask when the oracle votes, and says so', async () => {
    // An "llm" that calls every step correct, and-ed with the oracle: the mask is the oracle's.
    const yesMan: Judge = {
      name: 'llm',
      simulated: true,
      judge: async ({ steps }) => steps.map(() => ({ label: 1 as const })),
    };
    const records = [
      await annotateRollout(
        rollout(P, negative),
        P,
        tokenizer,
        defaultSegmenter(arithmetic),
        [yesMan, new OracleJudge(arithmetic)],
        'and',
      ),
    ];
    const mined = records[0].beta_mask.reduce((a: number, b) => a + b, 0);
    const report = agreementFromAnnotated(records, 'oracle', { consensus: ['and'], voters: ['llm', 'oracle'] });
    expect(report.judges.map((j) => j.name)).toEqual(['llm', 'consensus:and']);
    const [llm, used] = report.judges;
    expect(llm.precision).toBeLessThan(1);
    expect(used.voters).toEqual(['llm', 'oracle']);
    expect(used.precision).toBe(1);
    expect(used.negativeTokens.correct).toBe(mined); // the row describes the β mask actually made
    expect(used.negativeTokens.correct).toBeLessThan(llm.negativeTokens.correct);
    const text = formatAgreementReport(report);
    expect(text).toMatch(/^consensus:and \(llm\+oracle\) +100\.0%/m);
    expect(text).toMatch(/consensus:and is the consensus that made the β mask, and the oracle is one of its voters/);
    // Without the voters the row is recomputed from the judges but the oracle: the llm's own figures.
    const recomputed = agreementFromAnnotated(records, 'oracle', { consensus: ['and'] }).judges[1];
    expect(recomputed.negativeTokens.correct).toBe(llm.negativeTokens.correct);
  });
});
