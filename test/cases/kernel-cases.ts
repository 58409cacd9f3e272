// The kernel cases: each runs a GPU kernel on random inputs of awkward shapes
// and compares it with its CPU twin. The same list runs in Node (vitest),
// Deno (test/deno/run-kernel-cases.ts) and Chromium (test/browser/).
import type { GpuContext } from '../../src/gpu/context.ts';
import { add, axpy, fill, mul, scale } from '../../src/kernels/elementwise.ts';
import { fastKernelAccepts, matmul, matmulForm } from '../../src/kernels/matmul.ts';
import {
  allMatmulCandidates,
  allWorkgroupCandidates,
  matmulBlock,
  type MatmulBlock,
} from '../../src/kernels/tuning.ts';
import { rowMax, rowSum, scaleRows, softmax, softmaxBackward } from '../../src/kernels/rows.ts';
import { elementwiseReference } from '../../src/reference/elementwise.ts';
import { matmulReference, type MatmulShape } from '../../src/reference/matmul.ts';
import { rowMaxReference, rowSumReference, scaleRowsReference } from '../../src/reference/reduce.ts';
import { softmaxBackwardReference, softmaxReference } from '../../src/reference/softmax.ts';
import { assertClose } from '../../src/util/compare.ts';
import { Random } from '../../src/util/random.ts';

export interface KernelCase {
  name: string;
  run(context: GpuContext): Promise<void>;
}

// f32 sums of K products of values in [-1, 1]: error grows with K.
const matmulTolerance = (K: number) => ({ atol: 2e-6 * K + 1e-6, rtol: 1e-5 });
const exact = { atol: 1e-7, rtol: 1e-6 };

const SIMPLE_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [7, 1, 13],
  [5, 17, 3],
  [13, 7, 31],
  [37, 41, 20],
  [64, 96, 128],
];

// The fast kernels take K and N (or M, for Aᵀ·B) in multiples of 4; rows and
// columns that are not a multiple of the block must still come out right.
const FAST_SHAPES: [number, number, number][] = [
  [1, 4, 4],
  [7, 12, 8],
  [37, 44, 20],
  [61, 100, 64],
  [130, 36, 132],
  [4, 516, 12],
];
const SMALL_BLOCK: MatmulBlock = { TM: 4, TN: 8, WG: 4 };

async function checkMatmul(
  context: GpuContext,
  shape: MatmulShape,
  kernel: 'simple' | 'fast',
  seed: number,
  block?: MatmulBlock,
  withBias = false,
): Promise<void> {
  const { M, N, K, batch = 1 } = shape;
  const random = new Random(seed);
  const a = random.floats(batch * M * K);
  const b = random.floats(batch * K * N);
  const c0 = random.floats(batch * M * N);
  const bias = random.floats(N);
  const expected = matmulReference(a, b, Float64Array.from(c0), shape);
  // C (+)= A·B + bias: the bias goes on every row, once, whether or not C accumulates.
  if (withBias) for (let i = 0; i < expected.length; i++) expected[i] += bias[i % N];
  const views = { a: context.tensor('test.a', a), b: context.tensor('test.b', b), c: context.tensor('test.c', c0) };
  const biasView = withBias ? context.tensor('test.bias', bias) : undefined;
  try {
    await matmul(context, { ...shape, ...views, kernel, block, bias: biasView });
    const got = await context.read(views.c);
    const form = matmulForm(shape) ?? 'tt';
    assertClose(
      `matmul ${kernel} ${form} ${batch}×${M}×${N}×${K}${shape.accumulate ? ' +=' : ''}${withBias ? ' + bias' : ''}`,
      got,
      expected,
      matmulTolerance(K),
    );
  } finally {
    for (const v of Object.values(views)) context.destroyBuffer(v.buffer);
    if (biasView !== undefined) context.destroyBuffer(biasView.buffer);
  }
}

async function runMatmul(
  context: GpuContext,
  shape: MatmulShape,
  seed: number,
  block: MatmulBlock,
): Promise<{ c: Float32Array; expected: Float64Array }> {
  const { M, N, K } = shape;
  const random = new Random(seed);
  const a = random.floats(M * K);
  const b = random.floats(K * N);
  const expected = matmulReference(a, b, new Float64Array(M * N), shape);
  const views = { a: context.tensor('test.a', a), b: context.tensor('test.b', b), c: context.tensor('test.c', M * N) };
  try {
    await matmul(context, { ...shape, ...views, kernel: 'fast', block });
    return { c: await context.read(views.c), expected };
  } finally {
    for (const v of Object.values(views)) context.destroyBuffer(v.buffer);
  }
}

function matmulCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  const forms: [string, Partial<MatmulShape>][] = [
    ['A·B', {}],
    ['A·Bᵀ', { transB: true }],
    ['Aᵀ·B', { transA: true }],
  ];
  for (const [label, flags] of forms) {
    cases.push({
      name: `matmul simple ${label} on awkward shapes`,
      async run(context) {
        let seed = 1;
        for (const [M, N, K] of SIMPLE_SHAPES) await checkMatmul(context, { M, N, K, ...flags }, 'simple', seed++);
        await checkMatmul(context, { M: 5, N: 9, K: 7, batch: 3, accumulate: true, ...flags }, 'simple', seed++);
      },
    });
    cases.push({
      name: `matmul fast ${label}, adapter block and a small block`,
      async run(context) {
        let seed = 100;
        for (const [m, n, k] of FAST_SHAPES) {
          // Aᵀ·B reads A along M, so swap the roles of M and K for that form's alignment.
          const shape: MatmulShape = flags.transA ? { M: k, N: n, K: m, ...flags } : { M: m, N: n, K: k, ...flags };
          if (!fastKernelAccepts(matmulForm(shape)!, shape))
            throw new Error(`test shape ${shape.M}×${shape.N}×${shape.K} is not one the fast ${label} kernel takes`);
          await checkMatmul(context, shape, 'fast', seed++);
          await checkMatmul(context, shape, 'fast', seed++, SMALL_BLOCK);
        }
        await checkMatmul(
          context,
          { M: 12, N: 20, K: 28, batch: 3, accumulate: true, ...flags },
          'fast',
          seed++,
          SMALL_BLOCK,
        );
        await checkMatmul(context, { M: 12, N: 20, K: 28, batch: 2, ...flags }, 'fast', seed++);
      },
    });
  }
  cases.push({
    name: 'matmul A·B with a fused bias (and residual accumulate), fast and simple',
    async run(context) {
      let seed = 300;
      for (const [M, N, K] of [
        [1, 4, 4],
        [37, 44, 20],
        [130, 36, 132],
      ]) {
        for (const accumulate of [false, true]) {
          await checkMatmul(context, { M, N, K, accumulate }, 'fast', seed++, undefined, true);
          await checkMatmul(context, { M, N, K, accumulate }, 'fast', seed++, SMALL_BLOCK, true);
          await checkMatmul(context, { M, N: N + 1, K: K + 3, accumulate }, 'simple', seed++, undefined, true);
        }
      }
    },
  });
  cases.push({
    name: 'matmul: every tuning candidate matches the twin and gives the same bits as the default block',
    async run(context) {
      // Tuning picks any of these on this adapter (or a GPU); each must be right, and none may change a result.
      // (Other software kinds' large blocks are covered where they run: compiling them all here takes minutes.)
      let seed = 400;
      for (const flags of [{}, { transB: true }, { transA: true }]) {
        const shape: MatmulShape = { M: 36, N: 40, K: 44, ...flags };
        const reference = await runMatmul(
          context,
          shape,
          seed,
          matmulBlock(context.report.kind, matmulForm(shape)!, 40),
        );
        for (const block of allMatmulCandidates([context.report.kind, 'gpu'])) {
          const got = await runMatmul(context, shape, seed, block);
          const label = `matmul ${matmulForm(shape)} block ${block.TM}×${block.TN}×${block.WG}`;
          assertClose(label, got.c, got.expected, matmulTolerance(shape.K));
          const differs = got.c.findIndex((x, i) => !Object.is(x, reference.c[i]));
          if (differs >= 0) throw new Error(`${label}: element ${differs} differs from the default block's result`);
        }
        seed++;
      }
    },
  });
  cases.push({
    name: 'matmul with both operands transposed falls back to the simple kernel',
    async run(context) {
      await checkMatmul(context, { M: 9, N: 11, K: 6, transA: true, transB: true }, 'simple', 7);
    },
  });
  return cases;
}

