// `npm run bench -- --only gpt2`: GPT-2 124M (its wte and arenas larger than one binding on llvmpipe, bound in
// pieces), training steps at B = 1, T = 64: forward, backward and AdamW of the second step timed, with the largest
// binding the step needed. Not part of `all`: it needs about 2 GB of buffers and minutes on a software adapter.
import type { GpuContext } from '../src/gpu/context.ts';
import { presetConfig } from '../src/model/config.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { AdamW, DEFAULT_ADAMW } from '../src/train/optimizer.ts';
import { Random } from '../src/util/random.ts';

export interface Gpt2Bench {
  name: string;
  /** Seconds, or null where the device's buffers do not allow the step (see `refused`). */
  forward_s: number | null;
  backward_s: number | null;
  adamw_s: number | null;
  /** The device's binding limit and the largest tensor or arena bound in pieces under it. */
  binding_limit_bytes: number;
  largest_range_bytes: number;
  refused: string | null;
}

export async function benchGpt2(context: GpuContext, B = 1, T = 64): Promise<Gpt2Bench> {
  const config = presetConfig('gpt2-124m');
  const result: Gpt2Bench = {
    name: `gpt2-124m step, B ${B} × T ${T}`,
    forward_s: null,
    backward_s: null,
    adamw_s: null,
    binding_limit_bytes: context.bindingLimit,
    largest_range_bytes: 0,
    refused: null,
  };
  let model: Gpt2 | null = null;
  let optimizer: AdamW | null = null;
  try {
    model = new Gpt2(context, config);
    optimizer = new AdamW(model, DEFAULT_ADAMW);
  } catch (error) {
    // Buffers over maxBufferSize: a clear line instead of a step.
    result.refused = (error as Error).message;
    optimizer?.destroy();
    model?.destroy();
    return result;
  }
  try {
    result.largest_range_bytes = model.params.bytes;
    model.initialize(1);
    const random = new Random(2);
    const token = () => Math.floor(random.next() * config.vocabSize);
    const tokens = Uint32Array.from({ length: B * T }, token);
    const targets = Uint32Array.from({ length: B * T }, token);
    const coefficients = new Float32Array(B * T).fill(1 / (B * T));
    const timed = async (run: () => Promise<void>): Promise<number> => {
      await context.sync();
      const start = performance.now();
      await run();
      await context.sync();
      return (performance.now() - start) / 1000;
    };
    // Two steps; the second is timed (the first compiles the pipelines).
    for (let step = 0; step < 2; step++) {
      await model.zeroGradients();
      result.forward_s = await timed(() => model!.forward({ tokens, targets, coefficients, B, T }));
      result.backward_s = await timed(() => model!.backward());
      result.adamw_s = await timed(() => optimizer!.update(1e-4));
    }
    const loss = await context.read(model.logprobsView());
    if (!loss.every(Number.isFinite)) throw new Error('gpt2-124m bench: a log-prob is not finite.');
    return result;
  } finally {
    optimizer.destroy();
    model.destroy();
  }
}
