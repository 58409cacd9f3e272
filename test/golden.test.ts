// An independent golden check: a tiny GPT-2 built in plain PyTorch
// (scripts/golden/make_gpt2_fixture.py, run by hand) wrote its weights, inputs,
// logits, loss and every parameter gradient; the GPU model must match them all.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../src/checkpoint/safetensors.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { parameterSpecs } from '../src/model/config.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { assertClose } from '../src/util/compare.ts';

const FIXTURE = new URL('./fixtures/gpt2-tiny-golden.safetensors', import.meta.url);
const config = { vocabSize: 64, contextLength: 32, width: 32, layers: 2, heads: 2 };

describe('PyTorch golden GPT-2 (llvmpipe)', () => {
  let context: GpuContext;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe' });
  });
  afterAll(() => context?.destroy());

  it('matches logits, loss and every parameter gradient', async () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    const { tensors } = decodeSafetensors(bytes, 'gpt2-tiny-golden.safetensors');
    const parameters = Object.fromEntries(
      parameterSpecs(config).map((spec) => {
        const tensor = tensors[spec.name];
        expect(tensor.shape, spec.name).toEqual(spec.shape);
        return [spec.name, tensor.data as Float32Array];
      }),
    );
    const [B, T] = tensors['inputs.tokens'].shape;
    const tokens = Uint32Array.from(tensors['inputs.tokens'].data as Int32Array);
    const targets = Uint32Array.from(tensors['inputs.targets'].data as Int32Array);
    // Mean cross-entropy over all B·T positions: c = 1 / (B·T).
    const coefficients = new Float32Array(B * T).fill(1 / (B * T));

    const model = new Gpt2(context, config);
    model.loadParameters(parameters);
    await model.zeroGradients();
    await model.forward({ tokens, targets, coefficients, B, T }, { keepLogits: true });
    await model.backward();
    const logits = await model.readLogits();
    const logprobs = await context.read(model.logprobsView());
    const grads = await model.readParameters(model.grads);
    model.destroy();

    assertClose('logits', logits, tensors['expected.logits'].data as Float32Array, { atol: 2e-5, rtol: 1e-4 });
    const loss = -logprobs.reduce((s, lp) => s + lp, 0) / (B * T);
    assertClose('loss', [loss], tensors['expected.loss'].data as Float32Array, { atol: 1e-5, rtol: 1e-5 });
    for (const spec of parameterSpecs(config)) {
      const expected = tensors[`expected.grad.${spec.name}`].data as Float32Array;
      const peak = expected.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      assertClose(`∂loss/∂${spec.name}`, grads[spec.name], expected, { atol: 1e-6 + 1e-3 * peak, rtol: 1e-3 });
    }
  });
});
