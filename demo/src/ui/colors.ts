// A diverging colour scale for the credit c_ij: red where a token's
// log-probability is pushed down, blue where it is pushed up, near-white at 0
// (ColorBrewer RdBu end points). A square root spreads the small values, which
// are most of a response, so they stay visible next to the largest.
const NEGATIVE = [178, 24, 43];
const ZERO = [247, 247, 247];
const POSITIVE = [33, 102, 172];

export function creditColor(c: number, scale: number): string {
  const t = scale > 0 ? Math.min(1, Math.sqrt(Math.abs(c) / scale)) : 0;
  const end = c < 0 ? NEGATIVE : POSITIVE;
  const mix = ZERO.map((z, i) => Math.round(z + (end[i] - z) * t));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}

/** Dark text on light cells, light text on dark ones. */
export function textColor(c: number, scale: number): string {
  const t = scale > 0 ? Math.sqrt(Math.abs(c) / scale) : 0;
  return t > 0.65 ? '#fff' : '#111';
}

/** A CSS gradient for the legend, from −scale to +scale. */
export function legendGradient(): string {
  const stops = [-1, -0.5, -0.15, 0, 0.15, 0.5, 1].map((v) => `${creditColor(v, 1)} ${((v + 1) / 2) * 100}%`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
