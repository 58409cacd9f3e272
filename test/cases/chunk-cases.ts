// Dispatches over ranges larger than one binding: with a small binding limit forced on the context, each
// kernel runs in pieces and must give the numbers of one dispatch, to the bit (and its twin's, within the
// tolerance), and it must really have run in pieces.
import type { BufferView, GpuContext } from '../../src/gpu/context.ts';
import { adamw, clipByGlobalNorm } from '../../src/kernels/adamw.ts';
import { fill, add } from '../../src/kernels/elementwise.ts';
import { encoderBackward, encoderForward } from '../../src/kernels/encoder.ts';
import { matmul } from '../../src/kernels/matmul.ts';
import { outputLogprobs } from '../../src/kernels/output.ts';
import { scaleRows } from '../../src/kernels/rows.ts';
import { matmulReference, type MatmulShape } from '../../src/reference/matmul.ts';
import { assertClose } from '../../src/util/compare.ts';
import { Random } from '../../src/util/random.ts';
import type { KernelCase } from './kernel-cases.ts';

type Outputs = Record<string, Float32Array>;

/** Runs `body` without and then with the forced limit; both must give the same bits, the second in more dispatches. */
async function sameInPieces(
  context: GpuContext,
  label: string,
  limitBytes: number,
  body: () => Promise<Outputs>,
): Promise<Outputs> {
  const saved = context.maxBindingBytes;
  try {
    context.maxBindingBytes = null;
    let before = context.dispatches;
    const whole = await body();
    const wholeDispatches = context.dispatches - before;
    context.maxBindingBytes = limitBytes;
    before = context.dispatches;
    const pieces = await body();
    const pieceDispatches = context.dispatches - before;
    if (pieceDispatches <= wholeDispatches)
      throw new Error(`${label}: ${pieceDispatches} dispatches under a ${limitBytes}-byte limit: not split`);
    for (const [name, expected] of Object.entries(whole)) {
      const got = pieces[name];
      const differs = expected.findIndex((x, i) => !Object.is(x, got[i]));
      if (got.length !== expected.length || differs >= 0)
        throw new Error(`${label}: ${name}[${differs}] is ${got[differs]} in pieces, ${expected[differs]} in one`);
    }
    return pieces;
  } finally {
    context.maxBindingBytes = saved;
  }
}

/** Makes tensors, runs body, reads the named ones back, and destroys them all. */
async function withTensors(
  context: GpuContext,
  data: Record<string, Float32Array | Uint32Array>,
  body: (views: Record<string, BufferView>) => Promise<void>,
  read: string[],
): Promise<Outputs> {
  const views: Record<string, BufferView> = {};
  try {
    for (const [name, values] of Object.entries(data)) views[name] = context.tensor(`test.${name}`, values);
    await body(views);
    const out: Outputs = {};
    for (const name of read) out[name] = await context.read(views[name]);
    return out;
  } finally {
    for (const view of Object.values(views)) context.destroyBuffer(view.buffer);
  }
}

function matmulCase(label: string, shape: MatmulShape, limitBytes: number, withBias: boolean): KernelCase {
  return {
    name: `in pieces: matmul ${label} ${shape.M}×${shape.N}×${shape.K} under a ${limitBytes}-byte limit`,
    async run(context) {
      const { M, N, K } = shape;
      const random = new Random(M * 7 + N);
      const a = random.floats(M * K);
      const b = random.floats(K * N);
      const c0 = random.floats(M * N);
      const bias = random.floats(N);
      const product = () =>
        withTensors(
          context,
          { a, b, c: c0, bias },
          (v) => matmul(context, { ...shape, a: v.a, b: v.b, c: v.c, bias: withBias ? v.bias : undefined }),
          ['c'],
        );
      const expected = matmulReference(a, b, Float64Array.from(c0), shape);
      if (withBias) for (let i = 0; i < expected.length; i++) expected[i] += bias[i % N];
      const tolerance = { atol: 2e-6 * K + 1e-6, rtol: 1e-5 };
      const { c } = await sameInPieces(context, `matmul ${label}`, limitBytes, product);
      assertClose(`matmul ${label} in pieces`, c, expected, tolerance);
    },
  };
}

