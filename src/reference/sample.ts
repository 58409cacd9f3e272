// CPU twin of shaders/sample.wgsl: the same hash, the same top-k rule, float64 sums.
type Numbers = { length: number; [i: number]: number };

function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> (((state >>> 28) + 4) >>> 0)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The uniform draw the GPU uses for (seed, position, row). */
export function sampleUniform(seed: number, position: number, row: number): number {
  const h = pcg((seed ^ pcg((position ^ pcg(row)) >>> 0)) >>> 0);
  return (h >>> 8) / 16777216;
}

/** The k-th largest value (ties at the k-th all kept); −∞ when k is 0 or ≥ the row's length. */
export function topKThreshold(row: ArrayLike<number>, k: number): number {
  if (k <= 0 || k >= row.length) return -Infinity;
  const sorted = Array.from(row).sort((a, b) => b - a);
  return sorted[k - 1];
}

/** π_s over one row of logits: tempered softmax restricted to the top k. */
export function samplingDistribution(row: ArrayLike<number>, temperature: number, topK: number): Float64Array {
  const threshold = topKThreshold(row, topK);
  const m = Math.max(...Array.from(row));
  const p = Float64Array.from(row, (x) => (x >= threshold ? Math.exp((x - m) / temperature) : 0));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / z);
}

/** The token the GPU picks for u: first index whose cumulative kept mass exceeds u·Z. */
export function sampleReference(
  logits: Numbers,
  V: number,
  row: number,
  temperature: number,
  topK: number,
  u: number,
): { token: number; logprob: number; modelLogprob: number } {
  const x = Array.from({ length: V }, (_, i) => logits[row * V + i]);
  const p = samplingDistribution(x, temperature, topK);
  let cumulative = 0;
  let token = -1;
  let last = 0;
  for (let i = 0; i < V; i++) {
    if (p[i] === 0) continue;
    last = i;
    cumulative += p[i];
    if (token < 0 && cumulative > u) token = i;
  }
  if (token < 0) token = last;
  const m = Math.max(...x);
  const logZ1 = Math.log(x.reduce((s, v) => s + Math.exp(v - m), 0));
  return { token, logprob: Math.log(p[token]), modelLogprob: x[token] - m - logZ1 };
}
