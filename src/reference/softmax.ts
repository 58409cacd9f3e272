// CPU twin of shaders/softmax.wgsl, in float64.
type Numbers = { length: number; [i: number]: number };

/** p_j = exp(x_j − max x) / Σ_k exp(x_k − max x), per row. */
export function softmaxReference(x: Numbers, rows: number, cols: number): Float64Array {
  const p = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[base + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[base + j] - m);
    for (let j = 0; j < cols; j++) p[base + j] = Math.exp(x[base + j] - m) / s;
  }
  return p;
}

/** dx_j = p_j (dp_j − Σ_k p_k dp_k), per row: the vector–Jacobian product of softmax. */
export function softmaxBackwardReference(p: Numbers, dp: Numbers, rows: number, cols: number): Float64Array {
  const dx = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let d = 0;
    for (let j = 0; j < cols; j++) d += p[base + j] * dp[base + j];
    for (let j = 0; j < cols; j++) dx[base + j] = p[base + j] * (dp[base + j] - d);
  }
  return dx;
}
