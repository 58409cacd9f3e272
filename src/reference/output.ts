// CPU twin of shaders/output_logprob.wgsl, in float64.
// Per row r of logits [rows, V] with target y_r and coefficient c_r:
//   logprob_r = log softmax(logits_r)[y_r] = logits_r[y_r] − max − log Σ_j exp(logits_rj − max)
//   dlogits_r = c_r · (softmax(logits_r) − onehot(y_r))
// dlogits is the gradient of the loss L = −Σ_r c_r · logprob_r (a descent direction;
// ascending Σ c ℓ is its negative). SFT cross-entropy: c_r = mask_r / count.
// Rows with c_r = 0 get a zero gradient (padding). A target ≥ V (a padding
// sentinel) gives logprob 0 and no one-hot term.
type Numbers = { length: number; [i: number]: number };

export function outputLogprobs(
  logits: Numbers,
  targets: Numbers,
  coefficients: Numbers,
  rows: number,
  V: number,
): { logprobs: Float64Array; dlogits: Float64Array } {
  const logprobs = new Float64Array(rows);
  const dlogits = new Float64Array(rows * V);
  for (let r = 0; r < rows; r++) {
    const base = r * V;
    let m = -Infinity;
    for (let j = 0; j < V; j++) m = Math.max(m, logits[base + j]);
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(logits[base + j] - m);
    const logS = Math.log(s);
    const y = targets[r];
    const valid = Number.isInteger(y) && y >= 0 && y < V;
    logprobs[r] = valid ? logits[base + y] - m - logS : 0;
    const c = coefficients[r];
    for (let j = 0; j < V; j++)
      dlogits[base + j] = c * (Math.exp(logits[base + j] - m - logS) - (valid && j === y ? 1 : 0));
  }
  return { logprobs, dlogits };
}
