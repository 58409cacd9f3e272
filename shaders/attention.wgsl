// Causal multi-head self-attention (GPT-2 layout) and its backward. No barriers,
// no workgroup memory, so it is correct for any T and cheap on software adapters.
// qkv [B, T, 3C]: q = channels [0, C), k = [C, 2C), v = [2C, 3C); head h uses
// channels h·d … (h+1)·d of each, d = C / H; scale 1/√d.
//   forward:  att_tj = softmax_j((q_t · k_j)/√d) for j ≤ t, 0 above the diagonal;
//             out_t = Σ_j att_tj v_j                         (heads concatenated)
//   backward_query (per query t):
//             dp_tj = dout_t · v_j;  ds_tj = att_tj (dp_tj − Σ_k att_tk dp_tk) / √d   → scratch
//             dq_t = Σ_{j ≤ t} ds_tj k_j                                              → out[.., 0:C]
//   backward_key (per key j, after backward_query):
//             dk_j = Σ_{t ≥ j} ds_tj q_t;  dv_j = Σ_{t ≥ j} att_tj dout_t              → out[.., C:3C]
// Every output element is written (=) by exactly one thread: deterministic.
//
// Two sets of entry points:
// - forward, backward_query, backward_key: any d. One thread per (b, h, row),
//   scalar loops. Dispatch ceil(B·H·T / WG) workgroups over x and y
//   (row = gid.x + gid.y · groups.x · WG).
// - *_vec4: d % 4 == 0, with D4 = d / 4 and R set by the host (module constants).
//   One thread per (b, h, block of R consecutive rows); q/k/v/dout rows are read
//   as vec4 (qkv4, dout4: the same buffers as qkv, dout) into registers, and each
//   loaded k/v/q/dout row is used by all R rows of the block (register blocking).
//   Keys (or queries) are the outer loop, the d/4 vec4 accumulators per row stay
//   in registers. The forward runs an online softmax over chunks of R keys (one
//   pass over k and v: running max and sum, accumulators rescaled once per
//   chunk), storing the raw scores in att, then turns them into probabilities.
//   Thread r: bh = r % (B·H), block = nb − 1 − r / (B·H), nb = ceil(T / R):
//   SIMD neighbours share a block (equal trip counts), heavy blocks go first.
//   Dispatch ceil(B·H·nb / WG) workgroups over x and y as above.
// Bindings per entry point — forward: qkv → att, out (dout, scratch unused);
// backward_*: qkv, dout, att → scratch [B, H, T, T], out = dqkv [B, T, 3C].
struct Params { B: u32, T: u32, C: u32, H: u32 }

const WG: u32 = 64u; // threads per workgroup (set by the host: src/kernels/tuning.ts)
const D4: u32 = 8u; // *_vec4 only: d / 4 (set by the host)
const R: u32 = 4u; // *_vec4 only: rows (queries or keys) per thread (set by the host)
const NEG: f32 = -3.402823e38;

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read_write> att: array<f32>;
@group(0) @binding(3) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
@group(0) @binding(6) var<storage, read> qkv4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> dout4: array<vec4<f32>>;

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

// ---- d % 4 == 0: vec4 rows, R rows per thread ------------------------------

struct Block { b: u32, h: u32, bh: u32, t0: u32, valid: bool }

fn block_of(gid: vec3<u32>, groups: vec3<u32>) -> Block {
  let r = gid.x + gid.y * groups.x * WG;
  let BH = params.B * params.H;
  let nb = (params.T + R - 1u) / R;
  let bh = r % BH;
  let k = min(r / BH, nb - 1u);
  return Block(bh / params.H, bh % params.H, bh, (nb - 1u - k) * R, r < BH * nb);
}

