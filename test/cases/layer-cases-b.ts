// GPU-vs-twin cases for attention (forward, backward, KV-cache decode) and the
// fused output log-prob layer. Run alike in Node, Deno and Chromium (index.ts).
import type { BufferView, GpuContext } from '../../src/gpu/context.ts';
import {
  attentionBackward,
  attentionDecode,
  attentionForward,
  attentionScratchElements,
} from '../../src/kernels/attention.ts';
import { outputLogprobs } from '../../src/kernels/output.ts';
import {
  allAttentionCandidates,
  allWorkgroupCandidates,
  attentionTile,
  TUNED_HEAD_SIZE,
  type AttentionTile,
} from '../../src/kernels/tuning.ts';
import {
  attentionBackward as attentionBackwardReference,
  attentionDecodeReference,
  attentionForward as attentionForwardReference,
} from '../../src/reference/attention.ts';
import { outputLogprobs as outputLogprobsReference } from '../../src/reference/output.ts';
import { assertClose, type Tolerance } from '../../src/util/compare.ts';
import { Random } from '../../src/util/random.ts';
import type { KernelCase } from './kernel-cases.ts';

// Inputs in [-1, 1]; f32 dot products over d and sums over T keep errors near 1e-6.
const ATT_TOL: Tolerance = { atol: 2e-6, rtol: 1e-4 };
// dqkv sums T·d products of f32 values (dp, ds, q/k): allow a little more.
const ATT_BACKWARD_TOL: Tolerance = { atol: 1e-5, rtol: 1e-4 };
// logprobs: lse over V values of size ~10 in f32.
const LOGPROB_TOL: Tolerance = { atol: 2e-5, rtol: 1e-5 };
const DLOGITS_TOL: Tolerance = { atol: 1e-6, rtol: 1e-4 };

// [B, T, C, H]: T = 1, primes, H = 1 and > 1, B > 1, head sizes 1 … 16.
const ATTENTION_SHAPES: [number, number, number, number][] = [
  [1, 1, 4, 1],
  [1, 1, 8, 2],
  [2, 3, 6, 3],
  [1, 7, 5, 1],
  [3, 13, 12, 4],
  [2, 17, 16, 1],
  [1, 31, 32, 2],
  [2, 64, 32, 4],
  [1, 130, 16, 2],
];

function destroyAll(context: GpuContext, views: BufferView[]): void {
  for (const v of views) context.destroyBuffer(v.buffer);
}

async function checkAttention(
  context: GpuContext,
  [B, T, C, H]: [number, number, number, number],
  seed: number,
  withScratch: boolean,
): Promise<void> {
  const random = new Random(seed);
  const qkv = random.floats(B * T * 3 * C);
  const dout = random.floats(B * T * C);
  const expected = attentionForwardReference(qkv, B, T, C, H);
  const label = `attention B=${B} T=${T} C=${C} H=${H}`;
  const vqkv = context.tensor('test.qkv', qkv);
  // Poison the outputs: every element must be written, including zeros above the diagonal.
  const vout = context.tensor('test.out', new Float32Array(B * T * C).fill(NaN));
  const vatt = context.tensor('test.att', new Float32Array(B * H * T * T).fill(NaN));
  const vdout = context.tensor('test.dout', dout);
  const vdqkv = context.tensor('test.dqkv', new Float32Array(B * T * 3 * C).fill(NaN));
  const views = [vqkv, vout, vatt, vdout, vdqkv];
  const scratch = withScratch ? context.tensor('test.scratch', attentionScratchElements(B, T, C, H)) : undefined;
  if (scratch) views.push(scratch);
  try {
    await attentionForward(context, { qkv: vqkv, out: vout, att: vatt, B, T, C, H });
    assertClose(`${label} out`, await context.read(vout), expected.out, ATT_TOL);
    const att = await context.read(vatt);
    assertClose(`${label} att`, att, expected.att, ATT_TOL);
    await attentionBackward(context, { dout: vdout, qkv: vqkv, att: vatt, dqkv: vdqkv, B, T, C, H, scratch });
    // The twin runs on the GPU's own att, so only the backward's error is measured.
    const dqkv = new Float64Array(B * T * 3 * C);
    attentionBackwardReference(dout, qkv, att, B, T, C, H, dqkv);
    assertClose(`${label} dqkv`, await context.read(vdqkv), dqkv, ATT_BACKWARD_TOL);
  } finally {
    destroyAll(context, views);
  }
}

