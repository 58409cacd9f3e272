// The offline RL trainer: the GPU gradient of each objective's loss equals the
// twin model's gradient under the twin objective's credit; training moves
// log-probs the right way; BCPG-NSA with β = 1 trains exactly as BCPG.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuContext } from '../src/gpu/context.ts';
import type { ModelConfig } from '../src/model/config.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { destroyObjectiveBuffers } from '../src/objectives/kernels.ts';
import { OBJECTIVES, resolveHyper, type ObjectiveName } from '../src/objectives/index.ts';
import { dpoPairs } from '../src/objectives/reference.ts';
import { gpt2Backward, gpt2Forward, type Parameters64 } from '../src/reference/gpt2.ts';
import { DEFAULT_ADAMW } from '../src/train/optimizer.ts';
import { createRlTrainer } from '../src/pipeline/offline-rl.ts';
import type { AnnotatedRecord } from '../src/data/annotated.ts';
import { OfflineRlTrainer, type OfflineRlOptions, type RlBatch, type RlExample } from '../src/train/offline-rl.ts';
import { assertClose } from '../src/util/compare.ts';
import { Random } from '../src/util/random.ts';
import { randomParameters } from './cases/model-cases.ts';

const config: ModelConfig = { vocabSize: 11, contextLength: 12, width: 16, layers: 2, heads: 2 };

function examples(seed: number): RlExample[] {
  const random = new Random(seed);
  const out: RlExample[] = [];
  for (let g = 0; g < 3; g++) {
    const prompt = Array.from({ length: 2 + g }, () => 3 + Math.floor(random.next() * 8));
    for (let i = 0; i < 3; i++) {
      const length = 2 + Math.floor(random.next() * 6);
      const responseTokens = Array.from({ length }, () => Math.floor(random.next() * 11));
      out.push({
        group: `p${g}`,
        promptTokens: prompt,
        responseTokens,
        reward: ((g + i) % 2) as 0 | 1,
        refLogprobs: responseTokens.map(() => -1.5 - random.next()),
        betaMask: responseTokens.map(() => (random.next() < 0.5 ? 1 : 0)),
      });
    }
  }
  return out;
}

function options(objective: ObjectiveName, overrides = {}): OfflineRlOptions {
  return {
    objective,
    hyper: resolveHyper(objective, { tau: 0.05, ...overrides }),
    groupsPerBatch: 3,
    seed: 1,
    adamw: { ...DEFAULT_ADAMW, weightDecay: 0 },
    schedule: { maxLr: 1e-2, minLr: 1e-2, warmupSteps: 0, totalSteps: 100 },
  };
}