@compute @workgroup_size(WG)
fn forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let w = block_of(gid, groups);
  if (!w.valid) { return; }
  let T = params.T;
  let C4 = params.C / 4u;
  let S4 = 3u * C4; // qkv row stride in vec4
  let scale = 1.0 / sqrt(f32(4u * D4));
  let qb = w.b * T * S4 + w.h * D4; // q of (b, t = 0, h)
  let kb = qb + C4;
  let vb = qb + 2u * C4;
  var q: array<array<vec4<f32>, D4>, R>;
  var acc: array<array<vec4<f32>, D4>, R>;
  var m: array<f32, R>;
  var l: array<f32, R>;
  var rowAt: array<u32, R>; // att offset of each row (clamped to row T − 1; only rows t < T are written)
  for (var r = 0u; r < R; r++) {
    let t = min(w.t0 + r, T - 1u);
    for (var i = 0u; i < D4; i++) {
      q[r][i] = qkv4[qb + t * S4 + i];
      acc[r][i] = vec4<f32>(0.0);
    }
    m[r] = NEG;
    l[r] = 0.0;
    rowAt[r] = (w.bh * T + t) * T;
  }
  // Chunks of R keys; the last one holds the diagonal (keys t0 … t0 + R − 1).
  let chunks = w.t0 / R + 1u;
  for (var c = 0u; c < chunks; c++) {
    let j0 = c * R;
    var s: array<array<f32, R>, R>; // s[r][jj]: score of row t0 + r with key j0 + jj (NEG if masked)
    for (var jj = 0u; jj < R; jj++) {
      let j = j0 + jj;
      let kr = kb + min(j, T - 1u) * S4;
      var k: array<vec4<f32>, D4>;
      for (var i = 0u; i < D4; i++) { k[i] = qkv4[kr + i]; }
      for (var r = 0u; r < R; r++) {
        var a = vec4<f32>(0.0);
        for (var i = 0u; i < D4; i++) { a = fma(q[r][i], k[i], a); }
        let score = ((a.x + a.y) + (a.z + a.w)) * scale;
        let t = w.t0 + r;
        let ok = j <= t && j < T;
        if (ok && t < T) { att[rowAt[r] + j] = score; }
        s[r][jj] = select(NEG, score, ok);
      }
    }
    // New running max per row; rescale what was summed so far once per chunk.
    for (var r = 0u; r < R; r++) {
      var mc = m[r];
      for (var jj = 0u; jj < R; jj++) { mc = max(mc, s[r][jj]); }
      let corr = select(0.0, exp(m[r] - mc), m[r] > NEG);
      m[r] = mc;
      var sum = l[r] * corr;
      for (var jj = 0u; jj < R; jj++) {
        let p = select(0.0, exp(s[r][jj] - mc), s[r][jj] > NEG);
        s[r][jj] = p;
        sum += p;
      }
      l[r] = sum;
      for (var i = 0u; i < D4; i++) { acc[r][i] *= corr; }
    }
    for (var jj = 0u; jj < R; jj++) {
      let vr = vb + min(j0 + jj, T - 1u) * S4;
      var v: array<vec4<f32>, D4>;
      for (var i = 0u; i < D4; i++) { v[i] = qkv4[vr + i]; }
      for (var r = 0u; r < R; r++) {
        let p = s[r][jj];
        for (var i = 0u; i < D4; i++) { acc[r][i] = fma(vec4<f32>(p), v[i], acc[r][i]); }
      }
    }
  }
  let C = params.C;
  for (var r = 0u; r < R; r++) {
    let t = w.t0 + r;
    if (t < T) {
      let inv = 1.0 / l[r];
      let o = (w.b * T + t) * C + w.h * D4 * 4u;
      for (var i = 0u; i < D4; i++) {
        let x = acc[r][i] * inv;
        out[o + 4u * i] = x.x;
        out[o + 4u * i + 1u] = x.y;
        out[o + 4u * i + 2u] = x.z;
        out[o + 4u * i + 3u] = x.w;
      }
      let row = rowAt[r];
      let mr = m[r];
      for (var j = 0u; j <= t; j++) { att[row + j] = exp(att[row + j] - mr) * inv; }
      for (var j = t + 1u; j < T; j++) { att[row + j] = 0.0; }
    }
  }
}

