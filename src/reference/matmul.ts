// CPU twin of shaders/matmul_*.wgsl: C = op(A) · op(B) (+ C), row-major, batched.
// Works in float32 (Float32Array) or float64 (Float64Array / number[]) alike.

export interface MatmulShape {
  M: number;
  N: number;
  K: number;
  /** A is stored K×M and used transposed. */
  transA?: boolean;
  /** B is stored N×K and used transposed. */
  transB?: boolean;
  accumulate?: boolean;
  batch?: number;
}

type Numbers = { length: number; [i: number]: number };

export function matmulReference<T extends Numbers>(a: Numbers, b: Numbers, c: T, shape: MatmulShape): T {
  const { M, N, K, transA = false, transB = false, accumulate = false, batch = 1 } = shape;
  for (let z = 0; z < batch; z++) {
    const a0 = z * M * K;
    const b0 = z * K * N;
    const c0 = z * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const av = transA ? a[a0 + k * M + i] : a[a0 + i * K + k];
          const bv = transB ? b[b0 + j * K + k] : b[b0 + k * N + j];
          sum += av * bv;
        }
        c[c0 + i * N + j] = accumulate ? c[c0 + i * N + j] + sum : sum;
      }
    }
  }
  return c;
}

/**
 * Backward of C = A · B given dC: dA = dC · Bᵀ, dB = Aᵀ · dC — the other two
 * matmul forms, which is why the GPU needs all three.
 */
export function matmulBackwardReference(
  a: Numbers,
  b: Numbers,
  dc: Numbers,
  M: number,
  N: number,
  K: number,
): { da: Float64Array; db: Float64Array } {
  const da = matmulReference(dc, b, new Float64Array(M * K), { M, N: K, K: N, transB: true });
  const db = matmulReference(a, dc, new Float64Array(K * N), { M: K, N, K: M, transA: true });
  return { da, db };
}
