// GPU-vs-twin cases for the layer kernels: LayerNorm, GELU, encoder, bias, AdamW and
// clipping by the global norm. Random inputs, awkward sizes (1, primes, not multiples of
// the 64-thread workgroup), backward outputs pre-filled with random values so that
// accumulation (+=) is checked too.
import type { BufferView, GpuContext } from '../../src/gpu/context.ts';
import { adamw, clipByGlobalNorm } from '../../src/kernels/adamw.ts';
import { biasAdd, biasBackward } from '../../src/kernels/bias.ts';
import { encoderBackward, encoderForward } from '../../src/kernels/encoder.ts';
import { geluBackward, geluForward } from '../../src/kernels/gelu.ts';
import { layernormBackward, layernormForward } from '../../src/kernels/layernorm.ts';
import { allWorkgroupCandidates } from '../../src/kernels/tuning.ts';
import * as adamwTwin from '../../src/reference/adamw.ts';
import * as biasTwin from '../../src/reference/bias.ts';
import * as encoderTwin from '../../src/reference/encoder.ts';
import * as geluTwin from '../../src/reference/gelu.ts';
import * as layernormTwin from '../../src/reference/layernorm.ts';
import { assertClose, type Tolerance } from '../../src/util/compare.ts';
import { Random } from '../../src/util/random.ts';
import type { KernelCase } from './kernel-cases.ts';

// ---- tolerances (|gpu − twin| ≤ atol + rtol·|twin|) ------------------------------------
// One f32 add or multiply of values of magnitude ≤ 1: a few ulps.
const ONE_OP: Tolerance = { atol: 3e-7, rtol: 1e-6 };
// f32 sums of `terms` values of magnitude ≤ 1, added in order.
const sumOf = (terms: number): Tolerance => ({ atol: 1e-6 + 2e-7 * terms, rtol: 1e-5 });
// LayerNorm forward: normalised values up to a few units, times weight, plus bias.
const LN_FORWARD: Tolerance = { atol: 2e-5, rtol: 1e-4 };
const LN_STATS: Tolerance = { atol: 1e-6, rtol: 1e-5 };
// LayerNorm dx: rstd·(g − mean g − n·mean(g·n)), two sums over C, values O(1).
const lnDx = (C: number): Tolerance => ({ atol: 2e-5 + 1e-6 * C, rtol: 1e-4 });
// GELU: tanh to a few ulps of 1, times x.
const GELU: Tolerance = { atol: 1e-6, rtol: 1e-5 };
// AdamW: m, v are one fused update; p moves by ≈ lr.
const ADAM_MOMENTS: Tolerance = { atol: 1e-7, rtol: 1e-5 };
const ADAM_PARAMS: Tolerance = { atol: 3e-7, rtol: 1e-6 };
// The norm: f32 sums of squares in two stages (≤ a few hundred terms a thread, then a tree).
const NORM: Tolerance = { atol: 1e-7, rtol: 2e-5 };

/** Makes labelled tensors, runs `body`, and destroys them whatever happens. */
async function withTensors<T extends Record<string, Float32Array | Uint32Array | number>>(
  context: GpuContext,
  data: T,
  body: (views: { [K in keyof T]: BufferView }) => Promise<void>,
): Promise<void> {
  const views = {} as { [K in keyof T]: BufferView };
  try {
    for (const key of Object.keys(data) as (keyof T)[]) views[key] = context.tensor(`test.${String(key)}`, data[key]);
    await body(views);
  } finally {
    for (const view of Object.values(views) as BufferView[]) context.destroyBuffer(view.buffer);
  }
}

const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

// ---- LayerNorm -------------------------------------------------------------------------

const LN_SHAPES: [number, number][] = [
  [1, 1],
  [1, 7],
  [3, 64],
  [7, 65],
  [67, 13],
  [37, 130],
  [130, 96],
];

