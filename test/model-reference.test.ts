// The float64 GPT-2 twin against central finite differences: every parameter
// tensor, at several coordinates, on a tiny config.
import { describe, expect, it } from 'vitest';
import { elementCount, parameterSpecs, type ModelConfig } from '../src/model/config.ts';
import { gpt2Backward, gpt2Forward, type Parameters64 } from '../src/reference/gpt2.ts';
import { Random } from '../src/util/random.ts';
import { randomBatch, randomParameters } from './cases/model-cases.ts';

const config: ModelConfig = { vocabSize: 7, contextLength: 6, width: 8, layers: 2, heads: 2 };
const [B, T] = [2, 4];

describe('GPT-2 twin', () => {
  const p64: Parameters64 = Object.fromEntries(
    Object.entries(randomParameters(config, 3)).map(([k, v]) => [k, Float64Array.from(v)]),
  );
  const batch = randomBatch(config, B, T, 4);
  const loss = () => gpt2Forward(config, p64, batch.tokens, batch.targets, batch.coefficients, B, T).loss;
  const forward = gpt2Forward(config, p64, batch.tokens, batch.targets, batch.coefficients, B, T);
  const grads = gpt2Backward(config, p64, batch.tokens, forward, B, T);

  it('has the parameter names and shapes of Hugging Face GPT-2', () => {
    const names = parameterSpecs(config).map((s) => s.name);
    expect(names).toContain('wte.weight');
    expect(names).toContain('h.0.attn.c_attn.weight');
    expect(names).toContain('h.1.mlp.c_proj.bias');
    expect(names).toContain('ln_f.weight');
    expect(parameterSpecs(config).find((s) => s.name === 'h.0.attn.c_attn.weight')!.shape).toEqual([8, 24]);
  });

  for (const spec of parameterSpecs(config)) {
    it(`∂L/∂${spec.name} matches finite differences`, () => {
      const random = new Random(elementCount(spec.shape) + spec.name.length);
      const tensor = p64[spec.name];
      const h = 1e-5;
      for (let trial = 0; trial < 6; trial++) {
        const i = Math.floor(random.next() * tensor.length);
        const saved = tensor[i];
        tensor[i] = saved + h;
        const up = loss();
        tensor[i] = saved - h;
        const down = loss();
        tensor[i] = saved;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(grads[spec.name][i] - numeric)).toBeLessThan(1e-8 + 1e-5 * Math.abs(numeric));
      }
    });
  }
});