function elementwiseCases(): KernelCase[] {
  const sizes = [1, 3, 63, 64, 65, 1000, 4099];
  return [
    {
      name: 'elementwise add, mul, scale, axpy, fill',
      async run(context) {
        const random = new Random(11);
        for (const n of sizes) {
          const x = random.floats(n, -10, 10);
          const y = random.floats(n, -10, 10);
          const vx = context.tensor('test.x', x);
          const vy = context.tensor('test.y', y);
          const vo = context.tensor('test.out', n);
          try {
            await add(context, n, vx, vy, vo);
            assertClose(
              `add n=${n}`,
              await context.read(vo),
              elementwiseReference.add(x, y, new Float64Array(n)),
              exact,
            );
            await mul(context, n, vx, vy, vo);
            assertClose(
              `mul n=${n}`,
              await context.read(vo),
              elementwiseReference.mul(x, y, new Float64Array(n)),
              exact,
            );
            await scale(context, n, -0.75, vx, vo);
            assertClose(
              `scale n=${n}`,
              await context.read(vo),
              elementwiseReference.scale(-0.75, x, new Float64Array(n)),
              exact,
            );
            const before = Float64Array.from(await context.read(vo));
            await axpy(context, n, 0.5, vy, vo);
            assertClose(`axpy n=${n}`, await context.read(vo), elementwiseReference.axpy(0.5, y, before), {
              atol: 1e-6,
              rtol: 1e-6,
            });
            await fill(context, n, 3.25, vo);
            assertClose(
              `fill n=${n}`,
              await context.read(vo),
              elementwiseReference.fill(3.25, new Float64Array(n)),
              exact,
            );
          } finally {
            for (const v of [vx, vy, vo]) context.destroyBuffer(v.buffer);
          }
        }
      },
    },
  ];
}

const ROW_SHAPES: [number, number][] = [
  [1, 1],
  [1, 5],
  [3, 64],
  [7, 65],
  [5, 1000],
  [67, 13],
];

function rowCases(): KernelCase[] {
  return [
    {
      name: 'row softmax forward and backward',
      async run(context) {
        const random = new Random(21);
        for (const [rows, cols] of ROW_SHAPES) {
          const x = random.floats(rows * cols, -8, 8);
          const dp = random.floats(rows * cols);
          const vx = context.tensor('test.x', x);
          const vdp = context.tensor('test.dp', dp);
          const vp = context.tensor('test.p', rows * cols);
          const vdx = context.tensor('test.dx', rows * cols);
          try {
            await softmax(context, rows, cols, vx, vp);
            const p = await context.read(vp);
            assertClose(`softmax ${rows}×${cols}`, p, softmaxReference(x, rows, cols), { atol: 1e-6, rtol: 1e-5 });
            await softmaxBackward(context, rows, cols, vp, vdp, vdx);
            assertClose(
              `softmax backward ${rows}×${cols}`,
              await context.read(vdx),
              softmaxBackwardReference(p, dp, rows, cols),
              { atol: 1e-6, rtol: 1e-5 },
            );
          } finally {
            for (const v of [vx, vdp, vp, vdx]) context.destroyBuffer(v.buffer);
          }
        }
      },
    },
    {
      name: 'row softmax: every tuning workgroup size matches the twin',
      async run(context) {
        const random = new Random(23);
        for (const [rows, cols] of [
          [5, 40],
          [3, 300],
        ]) {
          const x = random.floats(rows * cols, -8, 8);
          const dp = random.floats(rows * cols);
          const p = softmaxReference(x, rows, cols);
          const vx = context.tensor('test.x', x);
          const vdp = context.tensor('test.dp', dp);
          const vp = context.tensor('test.p', rows * cols);
          const vdx = context.tensor('test.dx', rows * cols);
          try {
            for (const WG of allWorkgroupCandidates([context.report.kind, 'gpu'])) {
              const label = `softmax ${rows}×${cols} WG=${WG}`;
              await softmax(context, rows, cols, vx, vp, WG);
              const got = await context.read(vp);
              assertClose(label, got, p, { atol: 1e-6, rtol: 1e-5 });
              await softmaxBackward(context, rows, cols, vp, vdp, vdx, WG);
              assertClose(`${label} backward`, await context.read(vdx), softmaxBackwardReference(got, dp, rows, cols), {
                atol: 1e-6,
                rtol: 1e-5,
              });
            }
          } finally {
            for (const v of [vx, vdp, vp, vdx]) context.destroyBuffer(v.buffer);
          }
        }
      },
    },
    {
      name: 'row softmax stays finite for large logits',
      async run(context) {
        const x = Float32Array.from([1e4, 1e4 - 1, -1e4, 80, 3e38, -3e38, 0, 0]);
        const vx = context.tensor('test.x', x);
        const vp = context.tensor('test.p', x.length);
        try {
          await softmax(context, 2, 4, vx, vp);
          const p = await context.read(vp);
          if (p.some((v) => !Number.isFinite(v))) throw new Error(`softmax produced ${Array.from(p)}`);
          assertClose('softmax of large logits', p, softmaxReference(x, 2, 4), { atol: 1e-6, rtol: 1e-5 });
        } finally {
          context.destroyBuffer(vx.buffer);
          context.destroyBuffer(vp.buffer);
        }
      },
    },
    {
      name: 'scale rows by a per-row factor (in place)',
      async run(context) {
        const random = new Random(41);
        for (const [rows, cols] of ROW_SHAPES) {
          const x = random.floats(rows * cols, -5, 5);
          const s = random.floats(rows, -2, 2);
          const vx = context.tensor('test.x', x);
          const vs = context.tensor('test.s', s);
          try {
            await scaleRows(context, rows, cols, vs, vx);
            assertClose(
              `scale rows ${rows}×${cols}`,
              await context.read(vx),
              scaleRowsReference(s, Float64Array.from(x), rows, cols),
              exact,
            );
          } finally {
            context.destroyBuffer(vx.buffer);
            context.destroyBuffer(vs.buffer);
          }
        }
      },
    },
    {
      name: 'row sum and row max',
      async run(context) {
        const random = new Random(31);
        for (const [rows, cols] of ROW_SHAPES) {
          const x = random.floats(rows * cols, -5, 5);
          const vx = context.tensor('test.x', x);
          const vo = context.tensor('test.out', rows);
          try {
            await rowSum(context, rows, cols, vx, vo);
            assertClose(`row sum ${rows}×${cols}`, await context.read(vo), rowSumReference(x, rows, cols), {
              atol: 1e-5 * cols,
              rtol: 1e-5,
            });
            await rowMax(context, rows, cols, vx, vo);
            assertClose(`row max ${rows}×${cols}`, await context.read(vo), rowMaxReference(x, rows, cols), exact);
          } finally {
            context.destroyBuffer(vx.buffer);
            context.destroyBuffer(vo.buffer);
          }
        }
      },
    },
  ];
}

