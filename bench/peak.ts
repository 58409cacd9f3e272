// The adapter's f32 FMA peak, from shaders/fma_peak.wgsl (many independent vec4 FMA chains).
import type { GpuContext } from '../src/gpu/context.ts';
import { shaderSource } from '../src/gpu/shaders.ts';
import { timeBatches } from './timing.ts';

function flopsPerIteration(): number {
  const match = /^const FLOPS_PER_ITER: u32 = (\d+)u;/m.exec(shaderSource('fma_peak'));
  if (match === null) throw new Error('shaders/fma_peak.wgsl: no FLOPS_PER_ITER constant.');
  return Number(match[1]);
}

export async function measureFmaPeak(context: GpuContext): Promise<number> {
  const WG = 64;
  const workgroups = 256;
  const iterations = 4096;
  const out = context.tensor('bench.peak.out', workgroups * WG * 4);
  const flops = workgroups * WG * iterations * flopsPerIteration();
  try {
    const seconds = await timeBatches(async (reps) => {
      for (let r = 0; r < reps; r++) {
        await context.run({
          kernel: { shader: 'fma_peak' },
          buffers: { out },
          uniform: new Uint32Array([iterations, 0, 0, 0]),
          workgroups: [workgroups],
        });
      }
      await context.sync();
    });
    return flops / seconds / 1e9;
  } finally {
    context.destroyBuffer(out.buffer);
  }
}

/**
 * The FMA peak measured just before and just after a piece of work; its share of the peak is taken of the larger
 * of the two. A CPU's peak is not a constant: the cloud machines these benches run on give a burst of full speed and
 * then throttle under sustained load (one peak measured first read 99 GFLOP/s; the same kernel on the same machine
 * read 82–133 within half a minute), so a single peak measured at the start flatters whatever ran while the CPU was
 * fresh and penalises what ran after. Taking the larger of the two probes keeps the share conservative.
 */
export class PeakProbe {
  /** Every peak measured in this run, in order (the bench prints their range). */
  readonly measured: number[] = [];

  constructor(private readonly context: GpuContext) {}

  async around<T>(run: () => Promise<T>): Promise<{ value: T; peak: number }> {
    const before = await this.measure();
    const value = await run();
    const after = await this.measure();
    return { value, peak: Math.max(before, after) };
  }

  async measure(): Promise<number> {
    const peak = await measureFmaPeak(this.context);
    this.measured.push(peak);
    return peak;
  }

  /** "min–max GFLOP/s over n probes". */
  describe(): string {
    const low = Math.min(...this.measured);
    const high = Math.max(...this.measured);
    return `${low.toFixed(1)}–${high.toFixed(1)} GFLOP/s over ${this.measured.length} probes`;
  }
}
