// CPU twin of shaders/attention.wgsl and shaders/attention_decode.wgsl, in float64.
// Causal multi-head self-attention, GPT-2 layout: qkv [B, T, 3C] holds q in
// channels [0, C), k in [C, 2C), v in [2C, 3C); head h uses channels h·d … (h+1)·d
// of each, d = C / H. Scale 1/√d.
//   forward:  s_tj = (q_t · k_j)/√d for j ≤ t;  p_t = softmax_j(s_t);  out_t = Σ_j p_tj v_j
//   backward: dp_tj = dout_t · v_j;  ds_tj = p_tj (dp_tj − Σ_k p_tk dp_tk)
//             dq_t = Σ_j ds_tj k_j / √d;  dk_j = Σ_{t ≥ j} ds_tj q_t / √d;  dv_j = Σ_{t ≥ j} p_tj dout_t
type Numbers = { length: number; [i: number]: number };

function checkShape(B: number, T: number, C: number, H: number): number {
  if (C % H !== 0) throw new Error(`attention: width ${C} is not a multiple of heads ${H}.`);
  if (B < 1 || T < 1 || H < 1) throw new Error(`attention: B, T, H must be positive (got ${B}, ${T}, ${H}).`);
  return C / H;
}

/**
 * Causal attention forward.
 * qkv [B, T, 3C] → out [B, T, C] (heads concatenated), att [B, H, T, T] (post-softmax, zeros above the diagonal).
 */
export function attentionForward(
  qkv: Numbers,
  B: number,
  T: number,
  C: number,
  H: number,
): { out: Float64Array; att: Float64Array } {
  const d = checkShape(B, T, C, H);
  const scale = 1 / Math.sqrt(d);
  const C3 = 3 * C;
  const out = new Float64Array(B * T * C);
  const att = new Float64Array(B * H * T * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const q0 = (b * T + t) * C3 + h * d;
        const row = ((b * H + h) * T + t) * T;
        let m = -Infinity;
        for (let j = 0; j <= t; j++) {
          const k0 = (b * T + j) * C3 + C + h * d;
          let s = 0;
          for (let i = 0; i < d; i++) s += qkv[q0 + i] * qkv[k0 + i];
          s *= scale;
          att[row + j] = s;
          if (s > m) m = s;
        }
        let sum = 0;
        for (let j = 0; j <= t; j++) {
          const e = Math.exp(att[row + j] - m);
          att[row + j] = e;
          sum += e;
        }
        for (let j = 0; j <= t; j++) att[row + j] /= sum;
        const o0 = (b * T + t) * C + h * d;
        for (let i = 0; i < d; i++) {
          let acc = 0;
          for (let j = 0; j <= t; j++) acc += att[row + j] * qkv[(b * T + j) * C3 + 2 * C + h * d + i];
          out[o0 + i] = acc;
        }
      }
    }
  }
  return { out, att };
}

/**
 * Causal attention backward: writes (=, not +=) dqkv [B, T, 3C] from dout [B, T, C],
 * the forward's input qkv and its saved probabilities att [B, H, T, T].
 */
export function attentionBackward(
  dout: Numbers,
  qkv: Numbers,
  att: Numbers,
  B: number,
  T: number,
  C: number,
  H: number,
  dqkv: Numbers,
): void {
  const d = checkShape(B, T, C, H);
  const scale = 1 / Math.sqrt(d);
  const C3 = 3 * C;
  for (let i = 0; i < B * T * C3; i++) dqkv[i] = 0;
  const dp = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const row = ((b * H + h) * T + t) * T;
        const o0 = (b * T + t) * C + h * d;
        const q0 = (b * T + t) * C3 + h * d;
        let D = 0;
        for (let j = 0; j <= t; j++) {
          const v0 = (b * T + j) * C3 + 2 * C + h * d;
          let s = 0;
          for (let i = 0; i < d; i++) s += dout[o0 + i] * qkv[v0 + i];
          dp[j] = s;
          D += att[row + j] * s;
        }
        for (let j = 0; j <= t; j++) {
          const p = att[row + j];
          const ds = p * (dp[j] - D) * scale; // gradient of the pre-scale score q·k
          const k0 = (b * T + j) * C3 + C + h * d;
          const v0 = (b * T + j) * C3 + 2 * C + h * d;
          for (let i = 0; i < d; i++) {
            dqkv[q0 + i] += ds * qkv[k0 + i];
            dqkv[k0 + i] += ds * qkv[q0 + i];
            dqkv[v0 + i] += p * dout[o0 + i];
          }
        }
      }
    }
  }
}

/**
 * One decoding step with a KV cache: for each sequence b, the new token's query
 * q [B, C] (heads concatenated) attends to cached keys and values kCache, vCache
 * [B, maxT, C] at positions 0 … position (inclusive). Returns out [B, C], equal to
 * row `position` of attentionForward over the whole sequence.
 */
export function attentionDecodeReference(
  q: Numbers,
  kCache: Numbers,
  vCache: Numbers,
  B: number,
  C: number,
  H: number,
  position: number,
  maxT: number,
): Float64Array {
  const d = checkShape(B, 1, C, H);
  if (!(position >= 0 && position < maxT))
    throw new Error(`attention decode: position ${position} outside the cache of ${maxT}.`);
  const scale = 1 / Math.sqrt(d);
  const out = new Float64Array(B * C);
  const s = new Float64Array(position + 1);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const q0 = b * C + h * d;
      let m = -Infinity;
      for (let j = 0; j <= position; j++) {
        const k0 = (b * maxT + j) * C + h * d;
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[q0 + i] * kCache[k0 + i];
        s[j] = dot * scale;
        if (s[j] > m) m = s[j];
      }
      let sum = 0;
      for (let j = 0; j <= position; j++) {
        s[j] = Math.exp(s[j] - m);
        sum += s[j];
      }
      for (let i = 0; i < d; i++) {
        let acc = 0;
        for (let j = 0; j <= position; j++) acc += s[j] * vCache[(b * maxT + j) * C + h * d + i];
        out[q0 + i] = acc / sum;
      }
    }
  }
  return out;
}
