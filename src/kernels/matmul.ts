// C = op(A) · op(B) on the GPU, in the three forms a transformer's forward and
// backward need: A·B (nn), A·Bᵀ (nt), Aᵀ·B (tn). Fast register-blocked kernels
// where the shape meets their alignment, the simple kernel otherwise.
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { SHADER_SOURCES } from '../gpu/shader-sources.generated.ts';
import type { MatmulShape } from '../reference/matmul.ts';
import { matmulBlock, widthClass, type MatmulBlock, type MatmulForm } from './tuning.ts';

export interface MatmulArgs extends MatmulShape {
  a: BufferView;
  b: BufferView;
  c: BufferView;
  /** Which kernel: 'auto' (default) picks the fast one when the shape allows. */
  kernel?: 'auto' | 'fast' | 'simple';
  /** Override the adapter's block shape (benchmarks, tests). */
  block?: MatmulBlock;
  /** [N] added to every row of A·B before any accumulate: C (+)= A·B + bias. Form nn only. */
  bias?: BufferView;
}

export function matmulForm(shape: MatmulShape): MatmulForm | null {
  if (shape.transA && shape.transB) return null;
  return shape.transA ? 'tn' : shape.transB ? 'nt' : 'nn';
}

/** Reads "// requires: K % 4 == 0, N % 4 == 0" from the first line of a fast kernel. */
export function fastKernelAccepts(form: MatmulForm, shape: MatmulShape): boolean {
  const source = SHADER_SOURCES[`matmul_${form}`];
  if (source === undefined) return false;
  const firstLine = source.split('\n', 1)[0];
  const match = /^\/\/\s*requires:\s*(.*)$/.exec(firstLine);
  if (match === null) return true;
  const dims: Record<string, number> = { M: shape.M, N: shape.N, K: shape.K };
  return match[1].split(',').every((term) => {
    const t = /^\s*([MNK])\s*%\s*(\d+)\s*==\s*0\s*$/.exec(term);
    if (t === null) throw new Error(`shaders/matmul_${form}.wgsl: cannot read requirement "${term.trim()}".`);
    return dims[t[1]] % Number(t[2]) === 0;
  });
}

/**
 * The multiple every dimension must be for all three fast forms to take it: the least common multiple of the
 * moduli in their "requires" lines. The model pads its vocabulary to this (src/model/gpt2.ts).
 */
export function fastKernelAlignment(): number {
  let alignment = 1;
  for (const form of ['nn', 'nt', 'tn'] as const) {
    const firstLine = SHADER_SOURCES[`matmul_${form}`]?.split('\n', 1)[0] ?? '';
    for (const [, modulus] of firstLine.matchAll(/[MNK]\s*%\s*(\d+)/g)) alignment = lcm(alignment, Number(modulus));
  }
  return alignment;
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}

function dimsUniform(shape: MatmulShape): Uint32Array {
  const { M, N, K, accumulate = false } = shape;
  return new Uint32Array([M, N, K, accumulate ? 1 : 0, M * K, K * N, M * N, 0]);
}

export async function matmul(context: GpuContext, args: MatmulArgs): Promise<void> {
  const { M, N, K, batch = 1 } = args;
  checkSize('a', args.a, batch * M * K);
  checkSize('b', args.b, batch * K * N);
  checkSize('c', args.c, batch * M * N);
  const form = matmulForm(args);
  const choice = args.kernel ?? 'auto';
  const fast = form !== null && choice !== 'simple' && fastKernelAccepts(form, args);
  if (choice === 'fast' && !fast) {
    const which = form ? ` (form ${form})` : ' with both operands transposed';
    throw new Error(`matmul: no fast kernel takes M=${M} N=${N} K=${K}${which}.`);
  }
  const bias = args.bias;
  if (bias !== undefined) {
    if (form !== 'nn') throw new Error('matmul: a bias is added only to A·B, not with a transposed operand.');
    if (batch !== 1) throw new Error(`matmul: a bias is added only to one product, not a batch of ${batch}.`);
    checkSize('bias', bias, N);
  }
  // Without a bias the kernel never reads its bias binding: any read-only view fills it.
  const buffers = { a: args.a, b: args.b, c: args.c, bias: bias ?? args.b };
  const uniform = dimsUniform(args);
  if (fast && form !== null) {
    const tuned = context.matmulTuning?.[form][widthClass(N)];
    const block = args.block ?? tuned ?? matmulBlock(context.report.kind, form, N);
    const defines = { TM: block.TM, TN: block.TN, WG: block.WG, ...(bias ? { BIAS: true } : {}) };
    await context.run({
      kernel: { shader: `matmul_${form}`, defines },
      buffers,
      uniform,
      workgroups: [Math.ceil(N / (block.TN * block.WG)), Math.ceil(M / block.TM), batch],
    });
    return;
  }
  await context.run({
    kernel: {
      shader: 'matmul_simple',
      constants: { TRANS_A: args.transA ? 1 : 0, TRANS_B: args.transB ? 1 : 0, ...(bias ? { BIAS: 1 } : {}) },
    },
    buffers,
    uniform,
    workgroups: [Math.ceil(N / 8), Math.ceil(M / 8), batch],
  });
}

function checkSize(name: string, view: BufferView, elements: number): void {
  if (view.size < elements * 4) throw new Error(`matmul: ${name} holds ${view.size / 4} values, needs ${elements}.`);
}
