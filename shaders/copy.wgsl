// out[i] = x[i] for i < n: a copy between views of one buffer, which
// copyBufferToBuffer refuses. Dispatch as elementwise.wgsl.
struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

//#include "common/index.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i < params.n) { out[i] = x[i]; }
}
