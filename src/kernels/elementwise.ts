// Elementwise ops on the GPU (shaders/elementwise.wgsl).
import { bindingPieces, sliceView } from '../gpu/chunks.ts';
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from './grid.ts';

const WG = 64;

function params(n: number, alpha: number): ArrayBuffer {
  const bytes = new ArrayBuffer(16);
  new Uint32Array(bytes, 0, 1)[0] = n;
  new Float32Array(bytes, 4, 1)[0] = alpha;
  return bytes;
}

async function elementwise(
  context: GpuContext,
  entryPoint: string,
  n: number,
  alpha: number,
  x: BufferView,
  y: BufferView,
  out: BufferView,
): Promise<void> {
  if (out.size < n * 4) throw new Error(`${entryPoint}: out holds ${out.size / 4} values, needs ${n}.`);
  // Each value stands alone: pieces within the binding limit give the same values as one dispatch.
  for (const piece of bindingPieces(context, n, 4)) {
    const [gx, gy] = grid1d(Math.ceil(piece.count / WG), context.device.limits.maxComputeWorkgroupsPerDimension);
    await context.run({
      kernel: { shader: 'elementwise', entryPoint },
      buffers: { x: sliceView(x, piece, 4), y: sliceView(y, piece, 4), out: sliceView(out, piece, 4) },
      uniform: params(piece.count, alpha),
      workgroups: [gx, gy],
    });
  }
}

/** out = x + y */
export const add = (c: GpuContext, n: number, x: BufferView, y: BufferView, out: BufferView) =>
  elementwise(c, 'add', n, 0, x, y, out);
/** out = x ⊙ y */
export const mul = (c: GpuContext, n: number, x: BufferView, y: BufferView, out: BufferView) =>
  elementwise(c, 'mul', n, 0, x, y, out);
/** out = alpha · x */
export const scale = (c: GpuContext, n: number, alpha: number, x: BufferView, out: BufferView) =>
  elementwise(c, 'scale', n, alpha, x, x, out);
/** out += alpha · x */
export const axpy = (c: GpuContext, n: number, alpha: number, x: BufferView, out: BufferView) =>
  elementwise(c, 'axpy', n, alpha, x, x, out);
/** out = alpha (its own shader: a buffer cannot be bound both read-only and writable). */
export async function fill(context: GpuContext, n: number, alpha: number, out: BufferView): Promise<void> {
  if (out.size < n * 4) throw new Error(`fill: out holds ${out.size / 4} values, needs ${n}.`);
  for (const piece of bindingPieces(context, n, 4)) {
    const [gx, gy] = grid1d(Math.ceil(piece.count / WG), context.device.limits.maxComputeWorkgroupsPerDimension);
    await context.run({
      kernel: { shader: 'fill' },
      buffers: { out: sliceView(out, piece, 4) },
      uniform: params(piece.count, alpha),
      workgroups: [gx, gy],
    });
  }
}