describe('offline RL trainer (llvmpipe)', () => {
  let context: GpuContext;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe' });
  });
  afterAll(() => context?.destroy());

  for (const objective of ['bcpg-nsa', 'grpo-offline', 'topr', 'dpo', 'rft'] as const) {
    it(`${objective}: GPU gradients equal the twin model under the twin objective's credit`, async () => {
      const parameters = randomParameters(config, 4);
      const model = new Gpt2(context, config);
      model.loadParameters(parameters);
      const trainer = new OfflineRlTrainer(model, examples(2), options(objective));
      const batch = trainer.nextBatch();
      const buffers = await trainer.computeGradients(batch);
      const grads = await model.readParameters(model.grads);
      const credit = await context.read(trainer.coefficientsView());
      destroyObjectiveBuffers(context, buffers);

      // The twin: ℓ from a first forward, c from the objective twin, then the gradient with that c.
      const p64: Parameters64 = Object.fromEntries(
        Object.entries(parameters).map(([k, v]) => [k, Float64Array.from(v)]),
      );
      const { B, T } = batch;
      const ones = new Float64Array(B * T).fill(1);
      const logprobs = gpt2Forward(config, p64, batch.tokens, batch.targets, ones, B, T).logprobs;
      const hyper = options(objective).hyper;
      const twinBatch = {
        responses: batch.responses,
        logprobs,
        refLogprobs: batch.refLogprobs,
        betaMask: batch.betaMask,
        pairs: objective === 'dpo' ? dpoPairs(batch.responses, hyper.dpoSeed) : undefined,
      };
      const { coefficients } = OBJECTIVES[objective].reference(twinBatch, hyper);
      assertClose(`${objective} credit`, credit, coefficients, { atol: 1e-6, rtol: 1e-3 });
      const forward = gpt2Forward(config, p64, batch.tokens, batch.targets, coefficients, B, T);
      const expected = gpt2Backward(config, p64, batch.tokens, forward, B, T);
      for (const [name, g] of Object.entries(expected)) {
        const peak = g.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        assertClose(`${objective} ∂/∂${name}`, grads[name], g, { atol: 1e-6 + 2e-3 * peak, rtol: 2e-3 });
      }
      trainer.destroy();
      model.destroy();
    });
  }

  it('raises log π of positives and lowers it on negatives; β = 1 trains exactly as BCPG', async () => {
    const runs: Record<string, Float32Array[]> = {};
    for (const [label, objective, overrides] of [
      ['nsa-1', 'bcpg-nsa', { beta: 1 }],
      ['bcpg', 'bcpg', {}],
    ] as const) {
      const model = new Gpt2(context, config);
      model.loadParameters(randomParameters(config, 6));
      const data = examples(3);
      const trainer = new OfflineRlTrainer(model, data, options(objective, overrides));
      const probe = trainer.nextBatch();
      const before = await sequenceLogprobs(trainer, probe);
      for (let i = 0; i < 8; i++) await trainer.trainStep();
      const after = await sequenceLogprobs(trainer, probe);
      runs[label] = [before, after];
      const rewards = probe.responses.map((r) => r.reward);
      const delta = (reward: number) => after.reduce((s, v, i) => s + (rewards[i] === reward ? v - before[i] : 0), 0);
      expect(delta(1)).toBeGreaterThan(0);
      expect(delta(0)).toBeLessThan(0);
      trainer.destroy();
      model.destroy();
    }
    expect(Array.from(runs['nsa-1'][1])).toEqual(Array.from(runs.bcpg[1]));
  });

  it("--adam-eps: far above the gradient, AdamW's step follows the gradient (SGD), not about lr on all", async () => {
    // The records an annotated file holds, as createRlTrainer (every face's trainer) takes them.
    const records = examples(3).map((e) => ({
      prompt_id: e.group,
      prompt_tokens: e.promptTokens,
      response_tokens: e.responseTokens,
      logprobs_ref: e.refLogprobs,
      reward: e.reward,
      beta_mask: e.betaMask,
    })) as unknown as AnnotatedRecord[];
    // |Δθ| over the parameters one step moved: its spread (95th over 5th percentile).
    const spread = async (adamEps?: number) => {
      const model = new Gpt2(context, config);
      model.loadParameters(randomParameters(config, 6));
      const before = Object.values(await model.readParameters()).flatMap((a) => Array.from(a));
      const { trainer } = createRlTrainer(model, records, {
        objective: 'bcpg',
        beta: 1,
        tau: 0.05,
        groupsPerBatch: 3,
        lr: 1e-2,
        seed: 1,
        ...(adamEps === undefined ? {} : { adamEps }),
      });
      expect(trainer.options.adamw.eps).toBe(adamEps ?? DEFAULT_ADAMW.eps);
      await trainer.trainStep();
      const after = Object.values(await model.readParameters()).flatMap((a) => Array.from(a));
      trainer.destroy();
      model.destroy();
      const moved = after.map((v, i) => Math.abs(v - before[i])).filter((d) => d > 0);
      moved.sort((a, b) => a - b);
      return moved[Math.floor(0.95 * moved.length)] / moved[Math.floor(0.05 * moved.length)];
    };
    // The default ε: m̂/√v̂ is ±1 on the first step, so every moved parameter moves by about lr.
    expect(await spread()).toBeLessThan(1.5);
    // ε = 10: the step is lr/ε · g, as spread as the gradient itself.
    expect(await spread(10)).toBeGreaterThan(20);
  });

  it('restore continues a run exactly: parameters, moments, step and batch order (mid-epoch)', async () => {
    const data = examples(4);
    const opts = options('bcpg-nsa', { groupsPerBatch: 2 });
    const start = randomParameters(config, 9);
    const run = async (steps: number, from?: Awaited<ReturnType<OfflineRlTrainer['checkpointState']>>) => {
      const model = new Gpt2(context, config);
      model.loadParameters(start);
      const trainer = new OfflineRlTrainer(model, data, opts);
      if (from !== undefined) trainer.restore(from);
      while (trainer.step < steps) await trainer.trainStep();
      const state = await trainer.checkpointState();
      trainer.destroy();
      model.destroy();
      return state;
    };
    // 3 groups, 2 a step: 2 steps an epoch, so step 3 stops in the middle of the second epoch.
    const whole = await run(5);
    const resumed = await run(5, await run(3));
    expect(resumed.step).toBe(5);
    expect(resumed.dataPosition).toEqual(whole.dataPosition);
    for (const name of Object.keys(whole.parameters)) {
      expect(Array.from(resumed.parameters[name])).toEqual(Array.from(whole.parameters[name]));
      expect(Array.from(resumed.optimizer!.m[name])).toEqual(Array.from(whole.optimizer!.m[name]));
    }
    // A fresh trainer without the restore is not at the same place (the test can fail).
    const fresh = await run(2);
    const first = Object.keys(whole.parameters)[0];
    expect(Array.from(fresh.parameters[first])).not.toEqual(Array.from(whole.parameters[first]));
  });
});

/** Σ_j log π(y_j) of every response of a batch, without training on it. */
async function sequenceLogprobs(trainer: OfflineRlTrainer, batch: RlBatch): Promise<Float32Array> {
  const { B, T } = batch;
  await trainer.model.forward({
    tokens: batch.tokens,
    targets: batch.targets,
    coefficients: new Float32Array(B * T),
    B,
    T,
  });
  const lp = await trainer.model.context.read(trainer.model.logprobsView());
  return Float32Array.from(batch.responses, (r) => lp.slice(r.offset, r.offset + r.length).reduce((a, b) => a + b, 0));
}
