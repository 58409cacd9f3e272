// The layer twins (LayerNorm, GELU, encoder, bias, AdamW), checked in float64: each backward
// against central finite differences of L = Σ dout ⊙ forward(·), and AdamW against steps
// worked by hand.
import { describe, expect, it } from 'vitest';
import { bucketTokens } from '../src/kernels/encoder.ts';
import { LAYER_NORM_EPS } from '../src/model/config.ts';
import { adamwStep, clipScale, globalNorm } from '../src/reference/adamw.ts';
import { biasAdd, biasBackward } from '../src/reference/bias.ts';
import { encoderBackward, encoderForward } from '../src/reference/encoder.ts';
import { geluBackward, geluForward } from '../src/reference/gelu.ts';
import { layernormBackward, layernormForward } from '../src/reference/layernorm.ts';
import { Random } from '../src/util/random.ts';
import { maxAbsDiff, numericGradient } from './util/numeric.ts';

const floats64 = (random: Random, n: number, low = -1, high = 1) =>
  Float64Array.from({ length: n }, () => random.uniform(low, high));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
/** a − b, elementwise (what an accumulating backward added). */
const minus = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v - b[i]);

// Central differences with h = 1e-6 in float64: truncation ~h²·f‴, rounding ~1e-16/h; both ≪ 1e-7.
const FD = 1e-7;

describe('layernorm reference', () => {
  it('normalises each row to mean 0 and biased variance 1 − eps/(σ² + eps); saves mean and rstd', () => {
    const random = new Random(1);
    const [rows, C] = [4, 9];
    const x = floats64(random, rows * C, -3, 5);
    const { out, mean, rstd } = layernormForward(x, new Float64Array(C).fill(1), new Float64Array(C), rows, C);
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * C, (r + 1) * C);
      const mu = row.reduce((a, b) => a + b, 0) / C;
      const variance = row.reduce((a, b) => a + (b - mu) ** 2, 0) / C; // biased, as PyTorch
      expect(mean[r]).toBeCloseTo(mu, 14);
      expect(rstd[r]).toBeCloseTo(1 / Math.sqrt(variance + LAYER_NORM_EPS), 12);
      const o = out.subarray(r * C, (r + 1) * C);
      expect(o.reduce((a, b) => a + b, 0) / C).toBeCloseTo(0, 13);
      expect(o.reduce((a, b) => a + b * b, 0) / C).toBeCloseTo(variance / (variance + LAYER_NORM_EPS), 12);
    }
  });

  it('weight scales and bias shifts each column', () => {
    const random = new Random(2);
    const [rows, C] = [3, 5];
    const x = floats64(random, rows * C);
    const w = floats64(random, C);
    const b = floats64(random, C);
    const plain = layernormForward(x, new Float64Array(C).fill(1), new Float64Array(C), rows, C).out;
    const affine = layernormForward(x, w, b, rows, C).out;
    expect(
      maxAbsDiff(
        affine,
        plain.map((v, i) => v * w[i % C] + b[i % C]),
      ),
    ).toBeLessThan(1e-15);
  });

  it('backward (dx, dweight, dbias) matches finite differences and accumulates', () => {
    const random = new Random(3);
    for (const [rows, C] of [
      [1, 1],
      [1, 2],
      [3, 7],
      [5, 16],
    ]) {
      const x = floats64(random, rows * C, -2, 2);
      const w = floats64(random, C, -2, 2);
      const b = floats64(random, C);
      const dout = floats64(random, rows * C);
      const loss = (xx: Float64Array, ww: Float64Array, bb: Float64Array) =>
        dot(layernormForward(xx, ww, bb, rows, C).out, dout);
      const { mean, rstd } = layernormForward(x, w, b, rows, C);
      // Start from non-zero gradients: backward must add, not overwrite.
      const dx0 = floats64(random, rows * C);
      const dw0 = floats64(random, C);
      const db0 = floats64(random, C);
      const [dx, dw, db] = [dx0.slice(), dw0.slice(), db0.slice()];
      layernormBackward(dout, x, w, mean, rstd, rows, C, dx, dw, db);
      expect(
        maxAbsDiff(
          minus(dx, dx0),
          numericGradient((v) => loss(v, w, b), x),
        ),
      ).toBeLessThan(FD);
      expect(
        maxAbsDiff(
          minus(dw, dw0),
          numericGradient((v) => loss(x, v, b), w),
        ),
      ).toBeLessThan(FD);
      expect(
        maxAbsDiff(
          minus(db, db0),
          numericGradient((v) => loss(x, w, v), b),
        ),
      ).toBeLessThan(FD);
    }
  });
});

