// `npm run bench`: in one run on one adapter, the FMA peak, our matmul and
// TensorFlow.js's WebGPU matmul at the same sizes, as GFLOP/s and ratios.
// Then training and generation throughput of the `small` GPT-2 (bench/train.ts),
// training also against the same model in TensorFlow.js.
// `npm run bench -- --json` prints one JSON object per case; `--only train` skips the matmuls.
// `--only gpt2` (not in `all`) runs GPT-2 124M training steps, its wte and arenas bound in pieces.
import '../node-runner/child-stdio.ts';
import { cpus } from 'node:os';
import { Command, Option } from 'commander';
import { GpuContext } from '../src/gpu/context.ts';
import { describeReport } from '../src/gpu/device.ts';
import { chooseProfile, PROFILES } from '../node-runner/presets.ts';
import { matmul, matmulForm } from '../src/kernels/matmul.ts';
import { defaultGenerationRows } from '../src/model/generate.ts';
import type { MatmulShape } from '../src/reference/matmul.ts';
import { Random } from '../src/util/random.ts';
import { PeakProbe } from './peak.ts';
import { startTfPeer, type TfPeer } from './tfjs-peer.ts';
import { timeBatches } from './timing.ts';
import { benchAnnotate } from './annotate.ts';
import { benchGpt2 } from './gpt2.ts';
import { BASELINE_COMMIT, benchBaselineGenerate } from './baseline-generation.ts';
import { benchConfig, benchGenerate, benchTrain, generationFlops, SHIPPED, type TrainBenchResult } from './train.ts';

interface BenchCase {
  name: string;
  ours_gflops: number;
  /** The same with src/kernels/tuning.ts's default blocks (null when the run is untuned). */
  ours_default_blocks_gflops: number | null;
  peer_gflops: number | null;
  /** The FMA peak beside our timing (PeakProbe), and beside the default blocks' timing. */
  peak_gflops: number;
  default_blocks_peak_gflops: number | null;
  ours_fraction_of_peak: number;
  ours_over_peer: number | null;
  adapter: string;
}

const MATMUL_CASES: { name: string; shape: MatmulShape }[] = [
  { name: 'matmul A·B 512²', shape: { M: 512, N: 512, K: 512 } },
  { name: 'matmul A·B 1024²', shape: { M: 1024, N: 1024, K: 1024 } },
  { name: 'matmul A·B M=4096 K=256 N=768', shape: { M: 4096, N: 768, K: 256 } },
  { name: 'matmul A·Bᵀ 1024²', shape: { M: 1024, N: 1024, K: 1024, transB: true } },
  { name: 'matmul Aᵀ·B 1024²', shape: { M: 1024, N: 1024, K: 1024, transA: true } },
];

async function benchOurs(context: GpuContext, shape: MatmulShape): Promise<number> {
  const { M, N, K } = shape;
  const random = new Random(1);
  const a = context.tensor('bench.a', random.floats(M * K));
  const b = context.tensor('bench.b', random.floats(K * N));
  const c = context.tensor('bench.c', M * N);
  try {
    const seconds = await timeBatches(async (reps) => {
      for (let r = 0; r < reps; r++) await matmul(context, { ...shape, a, b, c });
      await context.sync();
    });
    return (2 * M * N * K) / seconds / 1e9;
  } finally {
    for (const v of [a, b, c]) context.destroyBuffer(v.buffer);
  }
}

