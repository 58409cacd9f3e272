// Row-wise kernels: softmax (forward, backward) and reductions.
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from './grid.ts';

function rowParams(rows: number, cols: number): Uint32Array {
  return new Uint32Array([rows, cols, 0, 0]);
}

function rowGrid(context: GpuContext, rows: number): [number, number] {
  return grid1d(rows, context.device.limits.maxComputeWorkgroupsPerDimension);
}

/** out = softmax(x) along each of `rows` rows of `cols` values. */
export async function softmax(
  context: GpuContext,
  rows: number,
  cols: number,
  x: BufferView,
  out: BufferView,
): Promise<void> {
  await context.run({
    kernel: { shader: 'softmax', entryPoint: 'forward' },
    buffers: { x, dp: x, out },
    uniform: rowParams(rows, cols),
    workgroups: rowGrid(context, rows),
  });
}

/** dx = p ⊙ (dp − Σ p ⊙ dp) along each row, given the forward's output p. */
export async function softmaxBackward(
  context: GpuContext,
  rows: number,
  cols: number,
  p: BufferView,
  dp: BufferView,
  dx: BufferView,
): Promise<void> {
  await context.run({
    kernel: { shader: 'softmax', entryPoint: 'backward' },
    buffers: { x: p, dp, out: dx },
    uniform: rowParams(rows, cols),
    workgroups: rowGrid(context, rows),
  });
}

export async function rowSum(
  context: GpuContext,
  rows: number,
  cols: number,
  x: BufferView,
  out: BufferView,
): Promise<void> {
  await context.run({
    kernel: { shader: 'reduce', entryPoint: 'row_sum' },
    buffers: { x, out },
    uniform: rowParams(rows, cols),
    workgroups: rowGrid(context, rows),
  });
}

export async function rowMax(
  context: GpuContext,
  rows: number,
  cols: number,
  x: BufferView,
  out: BufferView,
): Promise<void> {
  await context.run({
    kernel: { shader: 'reduce', entryPoint: 'row_max' },
    buffers: { x, out },
    uniform: rowParams(rows, cols),
    workgroups: rowGrid(context, rows),
  });
}

/** x[r, :] *= s[r] for each of `rows` rows of `cols` values. */
export async function scaleRows(
  context: GpuContext,
  rows: number,
  cols: number,
  s: BufferView,
  x: BufferView,
): Promise<void> {
  const [gx, gy] = grid1d(Math.ceil((rows * cols) / 64), context.device.limits.maxComputeWorkgroupsPerDimension);
  await context.run({
    kernel: { shader: 'scale_rows' },
    buffers: { s, x },
    uniform: rowParams(rows, cols),
    workgroups: [gx, gy],
  });
}
