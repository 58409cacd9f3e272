// LayerNorm on the GPU (shaders/layernorm.wgsl; twin: src/reference/layernorm.ts).
// Activations are row-major [rows = B·T, C]. Backward accumulates into dx, dweight and dbias.
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { LAYER_NORM_EPS } from '../model/config.ts';
import { grid1d } from './grid.ts';
import { SHADER_WG, workgroupDefine } from './tuning.ts';

export interface LayernormForwardArgs {
  x: BufferView; // [rows, C]
  weight: BufferView; // [C]
  bias: BufferView; // [C]
  out: BufferView; // [rows, C]
  mean: BufferView; // [rows], saved for backward
  rstd: BufferView; // [rows], saved for backward
  rows: number;
  C: number;
  /** Threads per workgroup; default: the context's tuning. */
  WG?: number;
}

export interface LayernormBackwardArgs {
  dout: BufferView; // [rows, C]
  x: BufferView; // [rows, C], the forward's input
  weight: BufferView; // [C]
  mean: BufferView; // [rows], from forward
  rstd: BufferView; // [rows], from forward
  dx: BufferView; // [rows, C], +=
  dweight: BufferView; // [C], +=
  dbias: BufferView; // [C], +=
  rows: number;
  C: number;
  /** Threads per workgroup; default: the context's tuning. */
  WG?: number;
}

function params(rows: number, C: number): ArrayBuffer {
  const bytes = new ArrayBuffer(16);
  new Uint32Array(bytes, 0, 2).set([rows, C]);
  new Float32Array(bytes, 8, 1)[0] = LAYER_NORM_EPS;
  return bytes;
}

function need(what: string, view: BufferView, elements: number): void {
  if (view.size < elements * 4)
    throw new Error(`layernorm: ${what} holds ${Math.floor(view.size / 4)} values, needs ${elements}.`);
}

// Every sum runs in one thread, so the workgroup size never changes a result, only the speed.
function launch(
  context: GpuContext,
  given?: number,
): {
  defines: Record<string, number>;
  grid: (threads: number) => [number, number];
} {
  const WG = given ?? context.kernelTuning?.layernormWG ?? SHADER_WG;
  return {
    defines: workgroupDefine(WG),
    grid: (threads) => grid1d(Math.ceil(threads / WG), context.device.limits.maxComputeWorkgroupsPerDimension),
  };
}

/** out = (x − mean)·rstd·weight + bias per row; writes mean and rstd. */
export async function layernormForward(context: GpuContext, args: LayernormForwardArgs): Promise<void> {
  const { x, weight, bias, out, mean, rstd, rows, C } = args;
  need('x', x, rows * C);
  need('out', out, rows * C);
  need('weight', weight, C);
  need('bias', bias, C);
  need('mean', mean, rows);
  need('rstd', rstd, rows);
  if (rows === 0 || C === 0) return;
  const { defines, grid } = launch(context, args.WG);
  await context.run({
    kernel: { shader: 'layernorm', entryPoint: 'forward', defines },
    buffers: { x, weight, bias, out, mean, rstd },
    uniform: params(rows, C),
    workgroups: grid(rows),
  });
}

/** dx += ∂L/∂x, dweight += Σ dout·n, dbias += Σ dout (three dispatches). */
export async function layernormBackward(context: GpuContext, args: LayernormBackwardArgs): Promise<void> {
  const { dout, x, weight, mean, rstd, dx, dweight, dbias, rows, C } = args;
  need('dout', dout, rows * C);
  need('x', x, rows * C);
  need('dx', dx, rows * C);
  need('weight', weight, C);
  need('dweight', dweight, C);
  need('dbias', dbias, C);
  need('mean', mean, rows);
  need('rstd', rstd, rows);
  if (rows === 0 || C === 0) return;
  const shared = { x, weight, dout, mean, rstd };
  const uniform = params(rows, C);
  const { defines, grid } = launch(context, args.WG);
  await context.run({
    kernel: { shader: 'layernorm', entryPoint: 'backward_dx', defines },
    buffers: { ...shared, out: dx },
    uniform,
    workgroups: grid(rows),
  });
  await context.run({
    kernel: { shader: 'layernorm', entryPoint: 'backward_dweight', defines },
    buffers: { ...shared, out: dweight },
    uniform,
    workgroups: grid(C),
  });
  await context.run({
    kernel: { shader: 'layernorm', entryPoint: 'backward_dbias', defines },
    buffers: { ...shared, out: dbias },
    uniform,
    workgroups: grid(C),
  });
}