function layernormCases(): KernelCase[] {
  return [
    {
      name: 'layernorm forward (out, mean, rstd)',
      async run(context) {
        const random = new Random(41);
        for (const [rows, C] of LN_SHAPES) {
          // An offset mean and a spread of scales per row: a naive E[x²] − E[x]² would show.
          const x = new Float32Array(rows * C);
          for (let r = 0; r < rows; r++) {
            const shift = random.uniform(-4, 4);
            const spread = random.uniform(0.1, 3);
            for (let c = 0; c < C; c++) x[r * C + c] = shift + spread * random.uniform(-1, 1);
          }
          const weight = random.floats(C, -2, 2);
          const bias = random.floats(C);
          const expected = layernormTwin.layernormForward(x, weight, bias, rows, C);
          await withTensors(context, { x, weight, bias, out: rows * C, mean: rows, rstd: rows }, async (v) => {
            await layernormForward(context, { ...v, rows, C });
            assertClose(`layernorm out ${rows}×${C}`, await context.read(v.out), expected.out, LN_FORWARD);
            assertClose(`layernorm mean ${rows}×${C}`, await context.read(v.mean), expected.mean, LN_STATS);
            assertClose(`layernorm rstd ${rows}×${C}`, await context.read(v.rstd), expected.rstd, {
              atol: 1e-5,
              rtol: 1e-4,
            });
          });
        }
      },
    },
    {
      name: 'layernorm backward (dx, dweight, dbias accumulate)',
      async run(context) {
        const random = new Random(43);
        for (const [rows, C] of LN_SHAPES) {
          const x = random.floats(rows * C, -2, 2);
          const weight = random.floats(C, -2, 2);
          const bias = random.floats(C);
          const dout = random.floats(rows * C);
          // The GPU backward gets the twin's mean and rstd rounded to f32; so does the twin.
          const saved = layernormTwin.layernormForward(x, weight, bias, rows, C);
          const mean = Float32Array.from(saved.mean);
          const rstd = Float32Array.from(saved.rstd);
          const dx0 = random.floats(rows * C);
          const dw0 = random.floats(C);
          const db0 = random.floats(C);
          const dx = f64(dx0);
          const dweight = f64(dw0);
          const dbias = f64(db0);
          layernormTwin.layernormBackward(dout, x, weight, mean, rstd, rows, C, dx, dweight, dbias);
          await withTensors(context, { x, weight, dout, mean, rstd, dx: dx0, dweight: dw0, dbias: db0 }, async (v) => {
            await layernormBackward(context, { ...v, rows, C });
            assertClose(`layernorm dx ${rows}×${C}`, await context.read(v.dx), dx, lnDx(C));
            assertClose(`layernorm dweight ${rows}×${C}`, await context.read(v.dweight), dweight, {
              atol: 2e-6 * rows + 1e-6,
              rtol: 1e-4,
            });
            assertClose(`layernorm dbias ${rows}×${C}`, await context.read(v.dbias), dbias, sumOf(rows));
          });
        }
      },
    },
  ];
}

/** Forward then backward (into zeroed gradients) with one workgroup size; every output, read back. */
async function runLayernorm(
  context: GpuContext,
  data: { x: Float32Array; weight: Float32Array; bias: Float32Array; dout: Float32Array },
  rows: number,
  C: number,
  WG: number | undefined,
): Promise<Float32Array[]> {
  const outputs: Float32Array[] = [];
  const shapes = { out: rows * C, mean: rows, rstd: rows, dx: rows * C, dweight: C, dbias: C };
  await withTensors(context, { ...data, ...shapes }, async (v) => {
    await layernormForward(context, { ...v, rows, C, WG });
    await layernormBackward(context, { ...v, rows, C, WG });
    for (const view of [v.out, v.mean, v.rstd, v.dx, v.dweight, v.dbias]) outputs.push(await context.read(view));
  });
  return outputs;
}

