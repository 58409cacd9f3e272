// The whole GPT-2 on the GPU against its float64 twin: logits' log-probs, the
// loss and every parameter gradient, on a tiny config. Runs in Node, Deno and Chromium.
import { encodeCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { fastKernelAccepts } from '../../src/kernels/matmul.ts';
import { elementCount, parameterSpecs, type ModelConfig } from '../../src/model/config.ts';
import { Gpt2 } from '../../src/model/gpt2.ts';
import { AdamW } from '../../src/train/optimizer.ts';
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
    await expectZeroPadding(model, model.grads, 'gradient');

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

/** wte's padding rows on the GPU (rows V … Vp − 1 of a parameter-shaped arena) must be exactly zero. */
async function expectZeroPadding(model: Gpt2, arena: Gpt2['params'], what: string): Promise<void> {
  const { vocabSize: V, width: C } = model.config;
  const wte = await model.context.read(arena.view('wte.weight'));
  if (wte.length !== model.paddedVocab * C) throw new Error(`wte holds ${wte.length} values, not Vp·C`);
  for (let i = V * C; i < wte.length; i++)
    if (wte[i] !== 0) throw new Error(`${what}: padding row ${Math.floor(i / C)} of wte holds ${wte[i]}`);
}

/** A padded model's parameters and moments, as a checkpoint, after `steps` AdamW steps from `parameters`. */
async function trainAndSave(
  context: GpuContext,
  config: ModelConfig,
  parameters: Record<string, Float32Array>,
  moments: { m: Record<string, Float32Array>; v: Record<string, Float32Array> },
  steps: number,
  padVocabulary: boolean,
): Promise<{ bytes: Uint8Array; state: Record<string, Float32Array> }> {
  const model = new Gpt2(context, config, { padVocabulary });
  const optimizer = new AdamW(model);
  try {
    model.loadParameters(parameters);
    optimizer.restore({ optimizer: { hyper: {}, ...moments }, step: 0 });
    for (let s = 0; s < steps; s++) {
      await model.zeroGradients();
      await model.forward(randomBatch(config, 2, 5, 40 + s));
      await model.backward();
      await optimizer.update(1e-2);
    }
    for (const [arena, what] of [
      [model.params, 'parameter'],
      [optimizer.m, 'first moment'],
      [optimizer.v, 'second moment'],
    ] as const)
      await expectZeroPadding(model, arena, `${what} after ${steps} AdamW steps`);
    const state = await model.readParameters();
    const m = await model.readParameters(optimizer.m);
    const v = await model.readParameters(optimizer.v);
    const bytes = encodeCheckpoint({
      config,
      step: steps,
      rng: null,
      dataPosition: null,
      optimizer: { hyper: {}, m, v },
      parameters: state,
    });
    return { bytes, state };
  } finally {
    model.destroy();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
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
  {
    name: 'GPT-2 with its vocabulary padded for the fast kernels matches the twin at the true V (V=39, V=7)',
    async run(context) {
      for (const [V, seed] of [
        [39, 3],
        [7, 4],
      ]) {
        const config = { vocabSize: V, contextLength: 8, width: 16, layers: 2, heads: 2 };
        const model = new Gpt2(context, config);
        const Vp = model.paddedVocab;
        model.destroy();
        if (Vp <= V || Vp % 4 !== 0) throw new Error(`V=${V} should be padded to a multiple of 4, got Vp=${Vp}`);
        // The LM head's backward products at Vp are ones the fast kernels take (at V they are not).
        const C = config.width;
        for (const vocab of [Vp, V]) {
          const fast =
            fastKernelAccepts('tn', { M: vocab, N: C, K: 18, transA: true }) &&
            fastKernelAccepts('nn', { M: 18, N: C, K: vocab });
          if (fast !== (vocab === Vp)) throw new Error(`V=${vocab}: the fast kernels ${fast ? 'take' : 'refuse'} it`);
        }
        await checkModel(context, config, 3, 6, seed);
      }
    },
  },
  {
    name: 'padded vocabulary: checkpoints hold the true [V, C] and equal the unpadded ones; padding stays zero',
    async run(context) {
      const config = { vocabSize: 39, contextLength: 8, width: 16, layers: 1, heads: 2 };
      const parameters = randomParameters(config, 11);
      const moments = { m: randomParameters(config, 12), v: randomParameters(config, 13) };
      for (const tensor of Object.values(moments.v)) for (let i = 0; i < tensor.length; i++) tensor[i] **= 2;
      // Saved without a step: the same parameters and moments give the same bytes, padded or not.
      const padded = await trainAndSave(context, config, parameters, moments, 0, true);
      const plain = await trainAndSave(context, config, parameters, moments, 0, false);
      if (!sameBytes(padded.bytes, plain.bytes))
        throw new Error('a padded model saves other bytes than an unpadded one');
      if (padded.state['wte.weight'].length !== 39 * 16) throw new Error('wte is not saved at the true [V, C]');
      // After AdamW steps: the padding rows stay zero, and both compute the same function.
      const paddedTrained = await trainAndSave(context, config, parameters, moments, 3, true);
      const plainTrained = await trainAndSave(context, config, parameters, moments, 3, false);
      for (const spec of parameterSpecs(config))
        assertClose(`${spec.name} after 3 steps`, paddedTrained.state[spec.name], plainTrained.state[spec.name], {
          atol: 1e-5,
          rtol: 1e-4,
        });
    },
  },
];
