// C = op(A) · op(B) on the GPU, in the three forms a transformer's forward and
// backward need: A·B (nn), A·Bᵀ (nt), Aᵀ·B (tn). Fast register-blocked kernels
// where the shape meets their alignment, the simple kernel otherwise.
import { unitStep } from '../gpu/chunks.ts';
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { axpy } from './elementwise.ts';
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

/** Row strides (leading dimensions) in floats; by default each operand's own row length. */
interface Strides {
  lda: number;
  ldb: number;
  ldc: number;
}

function naturalStrides({ M, N, K, transA = false, transB = false }: MatmulShape): Strides {
  return { lda: transA ? M : K, ldb: transB ? K : N, ldc: N };
}

/** What a dispatch does with C: write the product, add it, or continue C's sums (a later piece of K). */
type Store = 'write' | 'add' | 'continue';
const STORE_CODE: Record<Store, number> = { write: 0, add: 1, continue: 2 };

function dimsUniform({ M, N, K }: MatmulShape, { lda, ldb, ldc }: Strides, store: Store): Uint32Array {
  return new Uint32Array([M, N, K, STORE_CODE[store], M * K, K * N, M * N, lda, ldb, ldc, 0, 0]);
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
  // The block is chosen for the whole product, so pieces of it run the same kernel.
  const block =
    fast && form !== null
      ? (args.block ?? context.matmulTuning?.[form][widthClass(N)] ?? matmulBlock(context.report.kind, form, N))
      : null;
  const limit = context.bindingLimit;
  if (batch === 1 && [args.a, args.b, args.c].some((view) => view.size > limit)) {
    await matmulInPieces(context, args, block);
    return;
  }
  await dispatch(context, args, block, naturalStrides(args), args.accumulate ? 'add' : 'write');
}

