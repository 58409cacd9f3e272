// The CPU twins of attention (forward, backward, KV-cache decode) and of the
// fused output log-prob layer, checked by central finite differences in float64.
import { describe, expect, it } from 'vitest';
import { attentionBackward, attentionDecodeReference, attentionForward } from '../src/reference/attention.ts';
import { outputLogprobs } from '../src/reference/output.ts';
import { Random } from '../src/util/random.ts';
import { maxAbsDiff, numericGradient } from './util/numeric.ts';

const floats64 = (random: Random, n: number, scale = 1) =>
  Float64Array.from({ length: n }, () => scale * random.uniform(-1, 1));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Attention written the obvious way, per head with explicit matrices, to check the twin against. */
function naiveAttention(qkv: Float64Array, B: number, T: number, C: number, H: number): Float64Array {
  const d = C / H;
  const out = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const at = (t: number, part: number, i: number) => qkv[(b * T + t) * 3 * C + part * C + h * d + i];
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let i = 0; i < d; i++) s += at(t, 0, i) * at(j, 1, i);
          scores.push(j <= t ? s / Math.sqrt(d) : -Infinity);
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let i = 0; i < d; i++)
          out[(b * T + t) * C + h * d + i] = e.reduce((a, p, j) => a + (p / z) * at(j, 2, i), 0);
      }
    }
  }
  return out;
}

describe('attention reference', () => {
  const shapes: [number, number, number, number][] = [
    [1, 1, 4, 1],
    [2, 3, 6, 3],
    [1, 5, 4, 1],
    [2, 4, 8, 2],
  ];

  it('forward agrees with a naive masked-softmax attention; att rows sum to one, zeros above the diagonal', () => {
    const random = new Random(41);
    for (const [B, T, C, H] of shapes) {
      const qkv = floats64(random, B * T * 3 * C, 2);
      const { out, att } = attentionForward(qkv, B, T, C, H);
      expect(maxAbsDiff(out, naiveAttention(qkv, B, T, C, H))).toBeLessThan(1e-13);
      for (let r = 0; r < B * H * T; r++) {
        const t = r % T;
        let sum = 0;
        for (let j = 0; j < T; j++) {
          sum += att[r * T + j];
          if (j > t) expect(att[r * T + j]).toBe(0);
        }
        expect(sum).toBeCloseTo(1, 13);
      }
    }
  });

  it('is causal: changing a later token leaves earlier outputs unchanged', () => {
    const random = new Random(43);
    const [B, T, C, H] = [1, 6, 8, 2];
    const qkv = floats64(random, B * T * 3 * C);
    const before = attentionForward(qkv, B, T, C, H).out;
    for (let c = 0; c < 3 * C; c++) qkv[(T - 1) * 3 * C + c] += 0.5;
    const after = attentionForward(qkv, B, T, C, H).out;
    expect(maxAbsDiff(before.subarray(0, (T - 1) * C), after.subarray(0, (T - 1) * C))).toBe(0);
  });

  it('backward (dq, dk, dv) matches finite differences of L = Σ w ⊙ out', () => {
    const random = new Random(47);
    for (const [B, T, C, H] of shapes) {
      const qkv = floats64(random, B * T * 3 * C, 2);
      const w = floats64(random, B * T * C);
      const loss = (x: Float64Array) => dot(attentionForward(x, B, T, C, H).out, w);
      const { att } = attentionForward(qkv, B, T, C, H);
      const dqkv = new Float64Array(B * T * 3 * C).fill(123); // backward writes (=), so this must vanish
      attentionBackward(w, qkv, att, B, T, C, H, dqkv);
      expect(maxAbsDiff(dqkv, numericGradient(loss, qkv))).toBeLessThan(1e-8);
    }
  });

  it('decode with a KV cache equals row `position` of the full forward', () => {
    const random = new Random(53);
    const [B, T, C, H, maxT] = [2, 5, 6, 3, 8];
    const qkv = floats64(random, B * T * 3 * C);
    const { out } = attentionForward(qkv, B, T, C, H);
    const kCache = new Float64Array(B * maxT * C).fill(NaN); // unwritten positions must not be read
    const vCache = new Float64Array(B * maxT * C).fill(NaN);
    const q = new Float64Array(B * C);
    for (let p = 0; p < T; p++) {
      for (let b = 0; b < B; b++) {
        const src = (b * T + p) * 3 * C;
        q.set(qkv.subarray(src, src + C), b * C);
        kCache.set(qkv.subarray(src + C, src + 2 * C), (b * maxT + p) * C);
        vCache.set(qkv.subarray(src + 2 * C, src + 3 * C), (b * maxT + p) * C);
      }
      const got = attentionDecodeReference(q, kCache, vCache, B, C, H, p, maxT);
      for (let b = 0; b < B; b++)
        expect(
          maxAbsDiff(got.subarray(b * C, (b + 1) * C), out.subarray((b * T + p) * C, (b * T + p + 1) * C)),
        ).toBeLessThan(1e-14);
    }
  });
});

