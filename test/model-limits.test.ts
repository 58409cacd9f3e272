// GPT-2 124M's wte (154 MB) and arenas exceed llvmpipe's 128 MiB per binding: they are bound in pieces. A single
// activation over the limit still fails with one sentence that says why, not a GPU validation error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuContext } from '../src/gpu/context.ts';
import { fill } from '../src/kernels/elementwise.ts';
import { encoderForward } from '../src/kernels/encoder.ts';
import { geluForward } from '../src/kernels/gelu.ts';
import { parameterCount, presetConfig } from '../src/model/config.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { Random } from '../src/util/random.ts';

describe('adapter limits (llvmpipe: 128 MiB per binding)', () => {
  let context: GpuContext;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe' });
  });
  afterAll(() => context?.destroy());

  it('zeroes GPT-2 124M-sized arenas and gathers from its whole wte, in pieces', async () => {
    const config = presetConfig('gpt2-124m', { layers: 4 }); // 4 of 12 blocks: 67M parameters, 270 MB an arena
    expect(parameterCount(presetConfig('gpt2-124m'))).toBe(124_439_808);
    const limit = context.device.limits.maxStorageBufferBindingSize;
    const model = new Gpt2(context, config);
    const C = config.width;
    try {
      const wte = model.params.view('wte.weight');
      expect(wte.size).toBeGreaterThan(limit);
      expect(model.grads.bytes).toBeGreaterThan(limit);
      // Every gradient set to 1, then zeroed: the last tensor of the arena lies past the first piece.
      await fill(context, model.grads.length, 1, model.grads.all());
      await model.zeroGradients();
      const last = await model.grads.read('ln_f.bias');
      expect(last.every((x) => x === 0)).toBe(true);
      // Rows on both sides of the first piece's end of wte.
      const tokens = Uint32Array.from([0, 30_000, 45_000, config.vocabSize - 1]);
      const random = new Random(3);
      const rows = [...tokens].map(() => random.floats(C));
      tokens.forEach((token, i) => {
        context.upload({ buffer: wte.buffer, offset: wte.offset + token * C * 4, size: C * 4 }, rows[i]);
      });
      const wpe = random.floats(tokens.length * C);
      context.upload(model.params.view('wpe.weight'), wpe);
      const tokensView = context.tensor('test.tokens', tokens);
      const out = context.tensor('test.out', tokens.length * C);
      try {
        await encoderForward(context, {
          tokens: tokensView,
          wte,
          wpe: model.params.view('wpe.weight'),
          out,
          B: 1,
          T: tokens.length,
          C,
        });
        const got = await context.read(out);
        for (let t = 0; t < tokens.length; t++)
          for (let c = 0; c < C; c++) expect(got[t * C + c]).toBe(Math.fround(rows[t][c] + wpe[t * C + c]));
      } finally {
        context.destroyBuffer(tokensView.buffer);
        context.destroyBuffer(out.buffer);
      }
    } finally {
      model.destroy();
    }
  });

  it('reads an arena through a staging buffer smaller than it, piece by piece, as one read would', async () => {
    const model = new Gpt2(context, presetConfig('tiny'));
    const saved = context.maxReadBytes;
    try {
      model.initialize(5);
      const whole = await model.readParameters();
      const wpe = await model.params.read('wpe.weight');
      context.maxReadBytes = 1002; // pieces of 1000 bytes: not a divisor of any tensor, and not of the arena
      const pieces = await model.readParameters();
      expect(Object.keys(pieces)).toEqual(Object.keys(whole));
      for (const name of Object.keys(whole)) expect(pieces[name], name).toEqual(whole[name]);
      expect(await model.params.read('wpe.weight')).toEqual(wpe);
      expect(model.params.bytes).toBeGreaterThan(100 * 1000);
    } finally {
      context.maxReadBytes = saved;
      model.destroy();
    }
  });

  it('says clearly when one activation does not fit one binding', async () => {
    const x = context.tensor('test.activation', 4096);
    const saved = context.maxBindingBytes;
    context.maxBindingBytes = 8192;
    try {
      await expect(geluForward(context, { x, out: x, n: 4096 })).rejects.toThrow(
        /binds 16384 bytes of test\.activation; this adapter binds at most 8192 bytes \(use a smaller model or batch\)/,
      );
    } finally {
      context.maxBindingBytes = saved;
      context.destroyBuffer(x.buffer);
    }
  });
});