function attentionCases(): KernelCase[] {
  return [
    {
      name: 'attention forward and backward on awkward shapes',
      async run(context) {
        let seed = 401;
        for (const shape of ATTENTION_SHAPES) await checkAttention(context, shape, seed++, seed % 2 === 0);
      },
    },
    {
      name: 'attention on views into one buffer (inputs and outputs share it)',
      async run(context) {
        const [B, T, C, H] = [2, 5, 8, 2];
        const random = new Random(451);
        const qkv = random.floats(B * T * 3 * C);
        const dout = random.floats(B * T * C);
        const expected = attentionForwardReference(qkv, B, T, C, H);
        // One arena: [qkv | out | att | dout | dqkv], offsets aligned to 256 bytes.
        const sizes = { qkv: B * T * 3 * C, out: B * T * C, att: B * H * T * T, dout: B * T * C, dqkv: B * T * 3 * C };
        const offsets: Record<string, number> = {};
        let cursor = 0;
        for (const [name, n] of Object.entries(sizes)) {
          offsets[name] = cursor;
          cursor = Math.ceil((cursor + n * 4) / 256) * 256;
        }
        const buffer = context.createBuffer('test.arena', cursor);
        const view = (name: keyof typeof sizes): BufferView => ({
          buffer,
          offset: offsets[name],
          size: sizes[name] * 4,
        });
        try {
          context.upload(view('qkv'), qkv);
          context.upload(view('dout'), dout);
          await attentionForward(context, { qkv: view('qkv'), out: view('out'), att: view('att'), B, T, C, H });
          await attentionBackward(context, {
            dout: view('dout'),
            qkv: view('qkv'),
            att: view('att'),
            dqkv: view('dqkv'),
            B,
            T,
            C,
            H,
          });
          assertClose('arena attention out', await context.read(view('out')), expected.out, ATT_TOL);
          const att = await context.read(view('att'));
          assertClose('arena attention att', att, expected.att, ATT_TOL);
          const dqkv = new Float64Array(sizes.dqkv);
          attentionBackwardReference(dout, qkv, att, B, T, C, H, dqkv);
          assertClose('arena attention dqkv', await context.read(view('dqkv')), dqkv, ATT_BACKWARD_TOL);
        } finally {
          context.destroyBuffer(buffer);
        }
      },
    },
    {
      name: 'attention decode with a KV cache equals the full forward, token by token',
      async run(context) {
        for (const [B, T, C, H, maxT, seed] of [
          [1, 1, 4, 1, 1, 461],
          [2, 7, 12, 3, 11, 462],
          [3, 13, 16, 1, 13, 463],
        ]) {
          const random = new Random(seed);
          const qkv = random.floats(B * T * 3 * C);
          const vqkv = context.tensor('test.qkv', qkv);
          const vout = context.tensor('test.out', B * T * C);
          const vatt = context.tensor('test.att', B * H * T * T);
          // The cache starts as garbage beyond the written positions: decode must not read it.
          const kCache = new Float32Array(B * maxT * C).fill(NaN);
          const vCache = new Float32Array(B * maxT * C).fill(NaN);
          const vk = context.tensor('test.kCache', kCache);
          const vv = context.tensor('test.vCache', vCache);
          const vq = context.tensor('test.q', B * C);
          const vdec = context.tensor('test.decoded', B * C);
          try {
            await attentionForward(context, { qkv: vqkv, out: vout, att: vatt, B, T, C, H });
            const full = await context.read(vout);
            const q = new Float32Array(B * C);
            for (let p = 0; p < T; p++) {
              for (let b = 0; b < B; b++) {
                const src = (b * T + p) * 3 * C;
                q.set(qkv.subarray(src, src + C), b * C);
                kCache.set(qkv.subarray(src + C, src + 2 * C), (b * maxT + p) * C);
                vCache.set(qkv.subarray(src + 2 * C, src + 3 * C), (b * maxT + p) * C);
                // Write only the new position's key and value, as a sampler would.
                context.upload(
                  { buffer: vk.buffer, offset: (b * maxT + p) * C * 4, size: C * 4 },
                  qkv.subarray(src + C, src + 2 * C),
                );
                context.upload(
                  { buffer: vv.buffer, offset: (b * maxT + p) * C * 4, size: C * 4 },
                  qkv.subarray(src + 2 * C, src + 3 * C),
                );
              }
              context.upload(vq, q);
              await attentionDecode(context, {
                q: vq,
                kCache: vk,
                vCache: vv,
                out: vdec,
                B,
                H,
                d: C / H,
                C,
                position: p,
                maxT,
              });
              const got = await context.read(vdec);
              const fromForward = new Float64Array(B * C);
              for (let b = 0; b < B; b++) fromForward.set(full.subarray((b * T + p) * C, (b * T + p + 1) * C), b * C);
              const label = `decode B=${B} C=${C} H=${H} position ${p}`;
              assertClose(`${label} vs GPU forward`, got, fromForward, ATT_TOL);
              assertClose(
                `${label} vs twin`,
                got,
                attentionDecodeReference(q, kCache, vCache, B, C, H, p, maxT),
                ATT_TOL,
              );
            }
          } finally {
            destroyAll(context, [vqkv, vout, vatt, vk, vv, vq, vdec]);
          }
        }
      },
    },
    {
      name: 'attention decode reads q in place from qkv and maps packed rows to cached sequences (vec4 and scalar)',
      async run(context) {
        // d = 8 runs the vec4 kernel, d = 3 the scalar one.
        for (const [C, H, seed] of [
          [16, 2, 471],
          [6, 2, 472],
        ]) {
          const sequences = 5;
          const maxT = 9;
          const position = 6;
          const rows = Uint32Array.from([4, 1, 3]); // live sequences, packed first
          const A = rows.length;
          const random = new Random(seed);
          const qkv = random.floats(A * 3 * C);
          const kCache = random.floats(sequences * maxT * C);
          const vCache = random.floats(sequences * maxT * C);
          const views = {
            qkv: context.tensor('test.qkv', qkv),
            kCache: context.tensor('test.kCache', kCache),
            vCache: context.tensor('test.vCache', vCache),
            rows: context.tensor('test.rows', rows),
            out: context.tensor('test.out', A * C),
          };
          try {
            await attentionDecode(context, {
              q: views.qkv,
              qStride: 3 * C,
              rows: views.rows,
              kCache: views.kCache,
              vCache: views.vCache,
              out: views.out,
              B: A,
              H,
              d: C / H,
              C,
              position,
              maxT,
            });
            const got = await context.read(views.out);
            // The twin over the gathered rows: q from each qkv row, the caches of sequence rows[a].
            const q = new Float32Array(A * C);
            const k = new Float32Array(A * maxT * C);
            const v = new Float32Array(A * maxT * C);
            rows.forEach((b, a) => {
              q.set(qkv.subarray(a * 3 * C, a * 3 * C + C), a * C);
              k.set(kCache.subarray(b * maxT * C, (b + 1) * maxT * C), a * maxT * C);
              v.set(vCache.subarray(b * maxT * C, (b + 1) * maxT * C), a * maxT * C);
            });
            const want = attentionDecodeReference(q, k, v, A, C, H, position, maxT);
            assertClose(`decode mapped C=${C} H=${H}`, got, want, ATT_TOL);
          } finally {
            destroyAll(context, Object.values(views));
          }
        }
      },
    },
  ];
}