describe('gelu reference', () => {
  it('is GPT-2’s tanh approximation', () => {
    // ½x(1 + tanh(√(2/π)(x + 0.044715x³))), worked separately.
    const out = geluForward([0, 1, -1, 2]);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(0.8411919906082768, 15);
    expect(out[2]).toBeCloseTo(-0.15880800939172324, 15);
    expect(out[3]).toBeCloseTo(1.954597694087775, 15);
  });

  it('backward matches finite differences and writes (does not accumulate)', () => {
    const random = new Random(5);
    const x = floats64(random, 40, -6, 6);
    const dout = floats64(random, 40);
    const dx = new Float64Array(40).fill(123); // overwritten
    geluBackward(x, dout, dx);
    expect(
      maxAbsDiff(
        dx,
        numericGradient((v) => dot(geluForward(v), dout), x),
      ),
    ).toBeLessThan(FD);
  });
});

describe('encoder reference', () => {
  const [B, T, C, V, P] = [3, 4, 5, 6, 7]; // wpe has more rows (P) than the batch uses (T)

  it('adds the token row of wte and the position row of wpe', () => {
    const random = new Random(7);
    const tokens = [0, 5, 5, 2, 1, 1, 1, 3, 4, 0, 5, 2];
    const wte = floats64(random, V * C);
    const wpe = floats64(random, P * C);
    const out = encoderForward(tokens, wte, wpe, B, T, C);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let c = 0; c < C; c++) {
          expect(out[(b * T + t) * C + c]).toBe(wte[tokens[b * T + t] * C + c] + wpe[t * C + c]);
        }
  });

  it('backward matches finite differences (repeated tokens included) and accumulates', () => {
    const random = new Random(8);
    const tokens = [0, 5, 5, 2, 1, 1, 1, 3, 4, 0, 5, 2];
    const wte = floats64(random, V * C);
    const wpe = floats64(random, P * C);
    const dout = floats64(random, B * T * C);
    const dwte0 = floats64(random, V * C);
    const dwpe0 = floats64(random, P * C);
    const [dwte, dwpe] = [dwte0.slice(), dwpe0.slice()];
    encoderBackward(dout, tokens, B, T, C, dwte, dwpe);
    const loss = (e: Float64Array, p: Float64Array) => dot(encoderForward(tokens, e, p, B, T, C), dout);
    expect(
      maxAbsDiff(
        minus(dwte, dwte0),
        numericGradient((v) => loss(v, wpe), wte),
      ),
    ).toBeLessThan(FD);
    expect(
      maxAbsDiff(
        minus(dwpe, dwpe0),
        numericGradient((v) => loss(wte, v), wpe),
      ),
    ).toBeLessThan(FD);
    // Rows of wpe past T get nothing.
    expect(maxAbsDiff(dwpe.subarray(T * C), dwpe0.subarray(T * C))).toBe(0);
  });

  it('the GPU backward’s buckets list each token’s positions in order', () => {
    const tokens = Uint32Array.from([4, 0, 4, 9, 0, 4]);
    const { words, distinct } = bucketTokens(tokens);
    expect(distinct).toBe(3);
    // [tokens | starts (D + 1) | positions]
    expect(Array.from(words)).toEqual([0, 4, 9, 0, 2, 5, 6, 1, 4, 0, 2, 5, 3]);
    expect(Array.from(bucketTokens(new Uint32Array(0)).words)).toEqual([0]);
  });
});