function layernormWorkgroupCases(): KernelCase[] {
  return [
    {
      name: 'layernorm: every tuning workgroup size matches the twin and gives the values of the default',
      async run(context) {
        // Each sum runs in one thread whatever the workgroup size: the values must not move at all.
        const random = new Random(45);
        for (const [rows, C] of [
          [37, 130],
          [130, 32],
        ]) {
          const data = {
            x: random.floats(rows * C, -2, 2),
            weight: random.floats(C, -2, 2),
            bias: random.floats(C),
            dout: random.floats(rows * C),
          };
          const expected = layernormTwin.layernormForward(data.x, data.weight, data.bias, rows, C);
          const fallback = await runLayernorm(context, data, rows, C, undefined);
          for (const WG of allWorkgroupCandidates([context.report.kind, 'gpu'])) {
            const label = `layernorm ${rows}×${C} WG=${WG}`;
            const got = await runLayernorm(context, data, rows, C, WG);
            assertClose(`${label} out`, got[0], expected.out, LN_FORWARD);
            const [dx, dweight, dbias] = [rows * C, C, C].map((n) => new Float64Array(n));
            const [mean, rstd] = [got[1], got[2]];
            layernormTwin.layernormBackward(data.dout, data.x, data.weight, mean, rstd, rows, C, dx, dweight, dbias);
            assertClose(`${label} dx`, got[3], dx, lnDx(C));
            assertClose(`${label} dbias`, got[5], dbias, sumOf(rows));
            got.forEach((values, k) => {
              const i = values.findIndex((x, j) => x !== fallback[k][j]);
              if (i >= 0) throw new Error(`${label}: output ${k} element ${i} differs from the default's`);
            });
          }
        }
      },
    },
  ];
}

// ---- GELU ------------------------------------------------------------------------------

function geluCases(): KernelCase[] {
  return [
    {
      name: 'gelu forward and backward',
      async run(context) {
        const random = new Random(51);
        for (const n of [1, 3, 63, 64, 65, 1000, 4099]) {
          const x = random.floats(n, -6, 6);
          const dout = random.floats(n);
          await withTensors(context, { x, dout, out: n, dx: random.floats(n) }, async (v) => {
            await geluForward(context, { x: v.x, out: v.out, n });
            assertClose(`gelu n=${n}`, await context.read(v.out), geluTwin.geluForward(x), GELU);
            await geluBackward(context, { x: v.x, dout: v.dout, dx: v.dx, n });
            assertClose(
              `gelu backward n=${n}`,
              await context.read(v.dx),
              geluTwin.geluBackward(x, dout, new Float64Array(n)),
              GELU,
            );
          });
        }
      },
    },
    {
      name: 'gelu stays finite for large |x|',
      async run(context) {
        const x = Float32Array.from([-3e38, -1e20, -1e4, -50, -10, -5, -0, 0, 5, 10, 50, 1e4, 1e20, 3e38]);
        const n = x.length;
        const dout = new Float32Array(n).fill(1);
        await withTensors(context, { x, dout, out: n, dx: n }, async (v) => {
          await geluForward(context, { x: v.x, out: v.out, n });
          await geluBackward(context, { x: v.x, dout: v.dout, dx: v.dx, n });
          const out = await context.read(v.out);
          const dx = await context.read(v.dx);
          if ([...out, ...dx].some((value) => !Number.isFinite(value)))
            throw new Error(`gelu gave ${Array.from(out)} and gelu′ ${Array.from(dx)}`);
          assertClose('gelu of large |x|', out, geluTwin.geluForward(x), GELU);
          assertClose('gelu′ of large |x|', dx, geluTwin.geluBackward(x, dout, new Float64Array(n)), GELU);
        });
      },
    },
    {
      name: 'gelu over more than 65535 workgroups (2-D grid)',
      async run(context) {
        const n = 65535 * 64 + 1000;
        const random = new Random(53);
        const x = random.floats(n, -6, 6);
        await withTensors(context, { x, out: n }, async (v) => {
          await geluForward(context, { x: v.x, out: v.out, n });
          assertClose(`gelu n=${n}`, await context.read(v.out), geluTwin.geluForward(x), GELU);
        });
      },
    },
  ];
}

// ---- encoder ---------------------------------------------------------------------------

// [B, T, C, V, rows of wpe]
const ENCODER_SHAPES: [number, number, number, number, number][] = [
  [1, 1, 1, 1, 1],
  [2, 3, 5, 4, 7],
  [3, 7, 13, 11, 7],
  [4, 17, 64, 50, 32],
  [2, 33, 65, 3, 40],
  [5, 31, 67, 200, 31],
];

