// Timing GPU work from JavaScript: run a batch of repetitions, wait for the
// queue, take the median over several batches (these machines are noisy).
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Median seconds for one repetition. `batch(reps)` records `reps` repetitions
 * and resolves when the GPU has finished them.
 */
export async function timeBatches(
  batch: (reps: number) => Promise<void>,
  options: { minSeconds?: number; batches?: number } = {},
): Promise<number> {
  const { minSeconds = 0.25, batches = 5 } = options;
  await batch(1); // warm up: compile, allocate
  let reps = 1;
  let elapsed = 0;
  // Grow the batch until one takes long enough to time well.
  for (;;) {
    const start = performance.now();
    await batch(reps);
    elapsed = (performance.now() - start) / 1000;
    if (elapsed >= minSeconds || reps >= 1024) break;
    reps = Math.min(1024, Math.max(reps * 2, Math.ceil((reps * minSeconds) / Math.max(elapsed, 1e-4))));
  }
  const samples = [elapsed / reps];
  for (let i = 1; i < batches; i++) {
    const start = performance.now();
    await batch(reps);
    samples.push((performance.now() - start) / 1000 / reps);
  }
  return median(samples);
}