describe('bias reference', () => {
  it('adds in place and its backward matches finite differences and accumulates', () => {
    const random = new Random(9);
    const [rows, N] = [5, 7];
    const x = floats64(random, rows * N);
    const bias = floats64(random, N);
    const out = biasAdd(x.slice(), bias, rows, N);
    expect(
      maxAbsDiff(
        out,
        x.map((v, i) => v + bias[i % N]),
      ),
    ).toBe(0);
    const dout = floats64(random, rows * N);
    const db0 = floats64(random, N);
    const db = biasBackward(dout, rows, N, db0.slice());
    expect(
      maxAbsDiff(
        minus(db, db0),
        numericGradient((v) => dot(biasAdd(x.slice(), v, rows, N), dout), bias),
      ),
    ).toBeLessThan(FD);
  });
});

describe('adamw reference', () => {
  const hyper = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

  it('takes the first step worked by hand', () => {
    // g = 0.5: m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25; p = 1 − 0.1·(0.5/(0.5 + 1e-8) + 0.01·1)
    const p = [1];
    const m = [0];
    const v = [0];
    adamwStep(p, [0.5], m, v, { ...hyper, step: 1 });
    expect(m[0]).toBeCloseTo(0.05, 16);
    expect(v[0]).toBeCloseTo(0.00025, 16);
    expect(p[0]).toBeCloseTo(0.899000002, 15);
  });

  it('takes a second step worked by hand, and gradScale multiplies the gradient', () => {
    // Step 2 from m = 0.05, v = 0.00025 with g = −0.25 (given as −0.5 with gradScale ½):
    // m = 0.045 − 0.025 = 0.02, v = 0.00024975 + 0.0000625 = 0.00031225,
    // m̂ = 0.02/0.19, v̂ = 0.00031225/0.001999, p = 0.899000002 − 0.1·(m̂/(√v̂ + 1e-8) + 0.01·0.899000002)
    const p = [0.899000002];
    const m = [0.05];
    const v = [0.00025];
    adamwStep(p, [-0.5], m, v, { ...hyper, step: 2, gradScale: 0.5 });
    const mHat = 0.02 / 0.19;
    const vHat = 0.00031225 / (1 - 0.999 ** 2);
    expect(m[0]).toBeCloseTo(0.02, 15);
    expect(v[0]).toBeCloseTo(0.00031225, 15);
    expect(p[0]).toBeCloseTo(0.899000002 - 0.1 * (mHat / (Math.sqrt(vHat) + 1e-8) + 0.01 * 0.899000002), 14);
  });

  it('weight decay is decoupled: p·(1 − lr·wd) with a zero gradient, the same shift with any gradient', () => {
    const zero = [2];
    adamwStep(zero, [0], [0], [0], { ...hyper, step: 1 });
    expect(zero[0]).toBeCloseTo(2 * (1 - 0.1 * 0.01), 15); // an L2 penalty in the gradient would move it by ≈ lr
    const random = new Random(11);
    const p = floats64(random, 20);
    const g = floats64(random, 20);
    const m = floats64(random, 20, -0.1, 0.1);
    const v = floats64(random, 20, 0, 0.01);
    const withDecay = p.slice();
    const without = p.slice();
    adamwStep(withDecay, g, m.slice(), v.slice(), { ...hyper, step: 5 });
    adamwStep(without, g, m.slice(), v.slice(), { ...hyper, step: 5, weightDecay: 0 });
    // The decay term is lr·wd·p, not divided by √v̂: the two runs differ by exactly that.
    expect(
      maxAbsDiff(
        minus(without, withDecay),
        p.map((x) => 0.1 * 0.01 * x),
      ),
    ).toBeLessThan(1e-15);
  });

  it('global norm and clip scale', () => {
    expect(globalNorm([3, 4])).toBe(5);
    expect(globalNorm([])).toBe(0);
    expect(clipScale(5, 1)).toBeCloseTo(1 / (5 + 1e-6), 15);
    expect(clipScale(0.5, 1)).toBe(1);
    expect(clipScale(5, 0)).toBe(1);
    expect(clipScale(5, -1)).toBe(1);
    expect(clipScale(5, Infinity)).toBe(1);
  });
});