function encoderCases(): KernelCase[] {
  return [
    {
      name: 'encoder forward and backward (dwte, dwpe accumulate)',
      async run(context) {
        const random = new Random(61);
        for (const [B, T, C, V, P] of ENCODER_SHAPES) {
          const tokenIds = Uint32Array.from({ length: B * T }, () => Math.floor(random.next() * V));
          const wte = random.floats(V * C);
          const wpe = random.floats(P * C);
          const dout = random.floats(B * T * C);
          const dwte0 = random.floats(V * C);
          const dwpe0 = random.floats(P * C);
          const dwte = f64(dwte0);
          const dwpe = f64(dwpe0);
          encoderTwin.encoderBackward(dout, tokenIds, B, T, C, dwte, dwpe);
          // The most times one token occurs bounds the terms in a dwte sum.
          const counts = new Map<number, number>();
          for (const t of tokenIds) counts.set(t, (counts.get(t) ?? 0) + 1);
          const most = Math.max(...counts.values());
          await withTensors(
            context,
            { tokens: tokenIds, wte, wpe, out: B * T * C, dout, dwte: dwte0, dwpe: dwpe0 },
            async (v) => {
              await encoderForward(context, { tokens: v.tokens, wte: v.wte, wpe: v.wpe, out: v.out, B, T, C });
              assertClose(
                `encoder ${B}×${T}×${C} V=${V}`,
                await context.read(v.out),
                encoderTwin.encoderForward(tokenIds, wte, wpe, B, T, C),
                ONE_OP,
              );
              await encoderBackward(context, {
                dout: v.dout,
                tokens: v.tokens,
                tokenIds,
                dwte: v.dwte,
                dwpe: v.dwpe,
                B,
                T,
                C,
              });
              assertClose(`encoder dwte ${B}×${T}×${C} V=${V}`, await context.read(v.dwte), dwte, sumOf(most + 1));
              assertClose(`encoder dwpe ${B}×${T}×${C} V=${V}`, await context.read(v.dwpe), dwpe, sumOf(B + 1));
            },
          );
        }
      },
    },
    {
      name: 'encoder backward: several batches recorded before one submit (bucket upload ordering)',
      async run(context) {
        const random = new Random(67);
        const [T, C, V] = [9, 11, 7];
        // Growing batches: the bucket buffer is reused and regrown while earlier work is pending.
        const batches = [1, 2, 5, 40].map((B) => ({
          B,
          ids: Uint32Array.from({ length: B * T }, () => Math.floor(random.next() * V)),
          dout: random.floats(B * T * C),
        }));
        const dwte = new Float64Array(V * C);
        const dwpe = new Float64Array(T * C);
        for (const { B, ids, dout } of batches) encoderTwin.encoderBackward(dout, ids, B, T, C, dwte, dwpe);
        const views = batches.map(({ ids, dout }) => ({
          tokens: context.tensor('test.tokens', ids),
          dout: context.tensor('test.dout', dout),
        }));
        await withTensors(context, { dwte: V * C, dwpe: T * C }, async (v) => {
          try {
            for (let i = 0; i < batches.length; i++) {
              const { B, ids } = batches[i];
              await encoderBackward(context, {
                dout: views[i].dout,
                tokens: views[i].tokens,
                tokenIds: ids,
                dwte: v.dwte,
                dwpe: v.dwpe,
                B,
                T,
                C,
              });
            }
            assertClose('encoder dwte over 4 batches', await context.read(v.dwte), dwte, sumOf(200));
            assertClose('encoder dwpe over 4 batches', await context.read(v.dwpe), dwpe, sumOf(50));
          } finally {
            for (const view of views) {
              context.destroyBuffer(view.tokens.buffer);
              context.destroyBuffer(view.dout.buffer);
            }
          }
        });
      },
    },
    {
      name: 'encoder: a token outside the vocabulary gives NaN forward and an error backward',
      async run(context) {
        const [B, T, C, V] = [1, 3, 4, 5];
        const tokenIds = Uint32Array.from([1, 5, 4]);
        await withTensors(
          context,
          { tokens: tokenIds, wte: V * C, wpe: T * C, out: B * T * C, dwte: V * C, dwpe: T * C },
          async (v) => {
            await encoderForward(context, { tokens: v.tokens, wte: v.wte, wpe: v.wpe, out: v.out, B, T, C });
            const out = await context.read(v.out);
            const nan = Array.from(out, (value) => Number.isNaN(value));
            const want = [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0].map(Boolean);
            if (nan.some((flag, i) => flag !== want[i]))
              throw new Error(`encoder with token 5 ≥ V=5 gave ${Array.from(out)}`);
            let threw = false;
            try {
              await encoderBackward(context, {
                dout: v.out,
                tokens: v.tokens,
                tokenIds,
                dwte: v.dwte,
                dwpe: v.dwpe,
                B,
                T,
                C,
              });
            } catch (error) {
              threw = /outside the vocabulary/.test((error as Error).message);
            }
            if (!threw) throw new Error('encoder backward accepted token 5 with V = 5');
          },
        );
      },
    },
  ];
}

