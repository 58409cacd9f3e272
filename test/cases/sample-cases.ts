// Sampling on the GPU against its twin: the same draw picks the same token,
// log-probs under the sampling policy and the model agree, top-k never leaks.
import type { GpuContext } from '../../src/gpu/context.ts';
import { sampleNext } from '../../src/kernels/sample.ts';
import { sampleReference, sampleUniform, samplingDistribution } from '../../src/reference/sample.ts';
import { assertClose } from '../../src/util/compare.ts';
import { Random } from '../../src/util/random.ts';
import type { KernelCase } from './kernel-cases.ts';

async function sampleOnce(
  context: GpuContext,
  logits: Float32Array,
  B: number,
  V: number,
  temperature: number,
  topK: number,
  seed: number,
  promptLengths?: Uint32Array,
  stride = V,
) {
  const maxT = 2;
  const views = {
    logits: context.tensor('test.logits', logits),
    promptLengths: context.tensor('test.lengths', promptLengths ?? new Uint32Array(B).fill(1)),
    tokens: context.tensor(
      'test.tokens',
      Uint32Array.from({ length: B * maxT }, (_, i) => (i % maxT === 1 ? 3 : 0)),
    ),
    logprobs: context.tensor('test.lp', B * maxT),
    modelLogprobs: context.tensor('test.mlp', B * maxT),
  };
  try {
    await sampleNext(context, { ...views, B, V, stride, position: 0, maxT, temperature, topK, seed });
    const tokens = await context.readU32(views.tokens);
    const lp = await context.read(views.logprobs);
    const mlp = await context.read(views.modelLogprobs);
    return {
      tokens: Array.from({ length: B }, (_, b) => tokens[b * maxT + 1]),
      logprobs: Array.from({ length: B }, (_, b) => lp[b * maxT + 1]),
      modelLogprobs: Array.from({ length: B }, (_, b) => mlp[b * maxT + 1]),
    };
  } finally {
    for (const v of Object.values(views)) context.destroyBuffer(v.buffer);
  }
}

