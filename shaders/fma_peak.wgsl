// FMA-peak probe for gemstone: measures the adapter's f32 FMA throughput.
// Each invocation runs `iterations` loop trips; each trip does 2 vec4 FMAs on
// each of 16 independent accumulator chains = 16 * 2 * 4 FMAs = 128 FMAs = 256 FLOPs.
//   FLOPs per invocation = 256 * iterations   (FLOPS_PER_ITER below)
// Workgroup size: WG = 64 (1-D). Dispatch any number of workgroups along x;
// `out` must hold (number of invocations) vec4<f32>.
// Bindings (group 0): 0 `out` storage read_write array<vec4<f32>>, 1 uniform Params.
const WG: u32 = 64u;
const FLOPS_PER_ITER: u32 = 256u;

struct Params { iterations: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = f32(gid.x & 7u) * 1e-6;
  let m = vec4<f32>(0.9999 - s, 0.9998 - s, 0.9997 - s, 0.9996 - s);
  let c = vec4<f32>(1e-4 + s);
  var a0 = vec4<f32>(s + 0.01);
  var a1 = a0 + vec4<f32>(0.01);
  var a2 = a0 + vec4<f32>(0.02);
  var a3 = a0 + vec4<f32>(0.03);
  var a4 = a0 + vec4<f32>(0.04);
  var a5 = a0 + vec4<f32>(0.05);
  var a6 = a0 + vec4<f32>(0.06);
  var a7 = a0 + vec4<f32>(0.07);
  var a8 = a0 + vec4<f32>(0.08);
  var a9 = a0 + vec4<f32>(0.09);
  var a10 = a0 + vec4<f32>(0.10);
  var a11 = a0 + vec4<f32>(0.11);
  var a12 = a0 + vec4<f32>(0.12);
  var a13 = a0 + vec4<f32>(0.13);
  var a14 = a0 + vec4<f32>(0.14);
  var a15 = a0 + vec4<f32>(0.15);
  for (var i = 0u; i < params.iterations; i++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    a8 = fma(a8, m, c); a9 = fma(a9, m, c); a10 = fma(a10, m, c); a11 = fma(a11, m, c);
    a12 = fma(a12, m, c); a13 = fma(a13, m, c); a14 = fma(a14, m, c); a15 = fma(a15, m, c);
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    a8 = fma(a8, m, c); a9 = fma(a9, m, c); a10 = fma(a10, m, c); a11 = fma(a11, m, c);
    a12 = fma(a12, m, c); a13 = fma(a13, m, c); a14 = fma(a14, m, c); a15 = fma(a15, m, c);
  }
  out[gid.x] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
             + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15));
}