/** The first element where two results differ (±0 count as equal), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  return a.findIndex((x, i) => x !== b[i]);
}

/** Forward and backward with one tile; backward reads `att` when given (else the forward's own). */
async function runAttentionTile(
  context: GpuContext,
  [B, T, C, H]: [number, number, number, number],
  qkv: Float32Array,
  dout: Float32Array,
  tile: AttentionTile,
  att?: Float32Array,
): Promise<{ out: Float32Array; att: Float32Array; dqkv: Float32Array }> {
  const views = {
    qkv: context.tensor('test.qkv', qkv),
    out: context.tensor('test.out', new Float32Array(B * T * C).fill(NaN)),
    att: context.tensor('test.att', new Float32Array(B * H * T * T).fill(NaN)),
    dout: context.tensor('test.dout', dout),
    dqkv: context.tensor('test.dqkv', new Float32Array(B * T * 3 * C).fill(NaN)),
  };
  try {
    const shape = { B, T, C, H, tile };
    await attentionForward(context, { ...shape, qkv: views.qkv, out: views.out, att: views.att });
    const out = await context.read(views.out);
    const ownAtt = await context.read(views.att);
    if (att !== undefined) context.upload(views.att, att);
    await attentionBackward(context, { ...shape, dout: views.dout, qkv: views.qkv, att: views.att, dqkv: views.dqkv });
    return { out, att: ownAtt, dqkv: await context.read(views.dqkv) };
  } finally {
    destroyAll(context, Object.values(views));
  }
}

