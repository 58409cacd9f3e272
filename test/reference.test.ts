// The CPU twins, checked by finite differences in float64.
import { describe, expect, it } from 'vitest';
import { matmulBackwardReference, matmulReference } from '../src/reference/matmul.ts';
import { softmaxBackwardReference, softmaxReference } from '../src/reference/softmax.ts';
import { Random } from '../src/util/random.ts';
import { maxAbsDiff, numericGradient } from './util/numeric.ts';

const floats64 = (random: Random, n: number) => Float64Array.from({ length: n }, () => random.uniform(-1, 1));

describe('matmul reference', () => {
  it('transposed forms agree with explicit transposes', () => {
    const random = new Random(3);
    const [M, N, K] = [4, 5, 3];
    const a = floats64(random, M * K);
    const b = floats64(random, K * N);
    const at = new Float64Array(K * M);
    const bt = new Float64Array(N * K);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) at[k * M + i] = a[i * K + k];
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bt[j * K + k] = b[k * N + j];
    const plain = matmulReference(a, b, new Float64Array(M * N), { M, N, K });
    expect(maxAbsDiff(matmulReference(at, b, new Float64Array(M * N), { M, N, K, transA: true }), plain)).toBeLessThan(
      1e-14,
    );
    expect(maxAbsDiff(matmulReference(a, bt, new Float64Array(M * N), { M, N, K, transB: true }), plain)).toBeLessThan(
      1e-14,
    );
  });

  it('backward (dA = dC·Bᵀ, dB = Aᵀ·dC) matches finite differences', () => {
    const random = new Random(5);
    const [M, N, K] = [3, 4, 5];
    const a = floats64(random, M * K);
    const b = floats64(random, K * N);
    const dc = floats64(random, M * N);
    // L = Σ dC ⊙ (A·B)
    const loss = (aa: Float64Array, bb: Float64Array) =>
      matmulReference(aa, bb, new Float64Array(M * N), { M, N, K }).reduce((s, v, i) => s + v * dc[i], 0);
    const { da, db } = matmulBackwardReference(a, b, dc, M, N, K);
    expect(
      maxAbsDiff(
        da,
        numericGradient((x) => loss(x, b), a),
      ),
    ).toBeLessThan(1e-8);
    expect(
      maxAbsDiff(
        db,
        numericGradient((x) => loss(a, x), b),
      ),
    ).toBeLessThan(1e-8);
  });
});

describe('softmax reference', () => {
  it('rows sum to one and are shift-invariant', () => {
    const random = new Random(7);
    const x = floats64(random, 12);
    const p = softmaxReference(x, 3, 4);
    for (let r = 0; r < 3; r++) expect(p[r * 4] + p[r * 4 + 1] + p[r * 4 + 2] + p[r * 4 + 3]).toBeCloseTo(1, 14);
    expect(
      maxAbsDiff(
        softmaxReference(
          x.map((v) => v + 100),
          3,
          4,
        ),
        p,
      ),
    ).toBeLessThan(1e-14);
  });

  it('backward matches finite differences', () => {
    const random = new Random(9);
    const [rows, cols] = [3, 6];
    const x = floats64(random, rows * cols).map((v) => v * 4);
    const dp = floats64(random, rows * cols);
    const loss = (xx: Float64Array) => softmaxReference(xx, rows, cols).reduce((s, v, i) => s + v * dp[i], 0);
    const dx = softmaxBackwardReference(softmaxReference(x, rows, cols), dp, rows, cols);
    expect(maxAbsDiff(dx, numericGradient(loss, x))).toBeLessThan(1e-8);
  });
});