describe('output log-prob reference', () => {
  it('log-probs are log softmax at the target and shift-invariant', () => {
    const random = new Random(61);
    const [rows, V] = [3, 7];
    const logits = floats64(random, rows * V, 4);
    const targets = [0, 6, 3];
    const { logprobs } = outputLogprobs(logits, targets, [1, 1, 1], rows, V);
    for (let r = 0; r < rows; r++) {
      const row = logits.subarray(r * V, (r + 1) * V);
      const z = row.reduce((a, v) => a + Math.exp(v), 0);
      expect(logprobs[r]).toBeCloseTo(row[targets[r]] - Math.log(z), 13);
    }
    const shifted = outputLogprobs(
      logits.map((v) => v + 1000),
      targets,
      [1, 1, 1],
      rows,
      V,
    ).logprobs;
    expect(maxAbsDiff(shifted, logprobs)).toBeLessThan(1e-12);
  });

  it('dlogits is the finite-difference gradient of −Σ c · logprob (c of both signs and 0)', () => {
    const random = new Random(67);
    const [rows, V] = [4, 9];
    const logits = floats64(random, rows * V, 3);
    const targets = [2, 0, 8, 5];
    const coefficients = [0.25, -0.7, 0, 1.3];
    const loss = (x: Float64Array) => -dot(outputLogprobs(x, targets, coefficients, rows, V).logprobs, coefficients);
    const { dlogits } = outputLogprobs(logits, targets, coefficients, rows, V);
    expect(maxAbsDiff(dlogits, numericGradient(loss, logits))).toBeLessThan(1e-8);
    for (let j = 0; j < V; j++) expect(Math.abs(dlogits[2 * V + j])).toBe(0); // c = 0: padding
  });

  it('SFT cross-entropy: c = mask / count gives the mean cross-entropy gradient; stays finite for huge logits', () => {
    const [rows, V] = [3, 5];
    const logits = Float64Array.from([1e4, 1e4 - 1, -1e4, 80, 0, 3e38, -3e38, 0, 0, 1, 0, 0, 0, 0, 0]);
    const targets = [1, 0, 4];
    const mask = [1, 1, 0];
    const coefficients = mask.map((m) => m / 2);
    const { logprobs, dlogits } = outputLogprobs(logits, targets, coefficients, rows, V);
    expect(Array.from(logprobs).every(Number.isFinite)).toBe(true);
    expect(Array.from(dlogits).every(Number.isFinite)).toBe(true);
    expect(logprobs[0]).toBeCloseTo(-1 - Math.log(1 + Math.exp(-1)), 12);
    expect(logprobs[1]).toBe(0);
    // Each row of dlogits sums to c · (1 − 1) = 0.
    for (let r = 0; r < rows; r++)
      expect(Math.abs(dlogits.subarray(r * V, (r + 1) * V).reduce((a, v) => a + v, 0))).toBeLessThan(1e-12);
  });

  it('a target ≥ V (padding sentinel) gives logprob 0 and no one-hot term', () => {
    const { logprobs, dlogits } = outputLogprobs([0, 0], [0xffffffff], [1], 1, 2);
    expect(logprobs[0]).toBe(0);
    expect(Array.from(dlogits)).toEqual([0.5, 0.5]);
  });
});