function attentionTileCases(): KernelCase[] {
  return [
    {
      name: 'attention: every tuning tile matches the twin; backward tiles and workgroup sizes give the same values',
      async run(context) {
        // Tuning picks any of these at the tuned head size on this adapter (or a GPU). The backward's sums run
        // over keys (queries) in the same order whatever R is, so its results are the default tile's; so are a
        // forward's with the default R. Another R regroups the forward's online softmax: within tolerance.
        const d = TUNED_HEAD_SIZE;
        let seed = 481;
        for (const shape of [
          [2, 37, 2 * d, 2],
          [1, 20, d, 1],
        ] as [number, number, number, number][]) {
          const [B, T, C, H] = shape;
          const random = new Random(seed++);
          const qkv = random.floats(B * T * 3 * C);
          const dout = random.floats(B * T * C);
          const expected = attentionForwardReference(qkv, B, T, C, H);
          const fallback = attentionTile(d);
          const reference = await runAttentionTile(context, shape, qkv, dout, fallback);
          for (const tile of allAttentionCandidates(d, [context.report.kind, 'gpu'])) {
            const label = `attention B=${B} T=${T} C=${C} H=${H} tile R=${tile.R} WG=${tile.WG}`;
            const got = await runAttentionTile(context, shape, qkv, dout, tile, reference.att);
            assertClose(`${label} out`, got.out, expected.out, ATT_TOL);
            assertClose(`${label} att`, got.att, expected.att, ATT_TOL);
            const dqkv = new Float64Array(B * T * 3 * C);
            attentionBackwardReference(dout, qkv, reference.att, B, T, C, H, dqkv);
            assertClose(`${label} dqkv`, got.dqkv, dqkv, ATT_BACKWARD_TOL);
            const backward = firstDifference(got.dqkv, reference.dqkv);
            if (backward >= 0) throw new Error(`${label}: dqkv[${backward}] differs from the default tile's`);
            const forward = firstDifference(got.out, reference.out);
            if (tile.R === fallback.R && forward >= 0)
              throw new Error(`${label}: out[${forward}] differs from the default tile's`);
          }
        }
      },
    },
    {
      name: 'attention decode: every tuning workgroup size gives the values of the default (vec4 and scalar)',
      async run(context) {
        for (const [C, H, seed] of [
          [64, 2, 491],
          [6, 2, 492],
        ]) {
          const [B, maxT, position] = [5, 9, 6];
          const random = new Random(seed);
          const q = random.floats(B * C);
          const kCache = random.floats(B * maxT * C);
          const vCache = random.floats(B * maxT * C);
          const want = attentionDecodeReference(q, kCache, vCache, B, C, H, position, maxT);
          const views = {
            q: context.tensor('test.q', q),
            kCache: context.tensor('test.kCache', kCache),
            vCache: context.tensor('test.vCache', vCache),
            out: context.tensor('test.out', B * C),
          };
          try {
            const decode = async (WG?: number) => {
              context.upload(views.out, new Float32Array(B * C).fill(NaN));
              await attentionDecode(context, { ...views, B, H, d: C / H, C, position, maxT, WG });
              return context.read(views.out);
            };
            const fallback = await decode();
            for (const WG of allWorkgroupCandidates([context.report.kind, 'gpu'])) {
              const label = `decode C=${C} H=${H} WG=${WG}`;
              const got = await decode(WG);
              assertClose(label, got, want, ATT_TOL);
              const differs = firstDifference(got, fallback);
              if (differs >= 0) throw new Error(`${label}: element ${differs} differs from the default's`);
            }
          } finally {
            destroyAll(context, Object.values(views));
          }
        }
      },
    },
  ];
}

