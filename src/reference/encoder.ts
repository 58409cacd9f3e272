// CPU twin of shaders/encoder.wgsl, in float64: token plus position embedding.
// forward:  out[b, t, :] = wte[tokens[b, t], :] + wpe[t, :]
// backward: dwte[tokens[b, t], :] += dout[b, t, :];  dwpe[t, :] += Σ_b dout[b, t, :]
type Numbers = { length: number; [i: number]: number };

/** tokens [B·T]; wte [V, C]; wpe [≥T, C] → out [B·T, C]. */
export function encoderForward(
  tokens: Numbers,
  wte: Numbers,
  wpe: Numbers,
  B: number,
  T: number,
  C: number,
): Float64Array {
  const out = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * C;
      const token = tokens[b * T + t] * C;
      for (let c = 0; c < C; c++) out[row + c] = wte[token + c] + wpe[t * C + c];
    }
  }
  return out;
}

/** dwte and dwpe accumulate (+=). */
export function encoderBackward(
  dout: Numbers,
  tokens: Numbers,
  B: number,
  T: number,
  C: number,
  dwte: Numbers,
  dwpe: Numbers,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * C;
      const token = tokens[b * T + t] * C;
      for (let c = 0; c < C; c++) {
        dwte[token + c] += dout[row + c];
        dwpe[t * C + c] += dout[row + c];
      }
    }
  }
}