/** One dispatch of C (+)= op(A)·op(B) (+ bias) over views whose rows are ld floats apart. */
async function dispatch(
  context: GpuContext,
  args: MatmulArgs,
  block: MatmulBlock | null,
  strides: Strides,
  store: Store,
): Promise<void> {
  const { M, N, batch = 1, bias } = args;
  const form = matmulForm(args);
  // A·Bᵀ pieces split M and N only (its operands' rows), so its kernel has no 'continue' (a block of loads that
  // makes llvmpipe's compile of the wide A·Bᵀ block take many minutes).
  if (store === 'continue' && form === 'nt' && block !== null) throw new Error('matmul: A·Bᵀ cannot continue sums.');
  // Without a bias the kernel never reads its bias binding: any read-only view fills it.
  const buffers = { a: args.a, b: args.b, c: args.c, bias: bias ?? args.b };
  const uniform = dimsUniform(args, strides, store);
  if (block !== null && form !== null) {
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

/** Bytes a block of rows × cols of a row-major matrix with rows ld floats apart spans. */
function spanBytes(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : ((rows - 1) * ld + cols) * 4;
}

/**
 * A product whose operands exceed the binding limit (the LM head of GPT-2 124M: wte is 154 MB, logits of a large
 * batch more), as blocks of M, N and K at aligned offsets, each operand bound over its block's rows only.
 * Every kernel sums each output's K products in order from 0, so pieces of M or N give the outputs of one
 * dispatch, and pieces of K continue the sums where the last piece stopped (the bias rides on the last): the
 * same bits; a product added to C (accumulate: weight gradients) and split along K is summed in a scratch block,
 * then added to C.
 */
async function matmulInPieces(context: GpuContext, args: MatmulArgs, block: MatmulBlock | null): Promise<void> {
  const { M, N, K, transA = false, transB = false } = args;
  const strides = naturalStrides(args);
  const limit = context.bindingLimit;
  // Pieces start at multiples of the fast kernels' alignment whose bytes are aligned for a binding offset.
  const step = unitStep(4, context.device.limits.minStorageBufferOffsetAlignment, fastKernelAlignment());
  const len = { M, N, K };
  const sizes = () => ({
    a: transA ? spanBytes(len.K, len.M, strides.lda) : spanBytes(len.M, len.K, strides.lda),
    b: transB ? spanBytes(len.N, len.K, strides.ldb) : spanBytes(len.K, len.N, strides.ldb),
    c: spanBytes(len.M, len.N, strides.ldc),
  });
  // Each operand shrinks with the rows it binds: halve the dimension along its rows until every one fits.
  const rowsOf = { a: transA ? 'K' : 'M', b: transB ? 'N' : 'K', c: 'M' } as const;
  for (;;) {
    const bytes = sizes();
    const over = (['a', 'b', 'c'] as const).find((name) => bytes[name] > limit);
    if (over === undefined) break;
    const dim = rowsOf[over];
    if (len[dim] <= step)
      throw new Error(
        `matmul: ${over} binds ${bytes[over]} bytes of ${args[over].buffer.label} even in pieces of ${len[dim]} ` +
          `rows; this adapter binds at most ${limit}.`,
      );
    len[dim] = Math.max(step, Math.floor(len[dim] / 2 / step) * step);
  }
  const view = (base: BufferView, offset: number, bytes: number): BufferView => ({
    buffer: base.buffer,
    offset: base.offset + offset * 4,
    size: bytes,
  });
  for (let m0 = 0; m0 < M; m0 += len.M) {
    const m = Math.min(len.M, M - m0);
    for (let n0 = 0; n0 < N; n0 += len.N) {
      const n = Math.min(len.N, N - n0);
      const c = view(args.c, m0 * strides.ldc + n0, spanBytes(m, n, strides.ldc));
      const bias = args.bias === undefined ? undefined : view(args.bias, n0, n * 4);
      // C + (A·B + bias) over pieces of K: the sums go to a scratch block (continued piece after piece), which is
      // then added to C, as one dispatch adds them. (Only A·Bᵀ splits N, and it never splits K: C's block is whole
      // rows here.)
      const viaScratch = args.accumulate === true && len.K < K;
      if (viaScratch && n !== N) throw new Error('matmul: cannot add a product split along both N and K.');
      const target = viaScratch ? scratchView(context, m * n) : c;
      const targetStrides = viaScratch ? { ...strides, ldc: n } : strides;
      for (let k0 = 0; k0 < K; k0 += len.K) {
        const k = Math.min(len.K, K - k0);
        const first = k0 === 0;
        const last = k0 + k >= K;
        const piece: MatmulArgs = {
          ...args,
          M: m,
          N: n,
          K: k,
          a: transA
            ? view(args.a, k0 * strides.lda + m0, spanBytes(k, m, strides.lda))
            : view(args.a, m0 * strides.lda + k0, spanBytes(m, k, strides.lda)),
          b: transB
            ? view(args.b, n0 * strides.ldb + k0, spanBytes(n, k, strides.ldb))
            : view(args.b, k0 * strides.ldb + n0, spanBytes(k, n, strides.ldb)),
          c: target,
          bias: undefined,
        };
        // Later pieces continue the sums of the first; the bias is added once, by the last.
        const store = first ? (args.accumulate && !viaScratch ? 'add' : 'write') : 'continue';
        await dispatch(context, { ...piece, bias: last ? bias : undefined }, block, targetStrides, store);
      }
      // c += 1·sums: c + sums exactly (an add of c to itself would bind c twice, writable).
      if (viaScratch) await axpy(context, m * n, 1, target, c);
    }
  }
}

// One scratch buffer per context for the sums of an accumulating product in pieces, grown when needed.
const scratch = new WeakMap<GpuContext, BufferView>();

function scratchView(context: GpuContext, elements: number): BufferView {
  let held = scratch.get(context);
  if (held === undefined || held.size < elements * 4) {
    // Recorded work may still use the old one: submit it before the buffer goes.
    context.flush();
    if (held !== undefined) context.destroyBuffer(held.buffer);
    held = context.tensor('gemstone.matmul-scratch', elements);
    scratch.set(context, held);
  }
  return { buffer: held.buffer, offset: 0, size: elements * 4 };
}

function checkSize(name: string, view: BufferView, elements: number): void {
  if (view.size < elements * 4) throw new Error(`matmul: ${name} holds ${view.size / 4} values, needs ${elements}.`);
}