@compute @workgroup_size(WG)
fn backward_query_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let w = block_of(gid, groups);
  if (!w.valid) { return; }
  let T = params.T;
  let C = params.C;
  let C4 = C / 4u;
  let S4 = 3u * C4;
  let scale = 1.0 / sqrt(f32(4u * D4));
  let kb = w.b * T * S4 + w.h * D4 + C4; // k of (b, t = 0, h)
  let vb = kb + C4;
  var g: array<array<vec4<f32>, D4>, R>; // dout rows
  var dq: array<array<vec4<f32>, D4>, R>;
  var Dsum: array<f32, R>;
  var rowAt: array<u32, R>;
  for (var r = 0u; r < R; r++) {
    let t = min(w.t0 + r, T - 1u);
    for (var i = 0u; i < D4; i++) {
      g[r][i] = dout4[(w.b * T + t) * C4 + w.h * D4 + i];
      dq[r][i] = vec4<f32>(0.0);
    }
    Dsum[r] = 0.0;
    rowAt[r] = (w.bh * T + t) * T;
  }
  let jend = min(w.t0 + R, T);
  // dp_tj → scratch (all j < jend; entries above the diagonal are overwritten with 0 below), D_t = Σ_j att_tj dp_tj
  for (var j = 0u; j < jend; j++) {
    let vr = vb + j * S4;
    var v: array<vec4<f32>, D4>;
    for (var i = 0u; i < D4; i++) { v[i] = qkv4[vr + i]; }
    for (var r = 0u; r < R; r++) {
      var a = vec4<f32>(0.0);
      for (var i = 0u; i < D4; i++) { a = fma(g[r][i], v[i], a); }
      let dp = (a.x + a.y) + (a.z + a.w);
      let t = w.t0 + r;
      let p = select(0.0, att[rowAt[r] + j], j <= t);
      Dsum[r] += p * dp;
      if (t < T) { scratch[rowAt[r] + j] = dp; }
    }
  }
  // ds_tj (1/√d folded in) → scratch; dq_t = Σ_j ds_tj k_j
  for (var j = 0u; j < jend; j++) {
    let kr = kb + j * S4;
    var k: array<vec4<f32>, D4>;
    for (var i = 0u; i < D4; i++) { k[i] = qkv4[kr + i]; }
    for (var r = 0u; r < R; r++) {
      let t = w.t0 + r;
      let at = rowAt[r] + j;
      let ds = select(0.0, att[at] * (scratch[at] - Dsum[r]) * scale, j <= t);
      if (t < T) { scratch[at] = ds; }
      for (var i = 0u; i < D4; i++) { dq[r][i] = fma(vec4<f32>(ds), k[i], dq[r][i]); }
    }
  }
  for (var r = 0u; r < R; r++) {
    let t = w.t0 + r;
    if (t < T) {
      let o = (w.b * T + t) * 3u * C + w.h * D4 * 4u;
      for (var i = 0u; i < D4; i++) {
        out[o + 4u * i] = dq[r][i].x;
        out[o + 4u * i + 1u] = dq[r][i].y;
        out[o + 4u * i + 2u] = dq[r][i].z;
        out[o + 4u * i + 3u] = dq[r][i].w;
      }
    }
  }
}

@compute @workgroup_size(WG)
fn backward_key_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let w = block_of(gid, groups);
  if (!w.valid) { return; }
  let T = params.T;
  let C = params.C;
  let C4 = C / 4u;
  let S4 = 3u * C4;
  let j0 = w.t0; // this thread's keys: j0 … j0 + R − 1
  let qb = w.b * T * S4 + w.h * D4;
  let gb = w.b * T * C4 + w.h * D4;
  var dk: array<array<vec4<f32>, D4>, R>;
  var dv: array<array<vec4<f32>, D4>, R>;
  var col: array<u32, R>; // key column, clamped to T − 1 (keys ≥ T are masked and not written)
  for (var r = 0u; r < R; r++) {
    for (var i = 0u; i < D4; i++) {
      dk[r][i] = vec4<f32>(0.0);
      dv[r][i] = vec4<f32>(0.0);
    }
    col[r] = min(j0 + r, T - 1u);
  }
  for (var t = j0; t < T; t++) {
    var q: array<vec4<f32>, D4>;
    var g: array<vec4<f32>, D4>;
    for (var i = 0u; i < D4; i++) {
      q[i] = qkv4[qb + t * S4 + i];
      g[i] = dout4[gb + t * C4 + i];
    }
    let row = (w.bh * T + t) * T;
    for (var r = 0u; r < R; r++) {
      let ok = j0 + r <= t;
      let ds = select(0.0, scratch[row + col[r]], ok);
      let p = select(0.0, att[row + col[r]], ok);
      for (var i = 0u; i < D4; i++) {
        dk[r][i] = fma(vec4<f32>(ds), q[i], dk[r][i]);
        dv[r][i] = fma(vec4<f32>(p), g[i], dv[r][i]);
      }
    }
  }
  for (var r = 0u; r < R; r++) {
    let j = j0 + r;
    if (j < T) {
      let o = (w.b * T + j) * 3u * C + C + w.h * D4 * 4u;
      for (var i = 0u; i < D4; i++) {
        out[o + 4u * i] = dk[r][i].x;
        out[o + 4u * i + 1u] = dk[r][i].y;
        out[o + 4u * i + 2u] = dk[r][i].z;
        out[o + 4u * i + 3u] = dk[r][i].w;
        out[o + C + 4u * i] = dv[r][i].x;
        out[o + C + 4u * i + 1u] = dv[r][i].y;
        out[o + C + 4u * i + 2u] = dv[r][i].z;
        out[o + C + 4u * i + 3u] = dv[r][i].w;
      }
    }
  }
}
