// AdamW and clipping by the global gradient norm on the GPU (shaders/adamw.wgsl,
// shaders/grad_norm.wgsl; twins: src/reference/adamw.ts). The clip factor stays on the GPU:
// clipByGlobalNorm writes it to a one-value view that adamw reads, so nothing is read back.
import { bindingPieces, sliceView } from '../gpu/chunks.ts';
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from './grid.ts';

const WG = 64;
/** Most threads in the first stage of the norm (256 workgroups of 64). */
const MAX_PARTIALS = 256 * WG;

export interface AdamWArgs {
  params: BufferView; // [n], updated in place
  grads: BufferView; // [n]
  m: BufferView; // [n], first moment
  v: BufferView; // [n], second moment
  n: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for the bias corrections. */
  step: number;
  /** One f32 on the GPU that multiplies every gradient (the clip factor). */
  gradScale: BufferView;
}

export interface ClipArgs {
  grads: BufferView; // [n]
  n: number;
  /** Clipping is off (scale = 1) when maxNorm ≤ 0 or not finite. */
  maxNorm: number;
  /** Written: one f32, min(1, maxNorm / (‖grads‖ + 1e-6)). */
  scale: BufferView;
  /** Written: one f32, ‖grads‖₂. */
  norm: BufferView;
}

function need(what: string, view: BufferView, n: number): void {
  if (view.size < n * 4) throw new Error(`${what} holds ${Math.floor(view.size / 4)} values, needs ${n}.`);
}

/** One AdamW step (decoupled weight decay) over n values. */
export async function adamw(context: GpuContext, args: AdamWArgs): Promise<void> {
  const { params, grads, m, v, n, lr, beta1, beta2, eps, weightDecay, step, gradScale } = args;
  for (const [what, view] of [
    ['params', params],
    ['grads', grads],
    ['m', m],
    ['v', v],
  ] as const)
    need(`adamw: ${what}`, view, n);
  need('adamw: gradScale', gradScale, 1);
  if (!Number.isInteger(step) || step < 1) throw new Error(`adamw: step is 1-based, got ${step}.`);
  if (n === 0) return;
  // One thread a value: pieces within the binding limit (an arena of GPT-2 124M is 500 MB) give the same values.
  for (const piece of bindingPieces(context, n, 4)) {
    const bytes = new ArrayBuffer(48);
    new Uint32Array(bytes, 0, 1)[0] = piece.count;
    new Float32Array(bytes, 4, 9).set([
      lr,
      beta1,
      beta2,
      1 - beta1,
      1 - beta2,
      1 - beta1 ** step,
      1 - beta2 ** step,
      eps,
      weightDecay,
    ]);
    const slice = (view: BufferView) => sliceView(view, piece, 4);
    await context.run({
      kernel: { shader: 'adamw' },
      buffers: { params: slice(params), grads: slice(grads), m: slice(m), v: slice(v), scale: gradScale },
      uniform: bytes,
      workgroups: grid1d(Math.ceil(piece.count / WG), context.device.limits.maxComputeWorkgroupsPerDimension),
    });
  }
}

const partialsByContext = new WeakMap<GpuContext, BufferView>();

/** norm = ‖grads‖₂ (two deterministic stages) and scale = clipScale(norm, maxNorm), both on the GPU. */
export async function clipByGlobalNorm(context: GpuContext, args: ClipArgs): Promise<void> {
  const { grads, n, maxNorm, scale, norm } = args;
  need('clipByGlobalNorm: grads', grads, n);
  need('clipByGlobalNorm: scale', scale, 1);
  need('clipByGlobalNorm: norm', norm, 1);
  let partials = partialsByContext.get(context);
  if (partials === undefined) {
    partials = context.tensor('gemstone.grad-norm-partials', MAX_PARTIALS);
    partialsByContext.set(context, partials);
  }
  const threads = WG * Math.min(MAX_PARTIALS / WG, Math.max(1, Math.ceil(n / WG)));
  const clip = maxNorm > 0 && Number.isFinite(maxNorm);
  const uniform = (count: number, base: number, first: boolean): ArrayBuffer => {
    const bytes = new ArrayBuffer(32);
    new Uint32Array(bytes, 0, 3).set([count, threads, clip ? 1 : 0]);
    new Float32Array(bytes, 12, 1)[0] = clip ? maxNorm : 0;
    new Uint32Array(bytes, 16, 2).set([base, first ? 1 : 0]);
    return bytes;
  };
  // Value j goes to thread j mod threads in every piece, and each thread carries its sum from piece to piece,
  // so the sums are those of one dispatch, in the same order: the same norm to the bit.
  const pieces = n === 0 ? [{ start: 0, count: 0 }] : bindingPieces(context, n, 4);
  for (const [index, piece] of pieces.entries()) {
    await context.run({
      kernel: { shader: 'grad_norm', entryPoint: 'partial_sums' },
      buffers: { grads: n === 0 ? grads : sliceView(grads, piece, 4), partials, norm, scale },
      uniform: uniform(piece.count, piece.start, index === 0),
      workgroups: [threads / WG],
    });
  }
  await context.run({
    kernel: { shader: 'grad_norm', entryPoint: 'finish' }, // grads unused here: the context binds a spare
    buffers: { grads, partials, norm, scale },
    uniform: uniform(n, 0, true),
    workgroups: [1],
  });
}