async function benchPeer(peer: TfPeer, shape: MatmulShape): Promise<number> {
  const { tf } = peer;
  const { M, N, K, transA = false, transB = false } = shape;
  const a = tf.randomUniform(transA ? [K, M] : [M, K], -1, 1);
  const b = tf.randomUniform(transB ? [N, K] : [K, N], -1, 1);
  try {
    const seconds = await timeBatches(async (reps) => {
      const outs = [];
      for (let r = 0; r < reps; r++) outs.push(tf.matMul(a, b, transA, transB));
      await peer.sync();
      tf.dispose(outs);
    });
    return (2 * M * N * K) / seconds / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}

const program = new Command()
  .name('bench')
  .addOption(
    new Option('--adapter <name>', 'force an adapter (default: the fastest found)').choices([
      'gpu',
      'llvmpipe',
      'swiftshader',
    ]),
  )
  .option('--unsafe-fast', "drop bounds checks (Dawn's disable_robustness) for our kernels and the peer's alike")
  .option('--no-peer', 'skip TensorFlow.js')
  .option('--json', 'one JSON object per case')
  .option('--verbose', "also show Dawn's adapter warnings on stderr (read by bench/bin.js)")
  .addOption(
    new Option('--only <cases>', 'which cases to run (gpt2: not in all)')
      .choices(['matmul', 'train', 'annotate', 'gpt2', 'all'])
      .default('all'),
  )
  .parse(process.argv);
const options = program.opts<{
  adapter?: string;
  unsafeFast?: boolean;
  peer: boolean;
  json?: boolean;
  only: 'matmul' | 'train' | 'annotate' | 'gpt2' | 'all';
}>();

const context = await GpuContext.create({ adapter: options.adapter, unsafeFast: options.unsafeFast });
const adapter = describeReport(context.report);
const say = (line: string) => {
  if (!options.json) console.log(line);
};
say(`adapter: ${adapter}${options.unsafeFast ? ' (robustness off)' : ''}`);
say(`cpu: ${cpus()[0]?.model ?? 'unknown'} ×${cpus().length}`);
// Tuned blocks and kernel tiles (measured on this adapter, or cached) against the defaults.
const tuned = context.matmulTuning;
say(
  tuned === null
    ? 'kernels: the default blocks (GEMSTONE_TUNING=defaults), no tuned comparison'
    : `kernels: tuned (${context.tuning.source === 'search' ? 'measured now' : `cached in ${context.tuning.where}`}),` +
        ' each case also with the default blocks',
);
async function untuned<T>(run: () => Promise<T>): Promise<T | null> {
  if (tuned === null) return null;
  const kernels = context.kernelTuning;
  context.matmulTuning = null;
  context.kernelTuning = null;
  try {
    return await run();
  } finally {
    context.matmulTuning = tuned;
    context.kernelTuning = kernels;
  }
}
// Every share of the peak below is of the FMA peak measured just before and after that case (PeakProbe).
const probe = new PeakProbe(context);
const startPeak = await probe.measure();
say(`f32 FMA peak at the start: ${startPeak.toFixed(1)} GFLOP/s; each case's share is of the peak beside it`);
const peer = options.peer && options.only !== 'gpt2' ? await startTfPeer(context) : null;

const results: BenchCase[] = [];
for (const { name, shape } of options.only === 'all' || options.only === 'matmul' ? MATMUL_CASES : []) {
  const { value: ours, peak } = await probe.around(() => benchOurs(context, shape));
  const untunedRun = await untuned(() => probe.around(() => benchOurs(context, shape)));
  const defaults = untunedRun?.value ?? null;
  const theirs = peer ? await benchPeer(peer, shape) : null;
  const result: BenchCase = {
    name,
    ours_gflops: round(ours),
    ours_default_blocks_gflops: defaults === null ? null : round(defaults),
    peer_gflops: theirs === null ? null : round(theirs),
    peak_gflops: round(peak),
    default_blocks_peak_gflops: untunedRun === null ? null : round(untunedRun.peak),
    ours_fraction_of_peak: round(ours / peak, 4),
    ours_over_peer: theirs === null ? null : round(ours / theirs),
    adapter,
  };
  results.push(result);
  if (options.json) console.log(JSON.stringify({ ...result, form: matmulForm(shape) }));
  else
    say(
      `${name.padEnd(32)} ours ${ours.toFixed(2).padStart(7)} GFLOP/s` +
        `  ${((100 * ours) / peak).toFixed(1).padStart(5)}% of ${peak.toFixed(1)}` +
        (defaults === null
          ? ''
          : `  (default blocks ${defaults.toFixed(2)}, ${((100 * defaults) / untunedRun!.peak).toFixed(1)}%)`) +
        (theirs === null
          ? ''
          : `  TF.js ${theirs.toFixed(2).padStart(7)} GFLOP/s  ours/TF.js ${(ours / theirs).toFixed(2)}×`),
    );
}
if (options.only === 'all' || options.only === 'train') {
  const train = await benchTrain(context, probe, peer);
  const trainDefaults = await untuned(() => benchTrain(context, probe, null));
  // The vocabulary as it is (V = 39: the LM head's backward on the simple kernel), for comparison.
  const trainUnpadded = await benchTrain(context, probe, null, { padVocabulary: false });
  if (options.json)
    console.log(
      JSON.stringify({
        ...roundAll(train),
        default_blocks_tokens_per_s: trainDefaults?.ours_tokens_per_s,
        unpadded_vocabulary_tokens_per_s: trainUnpadded.ours_tokens_per_s,
        adapter,
      }),
    );
  else {
    const { ours_tokens_per_s: ours, peer_tokens_per_s: theirs } = train;
    const line = (name: string, result: TrainBenchResult) =>
      `${name.padEnd(32)} ours ${result.ours_tokens_per_s.toFixed(0).padStart(7)} tokens/s` +
      `  MFU ${(100 * result.mfu).toFixed(1).padStart(5)}% of ${result.peak_gflops.toFixed(1)}` +
      ` (6N only: ${(100 * result.mfu_6n).toFixed(1)}%)`;
    say(
      line(train.name, train) +
        (theirs === null
          ? ''
          : `  TF.js ${theirs.toFixed(0).padStart(7)} tokens/s  ours/TF.js ${(ours / theirs).toFixed(2)}×` +
            `  (TF.js first loss ${train.peer_first_loss!.toFixed(3)}, ln V ${train.ln_vocab.toFixed(3)})`),
    );
    if (trainDefaults !== null) say(line(`${train.name} (default blocks)`, trainDefaults));
    say(line(trainUnpadded.name, trainUnpadded));
  }
  // Batch 32 (the rollout batch when the speed issue was filed), the pipeline's default batch on this adapter's
  // profile, 128, and the rows generation takes by default here.
  const rolloutBatch = PROFILES[chooseProfile(context.report).profile].pipeline.batch;
  const sizes = [
    ...new Set([32, rolloutBatch, 128, defaultGenerationRows({ context, config: benchConfig(SHIPPED) })]),
  ].sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1];
  const perSecond = new Map<number, number>();
  for (const [B, blocks] of [...sizes.map((B) => [B, 'tuned'] as const), [largest, 'default'] as const]) {
    const run = () => benchGenerate(context, { B, probe, runs: B > 64 ? 2 : 3 });
    const gen = blocks === 'tuned' ? await run() : await untuned(run);
    if (gen === null) continue;
    if (blocks === 'default') gen.name += ' (default blocks)';
    else perSecond.set(B, gen.ours_tokens_per_s);
    if (B === rolloutBatch && blocks === 'tuned') gen.name += ' (rollout batch)';
    const share = 100 * gen.decode_fraction_of_peak!;
    if (options.json) console.log(JSON.stringify({ ...roundAll(gen), adapter }));
    else
      say(
        `${gen.name.padEnd(32)} ours ${gen.ours_tokens_per_s.toFixed(0).padStart(7)} new tokens/s` +
          `  decode ${gen.decode_gflops.toFixed(2)} GFLOP/s = ${share < 10 ? ' ' : ''}${share.toFixed(1)}%` +
          ` of ${gen.peak_gflops!.toFixed(1)}` +
          `  (${gen.prompt_tokens}-token prompts, ${gen.new_tokens} new tokens each)`,
      );
  }
  // The path of the day the speed issue was filed, at its batch 32, in this run (bench/baseline-generation.ts).
  const [B, promptTokens, newTokens] = [32, 8, 120];
  const baseline = await probe.around(() =>
    benchBaselineGenerate({
      config: benchConfig(SHIPPED),
      B,
      promptTokens,
      newTokens,
      runs: 3,
      seed: 1,
      adapter: options.adapter,
    }),
  );
  const name = `generate ${SHIPPED} B=${B}, the path of ${BASELINE_COMMIT.slice(0, 7)}`;
  if ('refused' in baseline.value) say(`${name}: not measured: ${baseline.value.refused}`);
  else {
    const tokensPerSecond = (B * newTokens) / baseline.value.seconds;
    const gflops = generationFlops(benchConfig(SHIPPED), B, promptTokens, newTokens) / baseline.value.seconds / 1e9;
    const ratios = Object.fromEntries([...perSecond].map(([b, ours]) => [b, ours / tokensPerSecond]));
    if (options.json)
      console.log(
        JSON.stringify({
          name,
          B,
          ours_tokens_per_s: round(tokensPerSecond),
          decode_gflops: round(gflops),
          decode_fraction_of_peak: round(gflops / baseline.peak, 4),
          peak_gflops: round(baseline.peak),
          today_over_baseline: Object.fromEntries(Object.entries(ratios).map(([b, r]) => [b, round(r)])),
          adapter,
        }),
      );
    else {
      say(
        `${name.padEnd(32)} ${tokensPerSecond.toFixed(0).padStart(7)} new tokens/s` +
          `  decode ${gflops.toFixed(2)} GFLOP/s = ${(100 * gflops) / baseline.peak < 10 ? ' ' : ''}` +
          `${((100 * gflops) / baseline.peak).toFixed(1)}% of ${baseline.peak.toFixed(1)}` +
          '  (before the generation work: one submit and wait a position)',
      );
      say(
        `  today's generation over that path: ${[...perSecond]
          .map(
            ([b, ours]) =>
              `B=${b}${b === rolloutBatch ? ' (rollout batch)' : ''} ${(ours / tokensPerSecond).toFixed(2)}×`,
          )
          .join(', ')}`,
      );
    }
  }
}
if (options.only === 'all' || options.only === 'annotate') {
  for (const c of await benchAnnotate()) {
    if (options.json) console.log(JSON.stringify({ ...c, responses_per_s: Math.round(c.responses_per_s) }));
    else say(`${c.name.padEnd(48)} ${c.responses_per_s.toFixed(0).padStart(7)} responses/s`);
  }
}
if (options.only === 'gpt2') {
  const gpt2 = await benchGpt2(context);
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  if (options.json) console.log(JSON.stringify({ ...roundAll(gpt2), adapter }));
  else if (gpt2.refused !== null) say(`${gpt2.name}: not on this device: ${gpt2.refused}`);
  else
    say(
      `${gpt2.name.padEnd(32)} forward ${gpt2.forward_s!.toFixed(2)} s  backward ${gpt2.backward_s!.toFixed(2)} s` +
        `  AdamW ${gpt2.adamw_s!.toFixed(2)} s  (largest range ${mib(gpt2.largest_range_bytes)} bound in pieces` +
        ` of at most ${mib(gpt2.binding_limit_bytes)})`,
    );
}
say(`f32 FMA peak over the run: ${probe.describe()}`);
context.destroy();
process.exit(0);

/** Every number field rounded (fractions below 1 kept to 4 digits). */
function roundAll<T extends object>(record: T): T {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [
      k,
      typeof v === 'number' && !Number.isInteger(v) ? round(v, Math.abs(v) < 1 ? 4 : 3) : v,
    ]),
  ) as T;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
