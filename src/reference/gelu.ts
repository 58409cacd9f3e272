// CPU twin of shaders/gelu.wgsl, in float64: GPT-2's tanh approximation,
// gelu(x) = ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³).
type Numbers = { length: number; [i: number]: number };

export const GELU_SCALE = Math.sqrt(2 / Math.PI);
export const GELU_CUBE = 0.044715;

export function geluForward(x: Numbers): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = 0.5 * v * (1 + Math.tanh(GELU_SCALE * (v + GELU_CUBE * v * v * v)));
  }
  return out;
}

/** dx = dout · gelu′(x) (written, not accumulated). Returns dx. */
export function geluBackward<D extends Numbers>(x: Numbers, dout: Numbers, dx: D): D {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = Math.tanh(GELU_SCALE * (v + GELU_CUBE * v * v * v));
    const du = GELU_SCALE * (1 + 3 * GELU_CUBE * v * v);
    dx[i] = dout[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
  }
  return dx;
}
