// Bias of a linear layer on the GPU (shaders/bias.wgsl; twin: src/reference/bias.ts).
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from './grid.ts';

const WG = 64;

export interface BiasAddArgs {
  out: BufferView; // [rows, N], in place
  bias: BufferView; // [N]
  rows: number;
  N: number;
}

export interface BiasBackwardArgs {
  dout: BufferView; // [rows, N]
  dbias: BufferView; // [N], +=
  rows: number;
  N: number;
}

function need(what: string, view: BufferView, n: number): void {
  if (view.size < n * 4) throw new Error(`bias: ${what} holds ${Math.floor(view.size / 4)} values, needs ${n}.`);
}

function grid(context: GpuContext, threads: number): [number, number] {
  return grid1d(Math.ceil(threads / WG), context.device.limits.maxComputeWorkgroupsPerDimension);
}

/** out[r, n] += bias[n] */
export async function biasAdd(context: GpuContext, { out, bias, rows, N }: BiasAddArgs): Promise<void> {
  need('out', out, rows * N);
  need('bias', bias, N);
  if (rows * N === 0) return;
  await context.run({
    kernel: { shader: 'bias', entryPoint: 'add' },
    buffers: { bias, out },
    uniform: new Uint32Array([rows, N, 0, 0]),
    workgroups: grid(context, rows * N),
  });
}

/** dbias[n] += Σ_r dout[r, n] */
export async function biasBackward(context: GpuContext, { dout, dbias, rows, N }: BiasBackwardArgs): Promise<void> {
  need('dout', dout, rows * N);
  need('dbias', dbias, N);
  if (N === 0) return;
  await context.run({
    kernel: { shader: 'bias', entryPoint: 'backward' },
    buffers: { dout, out: dbias },
    uniform: new Uint32Array([rows, N, 0, 0]),
    workgroups: grid(context, N),
  });
}