// ---- bias ------------------------------------------------------------------------------

const BIAS_SHAPES: [number, number][] = [
  [1, 1],
  [1, 7],
  [5, 64],
  [7, 65],
  [67, 13],
  [130, 257],
];

function biasCases(): KernelCase[] {
  return [
    {
      name: 'bias add (in place) and backward (dbias accumulates)',
      async run(context) {
        const random = new Random(71);
        for (const [rows, N] of BIAS_SHAPES) {
          const out = random.floats(rows * N);
          const bias = random.floats(N);
          const dout = random.floats(rows * N);
          const dbias0 = random.floats(N);
          await withTensors(context, { out, bias, dout, dbias: dbias0 }, async (v) => {
            await biasAdd(context, { out: v.out, bias: v.bias, rows, N });
            assertClose(
              `bias add ${rows}×${N}`,
              await context.read(v.out),
              biasTwin.biasAdd(f64(out), bias, rows, N),
              ONE_OP,
            );
            await biasBackward(context, { dout: v.dout, dbias: v.dbias, rows, N });
            assertClose(
              `bias backward ${rows}×${N}`,
              await context.read(v.dbias),
              biasTwin.biasBackward(dout, rows, N, f64(dbias0)),
              sumOf(rows + 1),
            );
          });
        }
      },
    },
  ];
}

// ---- AdamW and clipping ----------------------------------------------------------------

const HYPER = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

function adamwCases(): KernelCase[] {
  return [
    {
      name: 'adamw: three steps with a gradient scale',
      async run(context) {
        const random = new Random(81);
        for (const n of [1, 7, 65, 1000, 4099]) {
          const params = random.floats(n);
          const m = random.floats(n, -0.01, 0.01);
          const v = random.floats(n, 0, 1e-4);
          const gradScale = 0.75;
          const p64 = f64(params);
          const m64 = f64(m);
          const v64 = f64(v);
          await withTensors(context, { params, m, v, grads: n, scale: Float32Array.of(gradScale) }, async (views) => {
            for (let step = 1; step <= 3; step++) {
              const grads = random.floats(n, -0.1, 0.1);
              context.flush(); // the previous step reads the old grads: submit it before overwriting them
              context.upload(views.grads, grads);
              adamwTwin.adamwStep(p64, grads, m64, v64, { ...HYPER, step, gradScale });
              await adamw(context, { ...views, gradScale: views.scale, n, ...HYPER, step });
            }
            assertClose(`adamw m n=${n}`, await context.read(views.m), m64, ADAM_MOMENTS);
            assertClose(`adamw v n=${n}`, await context.read(views.v), v64, ADAM_MOMENTS);
            assertClose(`adamw params n=${n}`, await context.read(views.params), p64, ADAM_PARAMS);
          });
        }
      },
    },
    {
      name: 'global gradient norm and clip factor',
      async run(context) {
        const random = new Random(91);
        for (const n of [1, 5, 64, 65, 4099, 100003, 1048583]) {
          const grads = random.floats(n, -0.5, 0.5);
          const norm = adamwTwin.globalNorm(grads);
          await withTensors(context, { grads, norm: 1, scale: 1 }, async (v) => {
            for (const maxNorm of [norm / 3, norm * 2, 0, Infinity]) {
              await clipByGlobalNorm(context, { grads: v.grads, n, maxNorm, norm: v.norm, scale: v.scale });
              assertClose(`norm n=${n}`, await context.read(v.norm), [norm], NORM);
              assertClose(
                `clip scale n=${n} maxNorm=${maxNorm}`,
                await context.read(v.scale),
                [adamwTwin.clipScale(norm, maxNorm)],
                NORM,
              );
            }
          });
        }
      },
    },
    {
      name: 'clip then adamw: the scale never leaves the GPU',
      async run(context) {
        const random = new Random(97);
        const n = 777;
        const params = random.floats(n);
        const grads = random.floats(n, -3, 3);
        const maxNorm = 1;
        const p64 = f64(params);
        const m64 = new Float64Array(n);
        const v64 = new Float64Array(n);
        adamwTwin.adamwStep(p64, grads, m64, v64, {
          ...HYPER,
          step: 1,
          gradScale: adamwTwin.clipScale(adamwTwin.globalNorm(grads), maxNorm),
        });
        await withTensors(context, { params, grads, m: n, v: n, norm: 1, scale: 1 }, async (v) => {
          await clipByGlobalNorm(context, { grads: v.grads, n, maxNorm, norm: v.norm, scale: v.scale });
          await adamw(context, {
            params: v.params,
            grads: v.grads,
            m: v.m,
            v: v.v,
            gradScale: v.scale,
            n,
            ...HYPER,
            step: 1,
          });
          assertClose('clipped adamw m', await context.read(v.m), m64, { atol: 1e-7, rtol: 1e-4 });
          assertClose('clipped adamw params', await context.read(v.params), p64, ADAM_PARAMS);
        });
      },
    },
  ];
}

