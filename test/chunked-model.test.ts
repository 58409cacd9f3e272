// GPT-2 124M's wte and arenas exceed llvmpipe's 128 MiB per binding; the dispatchers bind them in pieces. Here a
// small model under a forced 64 KiB limit (below wte and every arena) trains (SFT and offline RL) and generates
// with the same numbers, to the bit, as without the limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SftRow } from '../src/data/sft-data.ts';
import { GpuContext } from '../src/gpu/context.ts';
import type { ModelConfig } from '../src/model/config.ts';
import { generate } from '../src/model/generate.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { resolveHyper } from '../src/objectives/index.ts';
import { OfflineRlTrainer, type RlExample } from '../src/train/offline-rl.ts';
import { DEFAULT_ADAMW } from '../src/train/optimizer.ts';
import { SftTrainer } from '../src/train/sft.ts';
import { Random } from '../src/util/random.ts';
import { randomParameters } from './cases/model-cases.ts';

// wte is 400 × 48 floats = 76,800 bytes; the largest other tensor (c_fc) 36,864. (Widths under 512 keep to the
// narrow matmul blocks, which compile fast.)
const config: ModelConfig = { vocabSize: 400, contextLength: 12, width: 48, layers: 2, heads: 2 };
const LIMIT = 64 * 1024;
const schedule = { maxLr: 1e-2, minLr: 1e-2, warmupSteps: 0, totalSteps: 100 };

function sftRows(count: number, T: number): SftRow[] {
  const random = new Random(8);
  const token = () => Math.floor(random.next() * config.vocabSize);
  return Array.from({ length: count }, () => {
    const sequence = Array.from({ length: T + 1 }, token);
    return {
      tokens: Uint32Array.from(sequence.slice(0, T)),
      targets: Uint32Array.from(sequence.slice(1)),
      mask: Uint8Array.from({ length: T }, (_, t) => (t >= 2 ? 1 : 0)),
    };
  });
}

function rlExamples(): RlExample[] {
  const random = new Random(2);
  const token = () => Math.floor(random.next() * config.vocabSize);
  const out: RlExample[] = [];
  for (let g = 0; g < 2; g++) {
    const prompt = Array.from({ length: 2 + g }, token);
    for (let i = 0; i < 3; i++) {
      const responseTokens = Array.from({ length: 3 + i * 2 }, token);
      out.push({
        group: `p${g}`,
        promptTokens: prompt,
        responseTokens,
        reward: ((g + i) % 2) as 0 | 1,
        refLogprobs: responseTokens.map(() => -6 - random.next()),
        betaMask: responseTokens.map(() => (random.next() < 0.5 ? 1 : 0)),
      });
    }
  }
  return out;
}

describe('a model bound in pieces (llvmpipe, forced 64 KiB binding limit)', () => {
  let context: GpuContext;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe' });
  });
  afterAll(() => context?.destroy());

  /** Runs `body` on a fresh model without and with the limit; returns both results and dispatch counts. */
  async function bothWays<T>(body: (model: Gpt2) => Promise<T>): Promise<{ whole: T; pieces: T; extra: number }> {
    const results: T[] = [];
    const counts: number[] = [];
    for (const limit of [null, LIMIT]) {
      context.maxBindingBytes = limit;
      const model = new Gpt2(context, config);
      try {
        if (limit !== null) {
          // The limit is below wte and every arena, so they must go in pieces.
          expect(model.params.entry('wte.weight').length * 4).toBeGreaterThan(LIMIT);
          expect(model.params.bytes).toBeGreaterThan(LIMIT);
        }
        model.loadParameters(randomParameters(config, 4));
        const before = context.dispatches;
        results.push(await body(model));
        counts.push(context.dispatches - before);
      } finally {
        model.destroy();
        context.maxBindingBytes = null;
      }
    }
    return { whole: results[0], pieces: results[1], extra: counts[1] - counts[0] };
  }

  const sameBits = (label: string, got: ArrayLike<number>, expected: ArrayLike<number>) => {
    expect(got.length, label).toBe(expected.length);
    for (let i = 0; i < expected.length; i++)
      if (!Object.is(got[i], expected[i])) expect(got[i], `${label}[${i}]`).toBe(expected[i]);
  };

  it('SFT steps give the same losses and parameters', async () => {
    const rows = sftRows(6, 8);
    const { whole, pieces, extra } = await bothWays(async (model) => {
      const trainer = new SftTrainer(model, rows, {
        batchSize: 3,
        microBatches: 1,
        seed: 7,
        adamw: DEFAULT_ADAMW,
        schedule,
      });
      const losses: number[] = [];
      for (let step = 0; step < 2; step++) losses.push((await trainer.trainStep({ readLoss: true })).loss!);
      const arenas = {
        params: await context.read(model.params.all()),
        m: await context.read(trainer.optimizer.m.all()),
        v: await context.read(trainer.optimizer.v.all()),
      };
      const gradNorm = await trainer.optimizer.lastGradNorm();
      trainer.destroy();
      return { losses, gradNorm, ...arenas };
    });
    expect(extra).toBeGreaterThan(0);
    sameBits('losses', pieces.losses, whole.losses);
    expect(pieces.gradNorm).toBe(whole.gradNorm);
    for (const name of ['params', 'm', 'v'] as const) sameBits(name, pieces[name], whole[name]);
  });

  it('an offline-RL step (BCPG-NSA) gives the same parameters', async () => {
    const { whole, pieces, extra } = await bothWays(async (model) => {
      const trainer = new OfflineRlTrainer(model, rlExamples(), {
        objective: 'bcpg-nsa',
        hyper: resolveHyper('bcpg-nsa', { tau: 0.05 }),
        groupsPerBatch: 2,
        seed: 1,
        adamw: DEFAULT_ADAMW,
        schedule,
      });
      const rows = 6 * trainer.T; // a row per response
      await trainer.trainStep();
      const params = await context.read(model.params.all());
      trainer.destroy();
      return { params, rows };
    });
    expect(extra).toBeGreaterThan(0);
    // The logits of this batch exceed the limit too: they go in pieces of rows.
    expect(whole.rows * config.vocabSize * 4).toBeGreaterThan(LIMIT);
    sameBits('params', pieces.params, whole.params);
  });

  it('generation gives the same tokens and log-probs', async () => {
    const prompts = [[3, 4, 5], [399], [1, 2, 300, 4]];
    const { whole, pieces, extra } = await bothWays((model) =>
      generate(model, { prompts, maxNewTokens: 8, temperature: 1, topK: 0, seed: 42 }),
    );
    expect(extra).toBeGreaterThan(0);
    expect(pieces.tokens).toEqual(whole.tokens);
    sameBits('logprobs', pieces.logprobs.flat(), whole.logprobs.flat());
    sameBits('model logprobs', pieces.modelLogprobs.flat(), whole.modelLogprobs.flat());
  });
});
