// CPU twin of shaders/adamw.wgsl, in float64: AdamW with decoupled weight decay
// (as torch.optim.AdamW), and clipping by the global gradient norm.
//   g = gradScale·grad
//   m = β1·m + (1 − β1)·g          v = β2·v + (1 − β2)·g²
//   m̂ = m / (1 − β1^t)             v̂ = v / (1 − β2^t)        (t = step, 1-based)
//   p −= lr·(m̂ / (√v̂ + eps) + weightDecay·p)
type Numbers = { length: number; [i: number]: number };

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for the bias corrections. */
  step: number;
  /** Multiplies every gradient first (the clip factor); 1 when absent. */
  gradScale?: number;
}

/** One step, in place on params, m and v. */
export function adamwStep(params: Numbers, grads: Numbers, m: Numbers, v: Numbers, options: AdamWOptions): void {
  const { lr, beta1, beta2, eps, weightDecay, step, gradScale = 1 } = options;
  if (!(step >= 1)) throw new Error(`adamwStep: step is 1-based, got ${step}.`);
  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;
  for (let i = 0; i < params.length; i++) {
    const g = gradScale * grads[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const mHat = m[i] / correction1;
    const vHat = v[i] / correction2;
    params[i] -= lr * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * params[i]);
  }
}

/** ‖grads‖₂ = √Σ g². */
export function globalNorm(grads: Numbers): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) s += grads[i] * grads[i];
  return Math.sqrt(s);
}

/** min(1, maxNorm / (norm + 1e-6)); 1 when clipping is off (maxNorm ≤ 0 or not finite). */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return 1;
  return Math.min(1, maxNorm / (norm + 1e-6));
}
