// x[r, j] *= s[r] for a [rows × cols] matrix: turns the output kernel's
// (softmax − onehot) rows, written with c = 1, into c_r · (softmax − onehot) once
// an objective has computed c from the log-probs. Dispatch as elementwise.wgsl over rows·cols.
// x larger than one binding goes in pieces of rows: x holds rows first … first + rows − 1, s is bound whole.
struct Params { rows: u32, cols: u32, first: u32, pad1: u32 }

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> s: array<f32>;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

//#include "common/index.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = index(gid, groups);
  if (i < params.rows * params.cols) { x[i] = x[i] * s[params.first + i / params.cols]; }
}
