// Sampling the next token on the GPU (shaders/sample.wgsl).
import type { BufferView, GpuContext } from '../gpu/context.ts';

export interface SampleArgs {
  /** [B, V] logits at `position`. */
  logits: BufferView;
  /** [B] u32: rows with promptLength > position + 1 keep their prompt token. */
  promptLengths: BufferView;
  /** [B, maxT] u32 token buffer; position + 1 is written. */
  tokens: BufferView;
  /** [B, maxT] f32: log π_s(token) under the sampling policy (temperature, top-k). */
  logprobs: BufferView;
  /** [B, maxT] f32: log π(token) of the model itself (temperature 1, all tokens). */
  modelLogprobs: BufferView;
  B: number;
  V: number;
  position: number;
  maxT: number;
  temperature: number;
  /** 0 keeps every token. */
  topK: number;
  seed: number;
}

export async function sampleNext(context: GpuContext, args: SampleArgs): Promise<void> {
  if (!(args.temperature > 0)) throw new Error(`sample: temperature must be > 0, got ${args.temperature}.`);
  const uniform = new ArrayBuffer(32);
  new Uint32Array(uniform, 0, 6).set([args.B, args.V, args.position, args.maxT, args.topK, args.seed >>> 0]);
  new Float32Array(uniform, 24, 1)[0] = args.temperature;
  const { logits, promptLengths, tokens, logprobs, modelLogprobs } = args;
  await context.run({
    kernel: { shader: 'sample' },
    buffers: { logits, promptLengths, tokens, logprobs, modelLogprobs },
    uniform,
    workgroups: [Math.ceil(args.B / 64)],
  });
}
