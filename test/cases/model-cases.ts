// The whole GPT-2 on the GPU against its float64 twin: logits' log-probs, the
// loss and every parameter gradient, on a tiny config. Runs in Node, Deno and Chromium.
import type { GpuContext } from '../../src/gpu/context.ts';
import { elementCount, parameterSpecs, type ModelConfig } from '../../src/model/config.ts';
import { Gpt2 } from '../../src/model/gpt2.ts';
import { gpt2Backward, gpt2Forward, type Parameters64 } from '../../src/reference/gpt2.ts';
import { assertClose } from '../../src/util/compare.ts';
import { Random } from '../../src/util/random.ts';
import type { KernelCase } from './kernel-cases.ts';

/** Random parameters with every tensor away from its trivial value, so every gradient matters. */
export function randomParameters(config: ModelConfig, seed: number): Record<string, Float32Array> {
  const random = new Random(seed);
  const out: Record<string, Float32Array> = {};
  for (const spec of parameterSpecs(config)) {
    const data = new Float32Array(elementCount(spec.shape));
    const isGain = spec.name.includes('ln_') && spec.name.endsWith('.weight');
    for (let i = 0; i < data.length; i++)
      data[i] = isGain ? 1 + 0.1 * random.normal() : (spec.decay ? 0.2 : 0.05) * random.normal();
    out[spec.name] = data;
  }
  return out;
}

export function randomBatch(config: ModelConfig, B: number, T: number, seed: number) {
  const random = new Random(seed);
  const tokens = Uint32Array.from({ length: B * T }, () => Math.floor(random.next() * config.vocabSize));
  const targets = Uint32Array.from({ length: B * T }, () => Math.floor(random.next() * config.vocabSize));
  // Uneven weights, some zero (padding) and some negative (a penalised token), as RL objectives give.
  const coefficients = Float32Array.from({ length: B * T }, (_, i) =>
    i % 5 === 4 ? 0 : (random.next() - 0.3) / (B * T),
  );
  return { tokens, targets, coefficients, B, T };
}

// Tolerance of the GPU (f32) against the twin (f64) for forward values and gradients.
export const MODEL_TOLERANCE = { atol: 2e-5, rtol: 2e-3 };

async function checkModel(context: GpuContext, config: ModelConfig, B: number, T: number, seed: number): Promise<void> {
  const parameters = randomParameters(config, seed);
  const batch = randomBatch(config, B, T, seed + 1);
  const model = new Gpt2(context, config);
  try {
    model.loadParameters(parameters);
    await model.zeroGradients();
    await model.forward(batch);
    await model.backward();
    const logprobs = await context.read(model.logprobsView());
    const grads = await model.readParameters(model.grads);

    const p64: Parameters64 = Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, Float64Array.from(v)]));
    const forward = gpt2Forward(config, p64, batch.tokens, batch.targets, batch.coefficients, B, T);
    const expected = gpt2Backward(config, p64, batch.tokens, forward, B, T);
    const shape = `${B}×${T} ${JSON.stringify(config)}`;
    assertClose(`log π(target) ${shape}`, logprobs, forward.logprobs, MODEL_TOLERANCE);
    for (const spec of parameterSpecs(config)) {
      // Scale-aware: a gradient tensor's error is judged against its largest entry.
      const peak = expected[spec.name].reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      assertClose(`∂L/∂${spec.name} ${shape}`, grads[spec.name], expected[spec.name], {
        atol: MODEL_TOLERANCE.atol + 1e-3 * peak,
        rtol: MODEL_TOLERANCE.rtol,
      });
    }
  } finally {
    model.destroy();
  }
}

export const modelCases: KernelCase[] = [
  {
    name: 'GPT-2 forward and every parameter gradient match the float64 twin (tiny config)',
    async run(context) {
      await checkModel(context, { vocabSize: 64, contextLength: 32, width: 32, layers: 2, heads: 2 }, 2, 7, 1);
    },
  },
  {
    name: 'GPT-2 gradients match the twin on awkward sizes (V=13, T=5, C=12, H=3, L=1)',
    async run(context) {
      await checkModel(context, { vocabSize: 13, contextLength: 8, width: 12, layers: 1, heads: 3 }, 3, 5, 2);
    },
  },
];
