// Causal multi-head self-attention (GPT-2 layout) and its backward, one thread
// per (b, h, row): simple loops, no barriers, no workgroup memory, so it is
// correct for any T and cheap on software adapters.
// qkv [B, T, 3C]: q = channels [0, C), k = [C, 2C), v = [2C, 3C); head h uses
// channels h·d … (h+1)·d of each, d = C / H; scale 1/√d.
//   forward:  att_tj = softmax_j((q_t · k_j)/√d) for j ≤ t, 0 above the diagonal;
//             out_t = Σ_j att_tj v_j                         (heads concatenated)
//   backward_query (thread per query t):
//             dp_tj = dout_t · v_j;  ds_tj = att_tj (dp_tj − Σ_k att_tk dp_tk) / √d   → scratch
//             dq_t = Σ_{j ≤ t} ds_tj k_j                                              → out[.., 0:C]
//   backward_key (thread per key j, after backward_query):
//             dk_j = Σ_{t ≥ j} ds_tj q_t;  dv_j = Σ_{t ≥ j} att_tj dout_t              → out[.., C:3C]
// Every output element is written (=) by exactly one thread: deterministic.
// Dispatch: ceil(B·H·T / WG) workgroups, spread over x and y (row = gid.x + gid.y · groups.x · WG).
// Bindings per entry point — forward: qkv → att, out (dout, scratch unused);
// backward_*: qkv, dout, att → scratch [B, H, T, T], out = dqkv [B, T, 3C].
struct Params { B: u32, T: u32, C: u32, H: u32 }

const WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read_write> att: array<f32>;
@group(0) @binding(3) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

struct Row { b: u32, h: u32, t: u32, bh: u32, d: u32, valid: bool }

fn row_of(gid: vec3<u32>, groups: vec3<u32>) -> Row {
  let r = gid.x + gid.y * groups.x * WG;
  let T = params.T;
  let bh = r / T;
  return Row(bh / params.H, bh % params.H, r % T, bh, params.C / params.H, r < params.B * params.H * T);
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let w = row_of(gid, groups);
  if (!w.valid) { return; }
  let T = params.T;
  let C = params.C;
  let C3 = 3u * C;
  let d = w.d;
  let scale = 1.0 / sqrt(f32(d));
  let q0 = (w.b * T + w.t) * C3 + w.h * d;
  let row = (w.bh * T + w.t) * T;
  // scores and their max
  var m = -3.402823e38;
  for (var j = 0u; j <= w.t; j++) {
    let k0 = (w.b * T + j) * C3 + C + w.h * d;
    var s = 0.0;
    for (var i = 0u; i < d; i++) { s += qkv[q0 + i] * qkv[k0 + i]; }
    s *= scale;
    att[row + j] = s;
    m = max(m, s);
  }
  // exp and sum
  var sum = 0.0;
  for (var j = 0u; j <= w.t; j++) {
    let e = exp(att[row + j] - m);
    att[row + j] = e;
    sum += e;
  }
  let inv = 1.0 / sum;
  for (var j = 0u; j <= w.t; j++) { att[row + j] *= inv; }
  for (var j = w.t + 1u; j < T; j++) { att[row + j] = 0.0; }
  // out_t = Σ_j att_tj v_j
  let o0 = (w.b * T + w.t) * C + w.h * d;
  for (var i = 0u; i < d; i++) {
    var acc = 0.0;
    for (var j = 0u; j <= w.t; j++) { acc += att[row + j] * qkv[(w.b * T + j) * C3 + 2u * C + w.h * d + i]; }
    out[o0 + i] = acc;
  }
}

@compute @workgroup_size(WG)
fn backward_query(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let w = row_of(gid, groups);
  if (!w.valid) { return; }
  let T = params.T;
  let C = params.C;
  let C3 = 3u * C;
  let d = w.d;
  let scale = 1.0 / sqrt(f32(d));
  let o0 = (w.b * T + w.t) * C + w.h * d;
  let row = (w.bh * T + w.t) * T;
  // dp_tj = dout_t · v_j, and D = Σ_j att_tj dp_tj
  var D = 0.0;
  for (var j = 0u; j <= w.t; j++) {
    let v0 = (w.b * T + j) * C3 + 2u * C + w.h * d;
    var s = 0.0;
    for (var i = 0u; i < d; i++) { s += dout[o0 + i] * qkv[v0 + i]; }
    scratch[row + j] = s;
    D += att[row + j] * s;
  }
  // ds_tj (with the 1/√d folded in)
  for (var j = 0u; j <= w.t; j++) { scratch[row + j] = att[row + j] * (scratch[row + j] - D) * scale; }
  // dq_t = Σ_j ds_tj k_j
  let q0 = (w.b * T + w.t) * C3 + w.h * d;
  for (var i = 0u; i < d; i++) {
    var acc = 0.0;
    for (var j = 0u; j <= w.t; j++) { acc += scratch[row + j] * qkv[(w.b * T + j) * C3 + C + w.h * d + i]; }
    out[q0 + i] = acc;
  }
}

@compute @workgroup_size(WG)
fn backward_key(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let w = row_of(gid, groups);
  if (!w.valid) { return; }
  let T = params.T;
  let C = params.C;
  let C3 = 3u * C;
  let d = w.d;
  let j = w.t; // this thread's key position
  let k0 = (w.b * T + j) * C3 + C + w.h * d;
  for (var i = 0u; i < d; i++) {
    var dk = 0.0;
    var dv = 0.0;
    for (var t = j; t < T; t++) {
      let at = (w.bh * T + t) * T + j;
      dk += scratch[at] * qkv[(w.b * T + t) * C3 + w.h * d + i];
      dv += att[at] * dout[(w.b * T + t) * C + w.h * d + i];
    }
    out[k0 + i] = dk;
    out[k0 + C + i] = dv;
  }
}
