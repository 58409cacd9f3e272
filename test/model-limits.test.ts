// A model too large for the adapter fails with one sentence that says why, not a GPU validation error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuContext } from '../src/gpu/context.ts';
import { parameterCount, presetConfig } from '../src/model/config.ts';
import { Gpt2 } from '../src/model/gpt2.ts';

describe('adapter limits (llvmpipe: 128 MiB per binding)', () => {
  let context: GpuContext;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe' });
  });
  afterAll(() => context?.destroy());

  it('builds GPT-2 124M’s parameter layout and says clearly that it does not fit one binding here', async () => {
    const config = presetConfig('gpt2-124m', { layers: 4 }); // 4 of 12 blocks: 67M parameters, 270 MB a arena
    expect(parameterCount(presetConfig('gpt2-124m'))).toBe(124_439_808);
    const model = new Gpt2(context, config);
    try {
      await expect(model.zeroGradients()).rejects.toThrow(
        /binds \d+\.\d MiB of arena:gradients; this adapter binds at most 128\.0 MiB/,
      );
    } finally {
      model.destroy();
    }
  });
});
