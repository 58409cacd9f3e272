// Row-wise kernels: softmax (forward, backward) and reductions.
import { bindingPieces, sliceView } from '../gpu/chunks.ts';
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from './grid.ts';
import { SHADER_WG, workgroupDefine } from './tuning.ts';

function rowParams(rows: number, cols: number): Uint32Array {
  return new Uint32Array([rows, cols, 0, 0]);
}

function rowGrid(context: GpuContext, rows: number): [number, number] {
  return grid1d(rows, context.device.limits.maxComputeWorkgroupsPerDimension);
}

/** One workgroup a row: the dispatch every row kernel below shares; WG sets its size (a power of two). */
function runRows(
  context: GpuContext,
  shader: string,
  entryPoint: string,
  rows: number,
  cols: number,
  buffers: Record<string, BufferView>,
  WG = SHADER_WG,
): Promise<void> {
  return context.run({
    kernel: { shader, entryPoint, defines: workgroupDefine(WG) },
    buffers,
    uniform: rowParams(rows, cols),
    workgroups: rowGrid(context, rows),
  });
}

/** Threads per softmax row: given, else measured on this device, else the shader's. */
export function rowsWorkgroup(context: GpuContext, WG?: number): number {
  return WG ?? context.kernelTuning?.rowsWG ?? SHADER_WG;
}

/** out = softmax(x) along each of `rows` rows of `cols` values; WG threads a row (default: the tuning). */
export async function softmax(
  context: GpuContext,
  rows: number,
  cols: number,
  x: BufferView,
  out: BufferView,
  WG?: number,
): Promise<void> {
  await runRows(context, 'softmax', 'forward', rows, cols, { x, dp: x, out }, rowsWorkgroup(context, WG));
}

/** dx = p ⊙ (dp − Σ p ⊙ dp) along each row, given the forward's output p. */
export async function softmaxBackward(
  context: GpuContext,
  rows: number,
  cols: number,
  p: BufferView,
  dp: BufferView,
  dx: BufferView,
  WG?: number,
): Promise<void> {
  await runRows(context, 'softmax', 'backward', rows, cols, { x: p, dp, out: dx }, rowsWorkgroup(context, WG));
}

export async function rowSum(
  context: GpuContext,
  rows: number,
  cols: number,
  x: BufferView,
  out: BufferView,
): Promise<void> {
  await runRows(context, 'reduce', 'row_sum', rows, cols, { x, out });
}

export async function rowMax(
  context: GpuContext,
  rows: number,
  cols: number,
  x: BufferView,
  out: BufferView,
): Promise<void> {
  await runRows(context, 'reduce', 'row_max', rows, cols, { x, out });
}

/** x[r, :] *= s[r] for each of `rows` rows of `cols` values. */
export async function scaleRows(
  context: GpuContext,
  rows: number,
  cols: number,
  s: BufferView,
  x: BufferView,
): Promise<void> {
  // x may be the logits of a large batch: pieces of rows within the binding limit, with the same values.
  for (const piece of bindingPieces(context, rows, cols * 4)) {
    const threads = piece.count * cols;
    const [gx, gy] = grid1d(Math.ceil(threads / 64), context.device.limits.maxComputeWorkgroupsPerDimension);
    await context.run({
      kernel: { shader: 'scale_rows' },
      buffers: { s, x: sliceView(x, piece, cols * 4) },
      uniform: new Uint32Array([piece.count, cols, piece.start, 0]),
      workgroups: [gx, gy],
    });
  }
}
