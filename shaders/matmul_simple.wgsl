// C = op(A) · op(B) (+ bias[N] with BIAS) (+ C when accumulate), one output per thread, any shape.
// op(A) is A[M×K] or, with TRANS_A, A[K×M]ᵀ; op(B) is B[K×N] or, with TRANS_B, B[N×K]ᵀ.
// The fallback for shapes the fast kernels do not take, and the easy one to read.
// Dispatch: x = ceil(N / 8), y = ceil(M / 8), z = batch.
//#include "common/matmul_dims.wgsl"

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override BIAS: bool = false;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  let row = gid.y;
  if (row >= dims.M || col >= dims.N) { return; }
  let a0 = gid.z * dims.strideA;
  let b0 = gid.z * dims.strideB;
  let i = gid.z * dims.strideC + row * dims.ldc + col;
  var sum = select(0.0, c[i], dims.accumulate == 2u); // 2: continue the sums of an earlier piece of K
  for (var k = 0u; k < dims.K; k++) {
    let av = select(a[a0 + row * dims.lda + k], a[a0 + k * dims.lda + row], TRANS_A);
    let bv = select(b[b0 + k * dims.ldb + col], b[b0 + col * dims.ldb + k], TRANS_B);
    sum = fma(av, bv, sum);
  }
  if (BIAS) { sum = sum + bias[col]; }
  if (dims.accumulate == 1u) { c[i] += sum; } else { c[i] = sum; }
}
