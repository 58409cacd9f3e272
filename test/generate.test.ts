// Generation with a KV cache against the training forward: the log-probs it
// reports for the tokens it sampled equal those of a full forward over the
// finished sequences; the same seed gives the same text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuContext } from '../src/gpu/context.ts';
import type { ModelConfig } from '../src/model/config.ts';
import { generate } from '../src/model/generate.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { randomParameters } from './cases/model-cases.ts';

const config: ModelConfig = { vocabSize: 23, contextLength: 16, width: 24, layers: 2, heads: 3 };

describe('generation with a KV cache (llvmpipe)', () => {
  let context: GpuContext;
  let model: Gpt2;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe' });
    model = new Gpt2(context, config);
    model.loadParameters(randomParameters(config, 5));
  });
  afterAll(() => {
    model?.destroy();
    context?.destroy();
  });

  const prompts = [[3, 4, 5], [7], [1, 2, 3, 4, 5, 6]];

  it('reports the same log π as a full forward over the generated sequences', async () => {
    const out = await generate(model, { prompts, maxNewTokens: 8, temperature: 1, topK: 0, seed: 42 });
    const T = Math.max(...prompts.map((p, b) => p.length + out.tokens[b].length)) - 1;
    const B = prompts.length;
    const tokens = new Uint32Array(B * T);
    const targets = new Uint32Array(B * T);
    for (let b = 0; b < B; b++) {
      const full = [...prompts[b], ...out.tokens[b]];
      // Rows run in lockstep up to the longest prompt + maxNewTokens (within the context).
      expect(full.length).toBe(Math.min(config.contextLength, 6 + 8));
      for (let t = 0; t + 1 < full.length && t < T; t++) {
        tokens[b * T + t] = full[t];
        targets[b * T + t] = full[t + 1];
      }
    }
    await model.forward({ tokens, targets, coefficients: new Float32Array(B * T), B, T });
    const logprobs = await context.read(model.logprobsView());
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < out.tokens[b].length; i++) {
        const t = prompts[b].length + i - 1; // position whose target is the i-th generated token
        expect(out.modelLogprobs[b][i]).toBeCloseTo(logprobs[b * T + t], 4);
        // At temperature 1 without top-k, the sampling policy is the model.
        expect(out.logprobs[b][i]).toBeCloseTo(out.modelLogprobs[b][i], 5);
      }
    }
  });

  it('is reproducible for a seed and changes with it; top-k 1 is greedy', async () => {
    const a = await generate(model, { prompts, maxNewTokens: 6, temperature: 0.9, topK: 5, seed: 1 });
    const b = await generate(model, { prompts, maxNewTokens: 6, temperature: 0.9, topK: 5, seed: 1 });
    const c = await generate(model, { prompts, maxNewTokens: 6, temperature: 0.9, topK: 5, seed: 2 });
    expect(b.tokens).toEqual(a.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
    const greedy = await generate(model, { prompts, maxNewTokens: 6, temperature: 1, topK: 1, seed: 3 });
    const greedyAgain = await generate(model, { prompts, maxNewTokens: 6, temperature: 1, topK: 1, seed: 4 });
    expect(greedyAgain.tokens).toEqual(greedy.tokens);
    for (const row of greedy.logprobs) for (const lp of row) expect(lp).toBeCloseTo(0, 6);
  });

  it('stops a row at eos', async () => {
    const options = { prompts, maxNewTokens: 12, temperature: 1.5, topK: 0, seed: 9 };
    const free = await generate(model, options);
    // A token the sampler really draws: row 0's third token (the seed fixes every draw, eos or not).
    const eos = free.tokens[0][2];
    const out = await generate(model, { ...options, eos });
    let ended = 0;
    out.tokens.forEach((row, b) => {
      const first = free.tokens[b].indexOf(eos);
      if (first >= 0) {
        // The row ends with the first eos it drew; what came before is the free run's.
        expect(row).toEqual(free.tokens[b].slice(0, first + 1));
        ended++;
      } else expect(row).toEqual(free.tokens[b]);
    });
    expect(out.tokens[0].length).toBeLessThanOrEqual(3);
    expect(out.tokens[0].at(-1)).toBe(eos);
    expect(out.tokens[0].length).toBeLessThan(free.tokens[0].length);
    expect(ended).toBeGreaterThan(0);
  });

  it('drops finished rows without changing any row: eos runs equal eos-free runs cut at eos', async () => {
    // A longer context so rows finish at different positions and the live rows are repacked.
    const long: ModelConfig = { ...config, contextLength: 48 };
    const longModel = new Gpt2(context, long);
    try {
      longModel.loadParameters(randomParameters(long, 6));
      const many = Array.from({ length: 10 }, (_, b) => [1 + (b % 7), 2 + (b % 5)]);
      const options = { prompts: many, maxNewTokens: 46, temperature: 1.5, topK: 0, seed: 21 };
      const free = await generate(longModel, options);
      // The most frequent token as eos: most rows stop early, at different positions.
      const counts = new Map<number, number>();
      for (const row of free.tokens) for (const t of row) counts.set(t, (counts.get(t) ?? 0) + 1);
      const eos = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
      const firstEos = free.tokens.map((row) => row.indexOf(eos));
      expect(firstEos.filter((i) => i >= 0 && i < 30).length).toBeGreaterThan(3);
      const stopped = await generate(longModel, { ...options, eos });
      for (let b = 0; b < many.length; b++) {
        const end = firstEos[b] < 0 ? free.tokens[b].length : firstEos[b] + 1;
        expect(stopped.tokens[b]).toEqual(free.tokens[b].slice(0, end));
        expect(stopped.logprobs[b]).toEqual(free.logprobs[b].slice(0, end));
        expect(stopped.modelLogprobs[b]).toEqual(free.modelLogprobs[b].slice(0, end));
      }
    } finally {
      longModel.destroy();
    }
  });
});
