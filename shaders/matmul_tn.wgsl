// requires: M % 4 == 0, N % 4 == 0
// C[M×N] (+)= A[K×M]ᵀ · B[K×N], row-major f32, batched over workgroup_id.z.
// Each thread computes a TM×TN block of C in registers (no workgroup memory):
// A rows (length M) are read as vec4 over 4 adjacent output rows, B rows as
// vec4 over 4 adjacent output columns. K may be anything. TM must be a
// multiple of 4. Dispatch: x = ceil(N / (TN*WG)), y = ceil(M / TM), z = batch.
const TM: u32 = 16u;
const TN: u32 = 32u;
const WG: u32 = 8u;

//#include "common/matmul_dims.wgsl"

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> d: Dims;

const TM4: u32 = TM / 4u;
const TN4: u32 = TN / 4u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M4 = d.M / 4u;
  let N4 = d.N / 4u;
  let lda4 = d.lda / 4u;
  let ldb4 = d.ldb / 4u;
  let ldc4 = d.ldc / 4u;
  let aBase = wid.z * (d.strideA / 4u);
  let bBase = wid.z * (d.strideB / 4u);
  let cBase = wid.z * (d.strideC / 4u);
  let row0 = wid.y * TM;
  let col0 = (wid.x * WG + lid.x) * TN4;   // first vec4 column of this thread

  var aCol: array<u32, TM4>;
  for (var i = 0u; i < TM4; i++) { aCol[i] = aBase + min(row0 / 4u + i, M4 - 1u); }
  var bCol: array<u32, TN4>;
  for (var j = 0u; j < TN4; j++) { bCol[j] = bBase + min(col0 + j, N4 - 1u); }

  var acc: array<array<vec4<f32>, TN4>, TM>;
  if (d.accumulate == 2u) { // continue the sums of an earlier piece of K
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN4; j++) {
        if (row0 + i < d.M && col0 + j < N4) { acc[i][j] = c[cBase + (row0 + i) * ldc4 + col0 + j]; }
      }
    }
  }
  var k = 0u;
  loop {
    if (k + 4u > d.K) { break; }
    var av: array<array<vec4<f32>, TM4>, 4>;
    for (var kk = 0u; kk < 4u; kk++) {
      for (var i = 0u; i < TM4; i++) { av[kk][i] = a[aCol[i] + (k + kk) * lda4]; }
    }
    for (var j = 0u; j < TN4; j++) {
      let b0 = b[bCol[j] + k * ldb4];
      let b1 = b[bCol[j] + (k + 1u) * ldb4];
      let b2 = b[bCol[j] + (k + 2u) * ldb4];
      let b3 = b[bCol[j] + (k + 3u) * ldb4];
      for (var i = 0u; i < TM; i++) {
        acc[i][j] = fma(vec4<f32>(av[0][i / 4u][i % 4u]), b0, acc[i][j]);
        acc[i][j] = fma(vec4<f32>(av[1][i / 4u][i % 4u]), b1, acc[i][j]);
        acc[i][j] = fma(vec4<f32>(av[2][i / 4u][i % 4u]), b2, acc[i][j]);
        acc[i][j] = fma(vec4<f32>(av[3][i / 4u][i % 4u]), b3, acc[i][j]);
      }
    }
    k += 4u;
  }
  for (; k < d.K; k++) {
    var av: array<vec4<f32>, TM4>;
    for (var i = 0u; i < TM4; i++) { av[i] = a[aCol[i] + k * lda4]; }
    for (var j = 0u; j < TN4; j++) {
      let b0 = b[bCol[j] + k * ldb4];
      for (var i = 0u; i < TM; i++) {
        acc[i][j] = fma(vec4<f32>(av[i / 4u][i % 4u]), b0, acc[i][j]);
      }
    }
  }

//#include "common/matmul_store_vec4.wgsl"
}
