// requires: K % 4 == 0, N % 4 == 0
// C[M×N] (+)= A[M×K] · B[K×N] (+ bias[N] with BIAS), row-major f32, batched over workgroup_id.z.
// With BIAS and accumulate, C = C + (A·B + bias): a linear layer and its residual add in one dispatch.
// Each thread computes a TM×TN block of C (TN/4 vec4 columns) in registers;
// no workgroup memory. Dispatch: x = ceil(N / (TN*WG)), y = ceil(M / TM), z = batch.
const TM: u32 = 16u;
const TN: u32 = 32u;
const WG: u32 = 8u;
const BIAS: bool = false;

//#include "common/matmul_dims.wgsl"

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> d: Dims;
@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;

const TN4: u32 = TN / 4u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let K4 = d.K / 4u;
  let N4 = d.N / 4u;
  let lda4 = d.lda / 4u;
  let ldb4 = d.ldb / 4u;
  let ldc4 = d.ldc / 4u;
  let aBase = wid.z * (d.strideA / 4u);
  let bBase = wid.z * (d.strideB / 4u);
  let cBase = wid.z * (d.strideC / 4u);
  let row0 = wid.y * TM;
  let col0 = (wid.x * WG + lid.x) * TN4;   // first vec4 column of this thread

  // clamped row offsets into A and column offsets into B (never out of bounds)
  var aOff: array<u32, TM>;
  for (var i = 0u; i < TM; i++) { aOff[i] = aBase + min(row0 + i, d.M - 1u) * lda4; }
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
  for (var k = 0u; k < K4; k++) {
    var av: array<vec4<f32>, TM>;
    for (var i = 0u; i < TM; i++) { av[i] = a[aOff[i] + k]; }
    let kr = 4u * k * ldb4;
    for (var j = 0u; j < TN4; j++) {
      let b0 = b[bCol[j] + kr];
      let b1 = b[bCol[j] + kr + ldb4];
      let b2 = b[bCol[j] + kr + 2u * ldb4];
      let b3 = b[bCol[j] + kr + 3u * ldb4];
      for (var i = 0u; i < TM; i++) {
        acc[i][j] = fma(vec4<f32>(av[i].x), b0, acc[i][j]);
        acc[i][j] = fma(vec4<f32>(av[i].y), b1, acc[i][j]);
        acc[i][j] = fma(vec4<f32>(av[i].z), b2, acc[i][j]);
        acc[i][j] = fma(vec4<f32>(av[i].w), b3, acc[i][j]);
      }
    }
  }

  for (var i = 0u; i < TM; i++) {
    let r = row0 + i;
    if (r >= d.M) { break; }
    for (var j = 0u; j < TN4; j++) {
      let cc = col0 + j;
      if (cc >= N4) { break; }
      let idx = cBase + r * ldc4 + cc;
      var y = acc[i][j];
      if (BIAS) { y = y + bias[cc]; }
      if (d.accumulate == 1u) { c[idx] = c[idx] + y; } else { c[idx] = y; }
    }
  }
}
