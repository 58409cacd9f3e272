// The output layer's log-probs and loss gradient on the GPU, fused in one pass
// per row (shaders/output_logprob.wgsl); CPU twin in src/reference/output.ts.
import { bindingPieces, sliceView } from '../gpu/chunks.ts';
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from './grid.ts';
import { rowsWorkgroup } from './rows.ts';
import { workgroupDefine } from './tuning.ts';

export interface OutputLogprobsArgs {
  /** [rows, V] f32; OVERWRITTEN with dlogits = c · (softmax − onehot(target)) */
  logits: BufferView;
  /** [rows] u32 token ids; an id ≥ V (padding) gives logprob 0 and no one-hot term */
  targets: BufferView;
  /** [rows] f32 per-token coefficients c (SFT cross-entropy: mask / count) */
  coefficients: BufferView;
  /** [rows] f32, written: log softmax(logits)[target] */
  logprobs: BufferView;
  rows: number;
  /** The true vocabulary: columns j ≥ V of a row are padding, ignored and given zero gradient. */
  V: number;
  /** Row stride of logits (the padded vocabulary, ≥ V); default V. */
  stride?: number;
  /** Threads a row (a power of two); default: the context's tuning of the softmax rows. */
  WG?: number;
}

/**
 * logprobs = log softmax(logits)[target], then logits ← ∂L/∂logits for the loss
 * L = −Σ_r c_r · logprob_r. Stable for large logits (max subtracted first).
 */
export async function outputLogprobs(context: GpuContext, args: OutputLogprobsArgs): Promise<void> {
  const { logits, targets, coefficients, logprobs, rows, V, stride = V } = args;
  for (const [name, value] of Object.entries({ rows, V, stride })) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`outputLogprobs: ${name} must be a positive integer, got ${value}.`);
  }
  if (stride < V) throw new Error(`outputLogprobs: stride ${stride} is below V ${V}.`);
  const need: Record<string, [BufferView, number]> = {
    logits: [logits, rows * stride],
    targets: [targets, rows],
    coefficients: [coefficients, rows],
    logprobs: [logprobs, rows],
  };
  for (const [name, [view, elements]] of Object.entries(need)) {
    if (view.size < elements * 4)
      throw new Error(`outputLogprobs: ${name} holds ${Math.floor(view.size / 4)} values, needs ${elements}.`);
  }
  // A workgroup a row: logits larger than one binding go in pieces of rows, with the same values.
  for (const piece of bindingPieces(context, rows, stride * 4)) {
    await context.run({
      kernel: { shader: 'output_logprob', defines: workgroupDefine(rowsWorkgroup(context, args.WG)) },
      buffers: { targets, coefficients, logits: sliceView(logits, piece, stride * 4), logprobs },
      uniform: new Uint32Array([piece.count, V, stride, piece.start]),
      workgroups: grid1d(piece.count, context.device.limits.maxComputeWorkgroupsPerDimension),
    });
  }
}