async function checkOutput(
  context: GpuContext,
  label: string,
  logits: Float32Array,
  targets: Uint32Array,
  coefficients: Float32Array,
  rows: number,
  V: number,
  stride = V,
  WG?: number,
): Promise<void> {
  const expected = outputLogprobsReference(logits, targets, coefficients, rows, V);
  // Padding columns past V hold values far above the row: the kernel must leave them out and write them 0.
  const padded = new Float32Array(rows * stride).fill(1e3);
  for (let r = 0; r < rows; r++) padded.set(logits.subarray(r * V, (r + 1) * V), r * stride);
  const vlogits = context.tensor('test.logits', padded);
  const vtargets = context.tensor('test.targets', targets);
  const vcoef = context.tensor('test.coefficients', coefficients);
  const vlogprobs = context.tensor('test.logprobs', new Float32Array(rows).fill(NaN));
  try {
    await outputLogprobs(context, {
      logits: vlogits,
      targets: vtargets,
      coefficients: vcoef,
      logprobs: vlogprobs,
      rows,
      V,
      stride,
      WG,
    });
    const logprobs = await context.read(vlogprobs);
    const paddedGrad = await context.read(vlogits);
    const dlogits = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) {
      dlogits.set(paddedGrad.subarray(r * stride, r * stride + V), r * V);
      for (let j = V; j < stride; j++)
        if (paddedGrad[r * stride + j] !== 0)
          throw new Error(`${label}: padding column ${j} of row ${r} has gradient ${paddedGrad[r * stride + j]}`);
    }
    if (logprobs.some((v) => !Number.isFinite(v)) || dlogits.some((v) => !Number.isFinite(v)))
      throw new Error(`${label}: non-finite output`);
    assertClose(`${label} logprobs`, logprobs, expected.logprobs, LOGPROB_TOL);
    assertClose(`${label} dlogits`, dlogits, expected.dlogits, DLOGITS_TOL);
    for (let r = 0; r < rows; r++) {
      if (coefficients[r] !== 0) continue;
      for (let j = 0; j < V; j++)
        if (dlogits[r * V + j] !== 0)
          throw new Error(`${label}: row ${r} has c = 0 but dlogits[${j}] = ${dlogits[r * V + j]}`);
    }
  } finally {
    destroyAll(context, [vlogits, vtargets, vcoef, vlogprobs]);
  }
}

function outputCases(): KernelCase[] {
  return [
    {
      name: 'output log-probs and dlogits on awkward shapes',
      async run(context) {
        const random = new Random(501);
        for (const [rows, V] of [
          [1, 1],
          [1, 5],
          [3, 64],
          [7, 65],
          [5, 1000],
          [67, 13],
          [4, 50257],
        ]) {
          const logits = random.floats(rows * V, -10, 10);
          const targets = Uint32Array.from({ length: rows }, () => Math.floor(random.next() * V));
          // Mixed coefficients: positive, negative (ascent on a negative sample), and 0 (padding).
          const coefficients = Float32Array.from({ length: rows }, (_, r) => (r % 3 === 2 ? 0 : random.uniform(-1, 1)));
          await checkOutput(context, `output ${rows}×${V}`, logits, targets, coefficients, rows, V);
        }
      },
    },
    {
      name: 'output log-probs stay finite for large logits; target ≥ V is padding',
      async run(context) {
        const V = 4;
        const logits = Float32Array.from([
          1e4,
          1e4 - 1,
          -1e4,
          80,
          3e38,
          -3e38,
          0,
          0,
          -3e38,
          -3e38,
          -3e38,
          5,
          1,
          2,
          3,
          4,
        ]);
        const targets = Uint32Array.from([1, 0, 11, 7]); // row 3's target is out of range: padding
        const coefficients = Float32Array.from([0.5, 1, -0.25, 0]);
        await checkOutput(context, 'output of large logits', logits, targets, coefficients, 4, V);
      },
    },
    {
      name: 'output log-probs on padded rows: the padding columns are left out and get zero gradient',
      async run(context) {
        const random = new Random(503);
        for (const [rows, V, stride] of [
          [5, 39, 40],
          [3, 7, 8],
          [70, 13, 16],
          [2, 1, 4],
        ]) {
          const logits = random.floats(rows * V, -5, 5);
          const targets = Uint32Array.from({ length: rows }, (_, r) => (r === 1 ? V : Math.floor(random.next() * V)));
          const coefficients = Float32Array.from({ length: rows }, (_, r) => (r % 3 === 2 ? 0 : random.uniform(-1, 1)));
          await checkOutput(
            context,
            `output ${rows}×${V} stride ${stride}`,
            logits,
            targets,
            coefficients,
            rows,
            V,
            stride,
          );
        }
      },
    },
    {
      name: 'output log-probs: every tuning workgroup size matches the twin',
      async run(context) {
        // The shipped model's padded rows (V = 39, stride 40) and a vocabulary wider than every workgroup.
        const random = new Random(505);
        for (const [rows, V, stride] of [
          [9, 39, 40],
          [3, 300, 300],
        ]) {
          const logits = random.floats(rows * V, -5, 5);
          const targets = Uint32Array.from({ length: rows }, () => Math.floor(random.next() * V));
          const coefficients = Float32Array.from({ length: rows }, () => random.uniform(-1, 1));
          for (const WG of allWorkgroupCandidates([context.report.kind, 'gpu']))
            await checkOutput(
              context,
              `output ${rows}×${V} WG=${WG}`,
              logits,
              targets,
              coefficients,
              rows,
              V,
              stride,
              WG,
            );
        }
      },
    },
  ];
}

export const layerCasesB: KernelCase[] = [...attentionCases(), ...attentionTileCases(), ...outputCases()];
