// GELU (tanh approximation) on the GPU (shaders/gelu.wgsl; twin: src/reference/gelu.ts).
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from './grid.ts';

const WG = 64;

export interface GeluForwardArgs {
  x: BufferView; // [n]
  out: BufferView; // [n]
  n: number;
}

export interface GeluBackwardArgs {
  x: BufferView; // [n], the forward's input
  dout: BufferView; // [n]
  dx: BufferView; // [n], written (=), not accumulated
  n: number;
}

function need(what: string, view: BufferView, n: number): void {
  if (view.size < n * 4) throw new Error(`gelu: ${what} holds ${Math.floor(view.size / 4)} values, needs ${n}.`);
}

async function dispatch(
  context: GpuContext,
  entryPoint: string,
  n: number,
  buffers: Record<string, BufferView>,
): Promise<void> {
  if (n === 0) return;
  await context.run({
    kernel: { shader: 'gelu', entryPoint },
    buffers,
    uniform: new Uint32Array([n, 0, 0, 0]),
    workgroups: grid1d(Math.ceil(n / WG), context.device.limits.maxComputeWorkgroupsPerDimension),
  });
}

/** out = ½x(1 + tanh(√(2/π)(x + 0.044715x³))) */
export async function geluForward(context: GpuContext, { x, out, n }: GeluForwardArgs): Promise<void> {
  need('x', x, n);
  need('out', out, n);
  await dispatch(context, 'forward', n, { x, out });
}

/** dx = dout · gelu′(x) */
export async function geluBackward(context: GpuContext, { x, dout, dx, n }: GeluBackwardArgs): Promise<void> {
  need('x', x, n);
  need('dout', dout, n);
  need('dx', dx, n);
  await dispatch(context, 'backward', n, { x, dout, out: dx });
}