// Shapes whose operands exceed a 60,000-byte limit in turn: A (M rows or K rows), B (K or N rows), C (M rows).
const MATMUL_CASES: KernelCase[] = [
  matmulCase('A·B + bias (pieces of M and K)', { M: 130, N: 200, K: 136 }, 60_000, true),
  matmulCase('A·Bᵀ (pieces of M and N, the LM head)', { M: 130, N: 200, K: 136, transB: true }, 60_000, false),
  matmulCase('Aᵀ·B (pieces of K and M, wte’s gradient)', { M: 132, N: 200, K: 136, transA: true }, 60_000, false),
  matmulCase('A·B + bias, simple kernel (odd N)', { M: 70, N: 203, K: 136 }, 60_000, true),
  matmulCase(
    'A·B + bias += (pieces of K summed, then added)',
    { M: 130, N: 200, K: 136, accumulate: true },
    60_000,
    true,
  ),
];

export const chunkCases: KernelCase[] = [
  ...MATMUL_CASES,
  {
    name: 'in pieces: embedding gather and its backward over pieces of wte rows',
    async run(context) {
      const [B, T, C, V] = [3, 5, 8, 50];
      const random = new Random(12);
      const tokens = Uint32Array.from({ length: B * T }, () => Math.floor(random.next() * V));
      tokens[0] = V - 1;
      tokens[1] = 0;
      const data = {
        tokens,
        wte: random.floats(V * C),
        wpe: random.floats(T * C),
        out: random.floats(B * T * C),
        dout: random.floats(B * T * C),
        dwte: random.floats(V * C),
        dwpe: random.floats(T * C),
      };
      // wte is 1,600 bytes: pieces of 16 rows (512 bytes) at 256-byte offsets.
      await sameInPieces(context, 'encoder', 512, () =>
        withTensors(
          context,
          data,
          async (v) => {
            await encoderForward(context, { tokens: v.tokens, wte: v.wte, wpe: v.wpe, out: v.out, B, T, C });
            await encoderBackward(context, {
              dout: v.dout,
              tokens: v.tokens,
              tokenIds: tokens,
              dwte: v.dwte,
              dwpe: v.dwpe,
              B,
              T,
              C,
            });
          },
          ['out', 'dwte', 'dwpe'],
        ),
      );
    },
  },
  {
    name: 'in pieces: gradient norm, clipping and AdamW over a range of many pieces',
    async run(context) {
      // More values than the norm's 16,384 threads, so each thread's sum runs across pieces (of 16,384 values:
      // the limit is no smaller than the norm's 64 KiB of partial sums).
      const n = 40_003;
      const random = new Random(21);
      const data = {
        params: random.floats(n),
        grads: random.floats(n),
        m: random.floats(n, 0, 0.1),
        v: random.floats(n, 0, 0.1),
        norm: new Float32Array(1),
        scale: new Float32Array(1),
        zeros: random.floats(n),
        sum: new Float32Array(n),
      };
      await sameInPieces(context, 'AdamW', 64 * 1024, () =>
        withTensors(
          context,
          data,
          async (v) => {
            await clipByGlobalNorm(context, { grads: v.grads, n, maxNorm: 10, scale: v.scale, norm: v.norm });
            const hyper = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3 };
            await adamw(context, { params: v.params, grads: v.grads, m: v.m, v: v.v, n, ...hyper, gradScale: v.scale });
            await fill(context, n, 0, v.zeros);
            await add(context, n, v.params, v.m, v.sum);
          },
          ['norm', 'scale', 'params', 'm', 'v', 'zeros', 'sum'],
        ),
      );
    },
  },
  {
    name: 'in pieces: output log-probs and row scaling over pieces of rows',
    async run(context) {
      const [rows, V, stride] = [200, 10, 12];
      const random = new Random(5);
      const data = {
        logits: random.floats(rows * stride, -3, 3),
        targets: Uint32Array.from({ length: rows }, (_, r) => (r % 7 === 0 ? V : r % V)),
        coefficients: random.floats(rows),
        logprobs: new Float32Array(rows),
        s: random.floats(rows),
      };
      // A row is 48 bytes: pieces start every 16 rows (768 bytes, a multiple of 256).
      await sameInPieces(context, 'output rows', 2048, () =>
        withTensors(
          context,
          data,
          async (v) => {
            const { logits, targets, coefficients, logprobs } = v;
            await outputLogprobs(context, { logits, targets, coefficients, logprobs, rows, V, stride });
            await scaleRows(context, rows, stride, v.s, v.logits);
          },
          ['logits', 'logprobs'],
        ),
      );
    },
  },
];
