// Times causal attention forward and backward (src/kernels/attention.ts) on one
// adapter, against the committed shaders/attention.wgsl (git HEAD, one thread per
// row, scalar loops) in the same process, so noise hits both alike.
//   npx tsx bench/attention.ts [--B 16 --T 128 --C 128 --H 4] [--adapter llvmpipe] [--unsafe-fast] [--no-baseline]
// Prints medians (ms per call) and the largest differences between the two.
import { execFileSync } from 'node:child_process';
import { Command } from 'commander';
import type { BufferView } from '../src/gpu/context.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { describeReport } from '../src/gpu/device.ts';
import { registerShader } from '../src/gpu/shaders.ts';
import { attentionBackward, attentionForward, attentionScratchElements } from '../src/kernels/attention.ts';
import { grid1d } from '../src/kernels/grid.ts';
import { Random } from '../src/util/random.ts';
import { timeBatches } from './timing.ts';

const options = new Command()
  .option('--B <n>', 'batch', '16')
  .option('--T <n>', 'sequence length', '128')
  .option('--C <n>', 'width', '128')
  .option('--H <n>', 'heads', '4')
  .option('--adapter <name>', 'llvmpipe | swiftshader | gpu', 'llvmpipe')
  .option('--unsafe-fast', 'drop bounds checks (Dawn disable_robustness)')
  .option('--no-baseline', 'skip the git HEAD kernels')
  .option('--batches <n>', 'timed batches per median', '7')
  .parse()
  .opts();

const [B, T, C, H] = [options.B, options.T, options.C, options.H].map(Number);
const context = await GpuContext.create({ adapter: options.adapter, unsafeFast: options.unsafeFast });
console.log(describeReport(context.report));
console.log(`B=${B} T=${T} C=${C} H=${H} d=${C / H}`);

const random = new Random(7);
const vqkv = context.tensor('bench.qkv', random.floats(B * T * 3 * C));
const vdout = context.tensor('bench.dout', random.floats(B * T * C));
const vout = context.tensor('bench.out', B * T * C);
const vatt = context.tensor('bench.att', B * H * T * T);
const vdqkv = context.tensor('bench.dqkv', B * T * 3 * C);
const vscratch = context.tensor('bench.scratch', attentionScratchElements(B, T, C, H));
const unused = context.tensor('bench.unused', 4);

let baseline = false;
if (options.baseline) {
  try {
    registerShader(
      'attention_baseline',
      execFileSync('git', ['show', 'HEAD:shaders/attention.wgsl'], { encoding: 'utf8' }),
    );
    baseline = true;
  } catch (error) {
    console.log(`no baseline: ${(error as Error).message}`);
  }
}

const uniform = new Uint32Array([B, T, C, H]);
const rows = grid1d(Math.ceil((B * H * T) / 64), context.device.limits.maxComputeWorkgroupsPerDimension);
async function baselineForward(out: BufferView, att: BufferView): Promise<void> {
  await context.run({
    kernel: { shader: 'attention_baseline', entryPoint: 'forward' },
    buffers: { qkv: vqkv, dout: unused, att, scratch: vscratch, out },
    uniform,
    workgroups: rows,
  });
}
async function baselineBackward(att: BufferView, dqkv: BufferView): Promise<void> {
  const buffers = { qkv: vqkv, dout: vdout, att, scratch: vscratch, out: dqkv };
  await context.run({
    kernel: { shader: 'attention_baseline', entryPoint: 'backward_query' },
    buffers,
    uniform,
    workgroups: rows,
  });
  await context.run({
    kernel: { shader: 'attention_baseline', entryPoint: 'backward_key' },
    buffers,
    uniform,
    workgroups: rows,
  });
}
const oursForward = (out: BufferView, att: BufferView) =>
  attentionForward(context, { qkv: vqkv, out, att, B, T, C, H });
const oursBackward = (att: BufferView, dqkv: BufferView) =>
  attentionBackward(context, { dout: vdout, qkv: vqkv, att, dqkv, B, T, C, H, scratch: vscratch });

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// Agreement first (same inputs, both kernels).
if (baseline) {
  await oursForward(vout, vatt);
  await oursBackward(vatt, vdqkv);
  const [out1, att1, dq1] = [await context.read(vout), await context.read(vatt), await context.read(vdqkv)];
  await baselineForward(vout, vatt);
  await baselineBackward(vatt, vdqkv);
  const [out0, att0, dq0] = [await context.read(vout), await context.read(vatt), await context.read(vdqkv)];
  console.log(
    `max |ours − baseline|: out ${maxDiff(out1, out0).toExponential(2)}, ` +
      `att ${maxDiff(att1, att0).toExponential(2)}, dqkv ${maxDiff(dq1, dq0).toExponential(2)}`,
  );
}

const batches = Number(options.batches);
const time = async (body: () => Promise<void>) =>
  1000 *
  (await timeBatches(
    async (reps) => {
      for (let r = 0; r < reps; r++) await body();
      await context.sync();
    },
    { batches, minSeconds: 0.3 },
  ));

const d = C / H;
const flopsForward = B * H * ((T * (T + 1)) / 2) * d * 4; // scores and values, 2 flops per FMA
const results: [string, number, number][] = [];
// Alternate the two so drift in the machine's load hits both.
for (const round of [0, 1]) {
  if (baseline) {
    results.push([`baseline forward (round ${round})`, await time(() => baselineForward(vout, vatt)), flopsForward]);
    results.push([
      `baseline backward (round ${round})`,
      await time(() => baselineBackward(vatt, vdqkv)),
      2 * flopsForward,
    ]);
  }
  results.push([`ours forward (round ${round})`, await time(() => oursForward(vout, vatt)), flopsForward]);
  results.push([`ours backward (round ${round})`, await time(() => oursBackward(vatt, vdqkv)), 2 * flopsForward]);
}
for (const [name, ms, flops] of results)
  console.log(`${name.padEnd(30)} ${ms.toFixed(2).padStart(9)} ms  ${(flops / ms / 1e6).toFixed(2)} GFLOP/s`);
context.destroy();
