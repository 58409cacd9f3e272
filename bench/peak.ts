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