export const sampleCases: KernelCase[] = [
  {
    name: 'sampling matches its twin draw for draw (temperature, top-k)',
    async run(context) {
      const random = new Random(5);
      for (const [B, V, temperature, topK] of [
        [7, 5, 1, 0],
        [13, 31, 0.7, 4],
        [5, 64, 1.3, 1],
        [9, 17, 0.5, 16],
      ] as const) {
        const logits = random.floats(B * V, -3, 3);
        const seed = 1234 + V;
        const got = await sampleOnce(context, logits, B, V, temperature, topK, seed);
        for (let b = 0; b < B; b++) {
          const u = sampleUniform(seed, 0, b);
          const want = sampleReference(logits, V, b, temperature, topK, u);
          // A draw within float error of a boundary may round either way: accept the neighbour then.
          const p = samplingDistribution(Array.from(logits.subarray(b * V, (b + 1) * V)), temperature, topK);
          let below = 0;
          for (let i = 0; i < want.token; i++) below += p[i];
          const nearBoundary = Math.abs(u - below) < 1e-5 || Math.abs(u - below - p[want.token]) < 1e-5;
          if (got.tokens[b] !== want.token && !nearBoundary)
            throw new Error(
              `row ${b} (V=${V}, τ=${temperature}, k=${topK}): ` +
                `GPU picked ${got.tokens[b]}, twin ${want.token} for u=${u}`,
            );
          if (got.tokens[b] === want.token) {
            assertClose(`log π_s row ${b}`, [got.logprobs[b]], [want.logprob], { atol: 1e-5, rtol: 1e-5 });
            assertClose(`log π row ${b}`, [got.modelLogprobs[b]], [want.modelLogprob], { atol: 1e-5, rtol: 1e-5 });
          }
          if (topK > 0 && p[got.tokens[b]] === 0)
            throw new Error(`row ${b}: token ${got.tokens[b]} is outside the top ${topK}`);
        }
      }
    },
  },
  {
    name: 'sampling frequencies follow the tempered top-k distribution',
    async run(context) {
      const V = 6;
      const B = 3000;
      const row = Float32Array.from([1.0, 0.2, -0.5, 2.0, 0.0, 1.5]);
      const logits = new Float32Array(B * V);
      for (let b = 0; b < B; b++) logits.set(row, b * V);
      const got = await sampleOnce(context, logits, B, V, 0.8, 4, 99);
      const p = samplingDistribution(Array.from(row), 0.8, 4);
      const counts = new Array(V).fill(0);
      for (const t of got.tokens) counts[t] += 1;
      for (let i = 0; i < V; i++) {
        const sd = Math.sqrt(B * p[i] * (1 - p[i]));
        if (Math.abs(counts[i] - B * p[i]) > 5 * sd + 1)
          throw new Error(`token ${i}: ${counts[i]} draws, expected ${(B * p[i]).toFixed(0)} ± ${sd.toFixed(0)}`);
      }
    },
  },
  {
    name: 'sampling keeps prompt tokens where the prompt covers the next position',
    async run(context) {
      const logits = Float32Array.from([0, 5, 0, 0, 0, 5, 0, 0]);
      const got = await sampleOnce(context, logits, 2, 4, 1, 1, 3, Uint32Array.from([2, 1]));
      if (got.tokens[0] !== 3) throw new Error(`row 0 should keep its prompt token 3, got ${got.tokens[0]}`);
      if (got.tokens[1] !== 1) throw new Error(`row 1 should sample the argmax 1 with top-k 1, got ${got.tokens[1]}`);
    },
  },
  {
    name: 'sampling maps packed rows to sequences (draw hashed by sequence) and flags eos',
    async run(context) {
      const B = 6;
      const V = 5;
      const maxT = 2;
      const rows = Uint32Array.from([5, 2, 0]); // logits row a is sequence rows[a]
      const A = rows.length;
      // Greedy (top-k 1) picks 3, 1 and 4: eos = 3 is sampled by the first packed row only.
      const logits = Float32Array.from([0, 1, 0, 2, 0, 0, 3, 1, 0, 0, 1, 0, 0, 0, 2]);
      const views = {
        logits: context.tensor('test.logits', logits),
        promptLengths: context.tensor('test.lengths', new Uint32Array(B).fill(1)),
        tokens: context.tensor('test.tokens', new Uint32Array(B * maxT)),
        logprobs: context.tensor('test.lp', B * maxT),
        modelLogprobs: context.tensor('test.mlp', B * maxT),
        rows: context.tensor('test.rows', rows),
        done: context.tensor('test.done', new Uint32Array(B)),
      };
      try {
        const seed = 77;
        const draws = Array.from(rows, (b, a) => sampleReference(logits, V, a, 1, 1, sampleUniform(seed, 0, b)));
        const eos = 3;
        await sampleNext(context, { ...views, B: A, V, position: 0, maxT, temperature: 1, topK: 1, seed, eos });
        const tokens = await context.readU32(views.tokens);
        const done = await context.readU32(views.done);
        rows.forEach((b, a) => {
          if (tokens[b * maxT + 1] !== draws[a].token)
            throw new Error(`sequence ${b}: got token ${tokens[b * maxT + 1]}, twin ${draws[a].token}`);
        });
        const want = Array.from({ length: B }, (_, b) => (b === rows[0] ? 1 : 0));
        if (Array.from(done).join() !== want.join()) throw new Error(`done flags ${Array.from(done)}, want ${want}`);
        for (let b = 0; b < B; b++)
          if (!rows.includes(b) && tokens[b * maxT + 1] !== 0)
            throw new Error(`sequence ${b} is not live but was written`);
      } finally {
        for (const v of Object.values(views)) context.destroyBuffer(v.buffer);
      }
    },
  },
  {
    name: 'sampling from padded logits rows never draws a padding token and matches the twin at the true V',
    async run(context) {
      const random = new Random(8);
      for (const [V, stride, temperature, topK] of [
        [39, 40, 8, 0],
        [7, 8, 20, 3],
        [13, 16, 5, 1],
      ] as const) {
        const B = 2000;
        const logits = random.floats(B * V, -1, 1);
        // Padding columns far above every true logit: any that were read would win every draw.
        const padded = new Float32Array(B * stride).fill(50);
        for (let b = 0; b < B; b++) padded.set(logits.subarray(b * V, (b + 1) * V), b * stride);
        const seed = 4321 + V;
        const got = await sampleOnce(context, padded, B, V, temperature, topK, seed, undefined, stride);
        const seen = new Set<number>();
        let mismatches = 0;
        for (let b = 0; b < B; b++) {
          const token = got.tokens[b];
          if (token >= V) throw new Error(`V=${V} stride ${stride}: row ${b} drew the padding token ${token}`);
          seen.add(token);
          const want = sampleReference(logits, V, b, temperature, topK, sampleUniform(seed, 0, b));
          if (token !== want.token)
            mismatches += 1; // a draw within float error of a boundary may round either way
          else
            assertClose(`padded log π row ${b}`, [got.modelLogprobs[b]], [want.modelLogprob], {
              atol: 1e-5,
              rtol: 1e-5,
            });
        }
        if (mismatches > B / 100) throw new Error(`V=${V}: ${mismatches} of ${B} draws differ from the twin`);
        // Hot sampling over all tokens reaches every true token.
        if (topK === 0 && seen.size !== V) throw new Error(`V=${V}: only ${seen.size} distinct tokens in ${B} draws`);
      }
    },
  },
];
