// requires: K % 4 == 0
// C[M×N] (+)= A[M×K] · B[N×K]ᵀ, row-major f32, batched over workgroup_id.z.
// Each thread computes a TM×TN block of C in registers (no workgroup memory):
// A and B rows are read as vec4 along K; 4 B rows are transposed in registers
// into vec4s over 4 adjacent output columns. C is bound as array<f32>, so N
// may be anything. Dispatch: x = ceil(N / (TN*WG)), y = ceil(M / TM), z = batch.
const TM: u32 = 32u;
const TN: u32 = 32u;
const WG: u32 = 8u;

//#include "common/matmul_dims.wgsl"

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;

const TN4: u32 = TN / 4u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let K4 = d.K / 4u;
  let aBase = wid.z * (d.strideA / 4u);
  let bBase = wid.z * (d.strideB / 4u);
  let cBase = wid.z * d.strideC;
  let row0 = wid.y * TM;
  let col0 = (wid.x * WG + lid.x) * TN;   // first (scalar) column of this thread

  var aOff: array<u32, TM>;
  for (var i = 0u; i < TM; i++) { aOff[i] = aBase + min(row0 + i, d.M - 1u) * (d.lda / 4u); }
  var bOff: array<u32, TN>;
  for (var j = 0u; j < TN; j++) { bOff[j] = bBase + min(col0 + j, d.N - 1u) * (d.ldb / 4u); }

  var acc: array<array<vec4<f32>, TN4>, TM>;
  for (var k = 0u; k < K4; k++) {
    var av: array<vec4<f32>, TM>;
    for (var i = 0u; i < TM; i++) { av[i] = a[aOff[i] + k]; }
    for (var j = 0u; j < TN4; j++) {
      let q0 = b[bOff[4u * j] + k];
      let q1 = b[bOff[4u * j + 1u] + k];
      let q2 = b[bOff[4u * j + 2u] + k];
      let q3 = b[bOff[4u * j + 3u] + k];
      let b0 = vec4<f32>(q0.x, q1.x, q2.x, q3.x);
      let b1 = vec4<f32>(q0.y, q1.y, q2.y, q3.y);
      let b2 = vec4<f32>(q0.z, q1.z, q2.z, q3.z);
      let b3 = vec4<f32>(q0.w, q1.w, q2.w, q3.w);
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
      for (var q = 0u; q < 4u; q++) {
        let cc = col0 + 4u * j + q;
        if (cc < d.N) {
          let idx = cBase + r * d.ldc + cc;
          var v = acc[i][j][q];
          if (d.accumulate == 1u) { v = v + c[idx]; }
          c[idx] = v;
        }
      }
    }
  }
}