// ---- views into one buffer --------------------------------------------------------------

/** Views into one buffer at 256-byte-aligned offsets, as the model's arenas lay them out. */
function oneBuffer(
  context: GpuContext,
  sizes: Record<string, number>,
): { buffer: GPUBuffer; view: (name: string) => BufferView } {
  const offsets: Record<string, number> = {};
  let cursor = 0;
  for (const [name, n] of Object.entries(sizes)) {
    offsets[name] = cursor;
    cursor = Math.ceil((cursor + n * 4) / 256) * 256;
  }
  const buffer = context.createBuffer('test.arena', cursor);
  return { buffer, view: (name) => ({ buffer, offset: offsets[name], size: sizes[name] * 4 }) };
}

function arenaCases(): KernelCase[] {
  return [
    {
      name: 'layer kernels on views into one buffer (inputs and outputs share it)',
      async run(context) {
        const random = new Random(101);
        const [B, T, C, V] = [2, 5, 12, 9];
        const rows = B * T;
        const sizes = {
          tokens: rows,
          wte: V * C,
          wpe: T * C,
          x: rows * C,
          weight: C,
          bias: C,
          ln: rows * C,
          mean: rows,
          rstd: rows,
          h: rows * C,
          g: rows * C,
          dout: rows * C,
          dg: rows * C,
          dx: rows * C,
          dweight: C,
          dbias: C,
          dwte: V * C,
          dwpe: T * C,
        };
        const { buffer, view } = oneBuffer(context, sizes);
        try {
          const tokenIds = Uint32Array.from({ length: rows }, () => Math.floor(random.next() * V));
          const data: Record<string, Float32Array> = {};
          for (const name of [
            'wte',
            'wpe',
            'weight',
            'bias',
            'dout',
            'dx',
            'dweight',
            'dbias',
            'dwte',
            'dwpe',
          ] as const) {
            data[name] = random.floats(sizes[name]);
            context.upload(view(name), data[name]);
          }
          context.upload(view('tokens'), tokenIds);
          // x = encoder(tokens); ln = layernorm(x); h = ln + bias; g = gelu(h); and back.
          await encoderForward(context, {
            tokens: view('tokens'),
            wte: view('wte'),
            wpe: view('wpe'),
            out: view('x'),
            B,
            T,
            C,
          });
          await layernormForward(context, {
            x: view('x'),
            weight: view('weight'),
            bias: view('bias'),
            out: view('ln'),
            mean: view('mean'),
            rstd: view('rstd'),
            rows,
            C,
          });
          await context.copy(view('ln'), view('h'));
          await biasAdd(context, { out: view('h'), bias: view('bias'), rows, N: C });
          await geluForward(context, { x: view('h'), out: view('g'), n: rows * C });
          await geluBackward(context, { x: view('h'), dout: view('dout'), dx: view('dg'), n: rows * C });
          await biasBackward(context, { dout: view('dg'), dbias: view('dbias'), rows, N: C });
          await layernormBackward(context, {
            dout: view('dg'),
            x: view('x'),
            weight: view('weight'),
            mean: view('mean'),
            rstd: view('rstd'),
            dx: view('dx'),
            dweight: view('dweight'),
            dbias: view('dbias'),
            rows,
            C,
          });
          await encoderBackward(context, {
            dout: view('dx'),
            tokens: view('tokens'),
            tokenIds,
            dwte: view('dwte'),
            dwpe: view('dwpe'),
            B,
            T,
            C,
          });

          const x = encoderTwin.encoderForward(tokenIds, data.wte, data.wpe, B, T, C);
          const ln = layernormTwin.layernormForward(x, data.weight, data.bias, rows, C);
          const h = biasTwin.biasAdd(Float64Array.from(ln.out), data.bias, rows, C);
          const dg = geluTwin.geluBackward(h, data.dout, new Float64Array(rows * C));
          const dbias = biasTwin.biasBackward(dg, rows, C, f64(data.dbias));
          const dx = f64(data.dx);
          const dweight = f64(data.dweight);
          layernormTwin.layernormBackward(dg, x, data.weight, ln.mean, ln.rstd, rows, C, dx, dweight, dbias);
          const dwte = f64(data.dwte);
          const dwpe = f64(data.dwpe);
          encoderTwin.encoderBackward(dx, tokenIds, B, T, C, dwte, dwpe);
          const loose: Tolerance = { atol: 1e-4, rtol: 1e-4 }; // a chain of kernels: errors compound
          assertClose('arena encoder', await context.read(view('x')), x, ONE_OP);
          assertClose('arena layernorm', await context.read(view('ln')), ln.out, LN_FORWARD);
          assertClose('arena gelu', await context.read(view('g')), geluTwin.geluForward(h), loose);
          assertClose('arena layernorm dx', await context.read(view('dx')), dx, loose);
          assertClose('arena layernorm dweight', await context.read(view('dweight')), dweight, loose);
          assertClose('arena dbias (bias + layernorm)', await context.read(view('dbias')), dbias, loose);
          assertClose('arena dwte', await context.read(view('dwte')), dwte, loose);
          assertClose('arena dwpe', await context.read(view('dwpe')), dwpe, loose);
        } finally {
          context.destroyBuffer(buffer);
        }
      },
    },
    {
      name: 'adamw and clipping on views into one buffer',
      async run(context) {
        const random = new Random(103);
        const n = 301;
        const { buffer, view } = oneBuffer(context, { params: n, grads: n, m: n, v: n, norm: 1, scale: 1 });
        try {
          const params = random.floats(n);
          const grads = random.floats(n, -2, 2);
          context.upload(view('params'), params);
          context.upload(view('grads'), grads);
          context.upload(view('m'), new Float32Array(n));
          context.upload(view('v'), new Float32Array(n));
          await clipByGlobalNorm(context, {
            grads: view('grads'),
            n,
            maxNorm: 1,
            norm: view('norm'),
            scale: view('scale'),
          });
          await adamw(context, {
            params: view('params'),
            grads: view('grads'),
            m: view('m'),
            v: view('v'),
            gradScale: view('scale'),
            n,
            ...HYPER,
            step: 1,
          });
          const norm = adamwTwin.globalNorm(grads);
          const p64 = f64(params);
          adamwTwin.adamwStep(p64, grads, new Float64Array(n), new Float64Array(n), {
            ...HYPER,
            step: 1,
            gradScale: adamwTwin.clipScale(norm, 1),
          });
          assertClose('arena norm', await context.read(view('norm')), [norm], NORM);
          assertClose('arena adamw params', await context.read(view('params')), p64, ADAM_PARAMS);
        } finally {
          context.destroyBuffer(buffer);
        }
      },
    },
  ];
}

export const layerCasesA: KernelCase[] = [
  ...layernormCases(),
  ...layernormWorkgroupCases(),
  ...geluCases(),
  ...encoderCases(),
  ...biasCases(),
  ...adamwCases(),
  ...arenaCases(),
];
