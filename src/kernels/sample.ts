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
  /** The true vocabulary: tokens ≥ V (padding columns of logits) are never drawn. */
  V: number;
  /** Row stride of logits (the padded vocabulary, ≥ V); default V. */
  stride?: number;
  position: number;
  maxT: number;
  temperature: number;
  /** 0 keeps every token. */
  topK: number;
  seed: number;
  /** [B] u32: logits row a samples for sequence rows[a] (default: row a for sequence a). */
  rows?: BufferView;
  /** With eos, [maxB] u32: done[b] is set to 1 when sequence b samples eos. */
  done?: BufferView;
  eos?: number;
}

export async function sampleNext(context: GpuContext, args: SampleArgs): Promise<void> {
  if (!(args.temperature > 0)) throw new Error(`sample: temperature must be > 0, got ${args.temperature}.`);
  if ((args.eos === undefined) !== (args.done === undefined))
    throw new Error('sample: eos and done are given together or not at all.');
  const uniform = new ArrayBuffer(48);
  const words = new Uint32Array(uniform);
  words.set([args.B, args.V, args.position, args.maxT, args.topK, args.seed >>> 0]);
  new Float32Array(uniform, 24, 1)[0] = args.temperature;
  words[7] = args.rows === undefined ? 0 : 1;
  words[8] = args.eos === undefined ? 0 : args.eos + 1;
  const stride = args.stride ?? args.V;
  if (stride < args.V) throw new Error(`sample: stride ${stride} is below V ${args.V}.`);
  words[9] = stride;
  const { logits, promptLengths, tokens, logprobs, modelLogprobs } = args;
  // Unmapped or without eos the kernel never reads rows / writes done: other views of the right kind fill them.
  const buffers = { logits, promptLengths, tokens, logprobs, modelLogprobs };
  await context.run({
    kernel: { shader: 'sample' },
    buffers: { ...buffers, rows: args.rows ?? promptLengths, done: args.done ?? unusedFlags(context) },
    uniform,
    workgroups: [Math.ceil(args.B / 64)],
  });
}

// A writable binding of its own for `done` when no eos is asked (it is then never written).
const unused = new WeakMap<GpuContext, BufferView>();
function unusedFlags(context: GpuContext): BufferView {
  let view = unused.get(context);
  if (view === undefined) {
    view = context.tensor('sample.unused-done', 4);
    unused.set(context, view);
  }
  return view;
}