function uploadCases(): KernelCase[] {
  return [
    {
      name: 'uploads between recorded dispatches keep their order, without a submit',
      async run(context) {
        // Each upload replaces x after a dispatch that must still read the old x, and before one that
        // must read the new: acc ends as the sum of every value x held. One upload is larger than the
        // staging ring starts (1 MiB), one is a view inside a buffer, and many fill the ring to its end.
        const n = 300_000;
        const values = [1, 2, 4, 8, 16, 32];
        const x = context.tensor('test.x', new Float32Array(n).fill(0.5));
        const acc = context.tensor('test.acc', n);
        const firsts = context.tensor('test.firsts', values.length);
        try {
          await fill(context, n, 0, acc);
          await axpy(context, n, 1, x, acc); // 0.5
          const before = context.submits;
          for (const [i, value] of values.entries()) {
            const head = { buffer: x.buffer, offset: 0, size: 64 };
            if (i === 2)
              context.upload(x, new Float32Array(n).fill(value)); // 1.2 MB: the ring grows (one flush)
            else {
              context.upload(x, new Float32Array(n).fill(value).subarray(0, 16)); // the first 16 values
              context.upload({ ...x, offset: 64, size: x.size - 64 }, new Float32Array(n - 16).fill(value));
            }
            await context.copy(head, { buffer: firsts.buffer, offset: i * 4, size: 4 }, 4);
            await axpy(context, n, 1, x, acc);
          }
          const submitted = context.submits - before;
          if (submitted !== 0) throw new Error(`${submitted} submits while recording uploads and dispatches`);
          let many = 0;
          for (let i = 0; i < 40; i++) {
            context.upload(x, new Float32Array(n).fill(i === 39 ? 1 : 0)); // 48 MB: the ring fills and wraps
            many += i === 39 ? 1 : 0;
            await axpy(context, n, 1, x, acc);
          }
          const want = 0.5 + values.reduce((a, b) => a + b, 0) + many;
          const got = await context.read(acc);
          const wrong = got.findIndex((v) => v !== want);
          if (wrong >= 0) throw new Error(`acc[${wrong}] = ${got[wrong]}, want ${want}: an upload overtook a dispatch`);
          const seen = Array.from(await context.read(firsts));
          if (seen.join() !== values.join()) throw new Error(`x held ${seen} when copied, want ${values}`);
        } finally {
          for (const v of [x, acc, firsts]) context.destroyBuffer(v.buffer);
        }
      },
    },
  ];
}

export const kernelCases: KernelCase[] = [...matmulCases(), ...elementwiseCases(), ...rowCases(), ...uploadCases()];
