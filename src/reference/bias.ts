// CPU twin of shaders/bias.wgsl, in float64.
// forward:  out[r, n] += bias[n]
// backward: dbias[n] += Σ_r dout[r, n]
type Numbers = { length: number; [i: number]: number };

/** In place on out [rows, N]. Returns out. */
export function biasAdd<O extends Numbers>(out: O, bias: Numbers, rows: number, N: number): O {
  for (let r = 0; r < rows; r++) for (let n = 0; n < N; n++) out[r * N + n] += bias[n];
  return out;
}

/** dbias accumulates (+=). Returns dbias. */
export function biasBackward<D extends Numbers>(dout: Numbers, rows: number, N: number, dbias: D): D {
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += dout[r * N + n];
    dbias[n] += s;
  }
  return dbias;
}
