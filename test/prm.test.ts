// The PRM judge's mechanics: marker placement, soft-label rows, the 2-way head
// read at markers, and training on the GPU until it separates a learnable label on held-out steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from '../src/data/tokenizer.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { prmStage } from '../src/pipeline/prm.ts';
import type { Policy } from '../src/pipeline/policy.ts';
import type { Rollout } from '../src/data/rollouts.ts';
import { PRM_MARKERS, PrmJudge, prmRows, prmSequence, prmTokenizer, type PrmExample } from '../src/judge/prm.ts';
import { DEFAULT_ADAMW } from '../src/train/optimizer.ts';
import { SftTrainer } from '../src/train/sft.ts';
import { getTask } from '../src/tasks/index.ts';
import { Random } from '../src/util/random.ts';

const task = getTask('arithmetic');
const base = CharTokenizer.fromTexts(['0123456789+-*/%=:., \nStartAnswerStepCheckoknot']);
const tokenizer = prmTokenizer(base);

describe('PRM sequences and rows', () => {
  it('puts a marker after each step and weights soft labels on two copies', () => {
    const response = 'Step 1: 2+3=5\nStep 2: 5*2=10\nAnswer: 10';
    const steps = task.naturalSteps(response);
    const seq = prmSequence(tokenizer, 'Start 2: +3 *2\n', response, steps, 128);
    expect(seq.markers).toHaveLength(3);
    for (const m of seq.markers) expect(tokenizer.decode([seq.tokens[m]], { stopAtEos: false })).toBe(PRM_MARKERS.step);
    expect(tokenizer.decode(seq.tokens.filter((_, i) => !seq.markers.includes(i)))).toBe(`Start 2: +3 *2\n${response}`);
    const rows = prmRows(tokenizer, [{ prompt: 'Start 2: +3 *2\n', response, steps, labels: [1, 0.25, 0] }], 128);
    expect(rows).toHaveLength(2);
    const [good, bad] = rows;
    expect(seq.markers.map((m) => good.mask[m])).toEqual([1, 0.25, 0]);
    expect(seq.markers.map((m) => bad.mask[m])).toEqual([0, 0.75, 1]);
    expect(tokenizer.decode([good.targets[seq.markers[0]]], { stopAtEos: false })).toBe(PRM_MARKERS.good);
    // A context too short for the later steps keeps the markers that fit.
    expect(prmSequence(tokenizer, 'Start 2: +3 *2\n', response, steps, 32).markers).toHaveLength(1);
  });
});

describe('PRM stage: nothing to learn from', () => {
  // Only the fields the stage reads before it labels anything: a run whose responses cannot teach the PRM
  // stops here with its reason, before any Monte-Carlo generation (no GPU, model or store is touched).
  const problem = task.generate(7, 1);
  const stage = (response: string, contextLength: number) =>
    prmStage(
      { tokenizer: base, checkpoint: { config: { contextLength } } } as unknown as Policy,
      task,
      [{ prompt_id: problem.id, response } as unknown as Rollout],
      new Map([[problem.id, problem]]),
      { labels: 'mc', completions: 2, temperature: 1, steps: 1, batchSize: 1, lr: 1e-3, seed: 1 },
      null as never,
      null as never,
    );
  const response = 'Step 1: 2+3=5\nStep 2: 5*2=10\nAnswer: 10';

  it('says no step ends within the context, naming its length', async () => {
    await expect(stage(response, problem.prompt.length + 4)).rejects.toThrow(
      `of the 1 responses chosen, 1 have a step, and none ends within the model's ${problem.prompt.length + 4}-token`,
    );
  });

  it('says π_ref writes no steps when no response has one', async () => {
    await expect(stage('', 128)).rejects.toThrow('none of the 1 responses chosen has a step');
  });
});

describe('PRM judge on the GPU (llvmpipe)', () => {
  let context: GpuContext;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe' });
  });
  afterAll(() => context?.destroy());

  it('learns a step label it can see and scores held-out steps at their markers', async () => {
    // Label: a step is "correct" when it multiplies. Learnable from the text at the marker.
    const random = new Random(3);
    // Operands 1–3: every result is one digit, so the operator sits at the same distance from each marker.
    const digit = () => 1 + Math.floor(random.next() * 3);
    const example = (): PrmExample => {
      const ops = Array.from({ length: 3 }, () => (random.next() < 0.5 ? '*' : '+'));
      const response = ops
        .map((op, k) => {
          const [a, b] = [digit(), digit()];
          return `Step ${k + 1}: ${a}${op}${b}=${op === '*' ? a * b : a + b}\n`;
        })
        .join('');
      return {
        prompt: 'Start 2:\n',
        response,
        steps: task.naturalSteps(response),
        labels: ops.map((op) => (op === '*' ? 1 : 0)),
      };
    };
    const examples = Array.from({ length: 128 }, example);
    // Held out: responses the PRM never trained on (none equals a training response).
    const seen = new Set(examples.map((e) => e.response));
    const heldOut = Array.from({ length: 40 }, example).filter((e) => !seen.has(e.response));
    expect(heldOut.length).toBeGreaterThanOrEqual(32);
    const config = { vocabSize: tokenizer.size, contextLength: 64, width: 32, layers: 2, heads: 2 };
    const model = new Gpt2(context, config);
    model.initialize(5);
    const trainer = new SftTrainer(model, prmRows(tokenizer, examples, 64), {
      batchSize: 16,
      microBatches: 1,
      seed: 1,
      adamw: { ...DEFAULT_ADAMW, weightDecay: 0 },
      schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 5, totalSteps: 200 },
    });
    // A plateau at ln 2 (50/50) comes first; it separates the labels after about 120 steps.
    for (let i = 0; i < 200; i++) await trainer.trainStep();
    const judge = new PrmJudge(model, tokenizer, { threshold: 0.5, batchRows: 16 });
    const inputs = heldOut.map((e) => ({
      problem: { id: 'x', prompt: e.prompt, answer: '', data: null },
      response: e.response,
      steps: e.steps,
    }));
    const verdicts = await judge.judgeMany(inputs);
    let agree = 0;
    let total = 0;
    verdicts.forEach((v, i) =>
      v.forEach((verdict, k) => {
        expect(verdict.score).toBeGreaterThanOrEqual(0);
        expect(verdict.score).toBeLessThanOrEqual(1);
        total += 1;
        if (verdict.label === heldOut[i].labels[k]) agree += 1;
      }),
    );
    expect(agree / total).toBeGreaterThan(0.9);
    trainer.destroy();
    model.destroy();
  });
});
