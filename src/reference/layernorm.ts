// CPU twin of shaders/layernorm.wgsl, in float64.
// forward:  μ = mean(x), σ² = mean((x − μ)²) (biased, as PyTorch), rstd = 1/√(σ² + eps),
//           out = (x − μ)·rstd·w + b, per row of C values.
// backward: with n = (x − μ)·rstd and g = dout·w,
//           dx += rstd·(g − mean(g) − n·mean(g·n)),  dw += Σ_rows dout·n,  db += Σ_rows dout.
import { LAYER_NORM_EPS } from '../model/config.ts';

type Numbers = { length: number; [i: number]: number };

/** out [rows, C]; mean and rstd [rows] are what backward needs. */
export function layernormForward(
  x: Numbers,
  weight: Numbers,
  bias: Numbers,
  rows: number,
  C: number,
): { out: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const out = new Float64Array(rows * C);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * C;
    let m = 0;
    for (let c = 0; c < C; c++) m += x[base + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[base + c] - m) ** 2;
    v /= C;
    const s = 1 / Math.sqrt(v + LAYER_NORM_EPS);
    for (let c = 0; c < C; c++) out[base + c] = (x[base + c] - m) * s * weight[c] + bias[c];
    mean[r] = m;
    rstd[r] = s;
  }
  return { out, mean, rstd };
}

/** dx, dweight and dbias accumulate (+=). */
export function layernormBackward(
  dout: Numbers,
  x: Numbers,
  weight: Numbers,
  mean: Numbers,
  rstd: Numbers,
  rows: number,
  C: number,
  dx: Numbers,
  dweight: Numbers,
  dbias: Numbers,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * C;
    const m = mean[r];
    const s = rstd[r];
    let gMean = 0;
    let gnMean = 0;
    for (let c = 0; c < C; c++) {
      const n = (x[base + c] - m) * s;
      const g = dout[base + c] * weight[c];
      gMean += g;
      gnMean += g * n;
    }
    gMean /= C;
    gnMean /= C;
    for (let c = 0; c < C; c++) {
      const n = (x[base + c] - m) * s;
      const g = dout[base + c] * weight[c];
      dx[base + c] += s * (g - gMean - n * gnMean);
      dweight[c] += dout[base + c] * n;
      dbias[c] += dout[base + c];
    }
  }
}
