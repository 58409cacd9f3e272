// `npx tsx bench/gather-probe.ts`: do the A·B kernel's lane-varying loads of B limit it on this adapter?
// The kernel (shaders/matmul_nn.wgsl) at 1024³ is timed as it is and with B's column made the same for
// every lane of a workgroup (its results are then wrong: timing only), in alternating rounds, because a
// software adapter's speed drifts within a minute here; each line names the FMA peak measured beside it.
import { measureFmaPeak } from './peak.ts';
import { timeBatches } from './timing.ts';
import { cpus } from 'node:os';
import { GpuContext } from '../src/gpu/context.ts';
import { describeReport } from '../src/gpu/device.ts';
import { shaderSource } from '../src/gpu/shaders.ts';

const SIZE = 1024;
const BLOCKS = [
  { TM: 32, TN: 32 },
  { TM: 16, TN: 32 },
];
const ROUNDS = 2;
const WG = 8;
const LANE_COLUMN = 'let col0 = (wid.x * WG + lid.x) * TN4;';
const SHARED_COLUMN = 'let col0 = wid.x * WG * TN4 + 0u * lid.x;'; // keeps lid in use, as the kernel's layout needs

function kernel(TM: number, TN: number, sharedColumn: boolean): string {
  const source = shaderSource('matmul_nn', { TM, TN, WG });
  if (!source.includes(LANE_COLUMN))
    throw new Error(`matmul_nn.wgsl no longer has "${LANE_COLUMN}": update the probe.`);
  return sharedColumn ? source.replace(LANE_COLUMN, SHARED_COLUMN) : source;
}

const context = await GpuContext.create({ adapter: process.env.GEMSTONE_ADAPTER });
const device = context.device;
const floats = SIZE * SIZE;
const [a, b, c] = ['a', 'b', 'c'].map((name) => context.tensor(`probe.${name}`, floats));
const dims = device.createBuffer({ size: 48, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
// Dims (shaders/common/matmul_dims.wgsl): M N K accumulate strideA strideB strideC lda ldb ldc pad pad.
device.queue.writeBuffer(dims, 0, Uint32Array.from([SIZE, SIZE, SIZE, 0, 0, 0, 0, SIZE, SIZE, SIZE, 0, 0]));

async function gflops(TM: number, TN: number, sharedColumn: boolean): Promise<number> {
  const module = device.createShaderModule({ code: kernel(TM, TN, sharedColumn) });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const view = (v: typeof a) => ({ buffer: v.buffer, offset: v.offset, size: v.size });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: view(a) },
      { binding: 1, resource: view(b) },
      { binding: 2, resource: view(c) },
      { binding: 3, resource: { buffer: dims } },
      { binding: 4, resource: view(b) }, // the bias binding, unread without BIAS
    ],
  });
  const seconds = await timeBatches(async (reps) => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(Math.ceil(SIZE / (TN * WG)), Math.ceil(SIZE / TM));
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  });
  return (2 * SIZE ** 3) / seconds / 1e9;
}

console.log(`${describeReport(context.report)} · cpu: ${cpus()[0]?.model ?? 'unknown'} ×${cpus().length}`);
for (const { TM, TN } of BLOCKS) {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const sharedColumn of [false, true]) {
      const speed = await gflops(TM, TN, sharedColumn);
      const peak = await measureFmaPeak(context);
      const label = sharedColumn ? "B's column shared by the lanes (wrong results)" : 'as it is';
      console.log(
        `A·B ${SIZE}³ ${TM}×${TN} round ${round} ${label.padEnd(48)} ${speed.toFixed(1).padStart(5)} GFLOP/s` +
          ` = ${((100 * speed) / peak).toFixed(1).padStart(4)}% of ${peak.toFixed(1)}`,
      );
    }
  }
}
context.destroy();
