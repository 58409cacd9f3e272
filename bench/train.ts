// Training and generation throughput: our GPT-2 (src/model) against the same
// architecture in TensorFlow.js (bench/tfjs-gpt.ts) on the same GPUDevice.
// A training step is zero grads + forward + backward + clip + AdamW; tokens/s
// from the median of several steps, each waited for on the GPU.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Dispatch, GpuContext } from '../src/gpu/context.ts';
import { parameterCount, presetConfig, type ModelConfig } from '../src/model/config.ts';
import { generate } from '../src/model/generate.ts';
import { Gpt2, type Batch } from '../src/model/gpt2.ts';
import { AdamW, DEFAULT_ADAMW } from '../src/train/optimizer.ts';
import { Random } from '../src/util/random.ts';
import { TfGpt } from './tfjs-gpt.ts';
import type { TfPeer } from './tfjs-peer.ts';
import type { PeakProbe } from './peak.ts';
import { median, timeBatches } from './timing.ts';

export interface TrainBenchResult {
  name: string;
  preset: string;
  parameters: number;
  B: number;
  T: number;
  ours_tokens_per_s: number;
  ours_step_s: number;
  peer_tokens_per_s: number | null;
  peer_step_s: number | null;
  ours_over_peer: number | null;
  /** Model FLOPs utilisation as PaLM defines it (trainFlopsPerToken · tokens/s over the FMA peak). */
  mfu: number;
  /** The same counting only 6 · parameters per token (no attention scores), as earlier READMEs did. */
  mfu_6n: number;
  peer_mfu: number | null;
  /** The FMA peak beside our timed steps (PeakProbe: the larger of the probes before and after). */
  peak_gflops: number;
  peer_peak_gflops: number | null;
  /** The TF.js model's loss on its first step (≈ ln V for a freshly initialised model). */
  peer_first_loss: number | null;
  ln_vocab: number;
}

export interface GenerateBenchResult {
  name: string;
  preset: string;
  B: number;
  prompt_tokens: number;
  new_tokens: number;
  ours_tokens_per_s: number;
  ours_seconds: number;
  /** The decode's FLOP/s (matmuls and attention over the KV cache), and as a share of the FMA peak. */
  decode_gflops: number;
  decode_fraction_of_peak: number | null;
  peak_gflops: number | null;
}

/** The model users run: the bundled π_ref's configuration (assets/pi-ref-small, V = 39). */
export const SHIPPED = 'pi-ref-small';
export function benchConfig(preset: string): ModelConfig {
  if (preset !== SHIPPED) return presetConfig(preset);
  const url = new URL(`../assets/${SHIPPED}/provenance.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).config as ModelConfig;
}

/**
 * FLOPs of one decode step at `position` (attending to position + 1 keys), eq. per token:
 * 2·(12·L·C²) for the linear layers, 2·V·C for the head, 2·2·L·C·(position + 1) for q·k and p·v.
 */
export function decodeFlops(config: ModelConfig, position: number): number {
  const { width: C, layers: L, vocabSize: V } = config;
  return 2 * 12 * L * C * C + 2 * V * C + 4 * L * C * (position + 1);
}

/**
 * Training FLOPs per token as PaLM counts them (Chowdhery et al. 2022, Appendix B): 6·N for the parameters'
 * matmuls, forward and backward, plus 12·L·H·Q·T for the attention scores and their weighted sums over a
 * context of T (H·Q = C, the width). At the shipped model's T = 128 and C = 128 the second term is 16% of the first.
 */
export function trainFlopsPerToken(config: ModelConfig, T: number): number {
  return 6 * parameterCount(config) + 12 * config.layers * config.width * T;
}

export interface TrainBenchOptions {
  preset?: string;
  B?: number;
  T?: number;
  /** Timed steps per side (after one warm-up step). */
  steps?: number;
  seed?: number;
  lr?: number;
  /** Pad the vocabulary for the fast matmuls (default true, as the model does); false measures the old path. */
  padVocabulary?: boolean;
}

/** Seeded random next-token batches with the mean cross-entropy coefficients 1/(B·T). */
export function randomBatches(config: ModelConfig, B: number, T: number, count: number, seed: number): Batch[] {
  const random = new Random(seed);
  const V = config.vocabSize;
  return Array.from({ length: count }, () => {
    const sequence = Uint32Array.from({ length: B * (T + 1) }, () => Math.floor(random.next() * V));
    const tokens = new Uint32Array(B * T);
    const targets = new Uint32Array(B * T);
    for (let b = 0; b < B; b++) {
      tokens.set(sequence.subarray(b * (T + 1), b * (T + 1) + T), b * T);
      targets.set(sequence.subarray(b * (T + 1) + 1, (b + 1) * (T + 1)), b * T);
    }
    return { tokens, targets, coefficients: new Float32Array(B * T).fill(1 / (B * T)), B, T };
  });
}

/** One full training step of ours, recorded (not waited for). */
async function oursStep(model: Gpt2, optimizer: AdamW, batch: Batch, lr: number): Promise<void> {
  await model.zeroGradients();
  await model.forward(batch);
  await model.backward();
  await optimizer.update(lr);
}

/** Median seconds of one step: a warm-up step, then `steps` steps timed one by one. */
async function timeSteps(step: (i: number) => Promise<void>, steps: number): Promise<number> {
  let i = 0;
  // timeBatches warms up with one repetition, then grows a batch to minSeconds; a step here takes
  // well over it on software adapters, so each batch is one step and `steps` batches are timed.
  return timeBatches(
    async (reps) => {
      for (let r = 0; r < reps; r++) await step(i++);
    },
    { minSeconds: 0.25, batches: steps },
  );
}

export async function benchTrain(
  context: GpuContext,
  probe: PeakProbe,
  peer: TfPeer | null,
  options: TrainBenchOptions = {},
): Promise<TrainBenchResult> {
  const { preset = SHIPPED, B = 16, T = 128, steps = 5, seed = 1, lr = 1e-3, padVocabulary = true } = options;
  const config = benchConfig(preset);
  const parameters = parameterCount(config);
  const batches = randomBatches(config, B, T, 4, seed);

  const model = new Gpt2(context, config, { padVocabulary });
  model.initialize(seed);
  const optimizer = new AdamW(model, DEFAULT_ADAMW);
  let ours: { value: number; peak: number };
  try {
    await optimizer.reset();
    ours = await probe.around(() =>
      timeSteps(async (i) => {
        await oursStep(model, optimizer, batches[i % batches.length], lr);
        await context.sync();
      }, steps),
    );
  } finally {
    optimizer.destroy();
    model.destroy();
  }

  let peerTimed: { value: number; peak: number } | null = null;
  let peerFirstLoss: number | null = null;
  if (peer !== null) {
    const tfModel = await TfGpt.create(peer, config, {
      seed,
      lr,
      beta1: DEFAULT_ADAMW.beta1,
      beta2: DEFAULT_ADAMW.beta2,
      eps: DEFAULT_ADAMW.eps,
      maxGradNorm: DEFAULT_ADAMW.maxGradNorm,
    });
    try {
      const inputs = batches.map((batch) => tfModel.upload(batch));
      try {
        // The first step reads its loss back: a real, freshly initialised model starts at ≈ ln V.
        peerFirstLoss = await tfModel.trainStep(inputs[0], { readLoss: true });
        peerTimed = await probe.around(() =>
          timeSteps(async (i) => {
            await tfModel.trainStep(inputs[(i + 1) % inputs.length]);
            await peer.sync();
          }, steps),
        );
      } finally {
        for (const input of inputs) tfModel.release(input);
      }
    } finally {
      tfModel.dispose();
    }
  }

  const tokens = B * T;
  const oursTokens = tokens / ours.value;
  const theirs = peerTimed === null ? null : tokens / peerTimed.value;
  const flopsPerToken = trainFlopsPerToken(config, T);
  return {
    name: `train ${preset} B=${B} T=${T}${padVocabulary ? '' : ' unpadded V'}`,
    preset,
    parameters,
    B,
    T,
    ours_tokens_per_s: oursTokens,
    ours_step_s: ours.value,
    peer_tokens_per_s: theirs,
    peer_step_s: peerTimed?.value ?? null,
    ours_over_peer: theirs === null ? null : oursTokens / theirs,
    mfu: (flopsPerToken * oursTokens) / (ours.peak * 1e9),
    mfu_6n: (6 * parameters * oursTokens) / (ours.peak * 1e9),
    peer_mfu: peerTimed === null || theirs === null ? null : (flopsPerToken * theirs) / (peerTimed.peak * 1e9),
    peak_gflops: ours.peak,
    peer_peak_gflops: peerTimed?.peak ?? null,
    peer_first_loss: peerFirstLoss,
    ln_vocab: Math.log(config.vocabSize),
  };
}

export interface GenerateBenchOptions {
  preset?: string;
  B?: number;
  promptTokens?: number;
  newTokens?: number;
  runs?: number;
  seed?: number;
  /** Measures the FMA peak beside the timed runs, for the decode's share of it. */
  probe?: PeakProbe;
}

/** FLOPs of generating `newTokens` after `promptTokens` for B rows: every position from 0 runs a decode step for
 * every row (prompt positions included). */
export function generationFlops(config: ModelConfig, B: number, promptTokens: number, newTokens: number): number {
  let flops = 0;
  for (let position = 0; position + 1 < promptTokens + newTokens; position++)
    flops += B * decodeFlops(config, position);
  return flops;
}

/** New tokens/s of generate() (KV cache), temperature 1, no top-k, no eos; the median of a few runs after a warm-up. */
export async function benchGenerate(
  context: GpuContext,
  options: GenerateBenchOptions = {},
): Promise<GenerateBenchResult> {
  const { preset = SHIPPED, B = 32, promptTokens = 8, newTokens = 120, runs = 3, seed = 1 } = options;
  const config = benchConfig(preset);
  if (promptTokens + newTokens > config.contextLength)
    throw new Error(
      `generate bench: ${promptTokens} + ${newTokens} tokens exceed the context of ${config.contextLength}.`,
    );
  const model = new Gpt2(context, config);
  model.initialize(seed);
  const random = new Random(seed + 1);
  const prompts = Array.from({ length: B }, () =>
    Array.from({ length: promptTokens }, () => Math.floor(random.next() * config.vocabSize)),
  );
  try {
    const once = async (run: number): Promise<number> => {
      const start = performance.now();
      const out = await generate(model, {
        prompts,
        maxNewTokens: newTokens,
        temperature: 1,
        topK: 0,
        seed: seed + run,
      });
      const seconds = (performance.now() - start) / 1000;
      const produced = out.tokens.reduce((sum, row) => sum + row.length, 0);
      if (produced !== B * newTokens)
        throw new Error(`generate bench: ${produced} new tokens, expected ${B * newTokens}.`);
      return seconds;
    };
    await once(0); // warm-up: pipelines
    const timed = async () => {
      const samples: number[] = [];
      for (let r = 1; r <= runs; r++) samples.push(await once(r));
      return median(samples);
    };
    const { value: seconds, peak } = options.probe
      ? await options.probe.around(timed)
      : { value: await timed(), peak: null };
    const gflops = generationFlops(config, B, promptTokens, newTokens) / seconds / 1e9;
    return {
      name: `generate ${preset} B=${B}`,
      preset,
      B,
      prompt_tokens: promptTokens,
      new_tokens: newTokens,
      ours_tokens_per_s: (B * newTokens) / seconds,
      ours_seconds: seconds,
      decode_gflops: gflops,
      decode_fraction_of_peak: peak === null ? null : gflops / peak,
      peak_gflops: peak,
    };
  } finally {
    model.destroy();
  }
}

// ---- profile ---------------------------------------------------------------

export interface TrainProfile {
  /** Seconds per phase of one step, each phase waited for on its own. */
  phases: Record<'zero' | 'forward' | 'backward' | 'update', number>;
  /** Seconds per kind of dispatch in one step (each dispatch waited for on its own), largest first. */
  kernels: { key: string; phase: string; count: number; seconds: number }[];
  /** Sum of the per-dispatch times (dispatch-by-dispatch waiting adds overhead of its own). */
  dispatchTotal: number;
}

function dispatchKey(dispatch: Dispatch): string {
  const { shader, entryPoint } = dispatch.kernel;
  let key = entryPoint ? `${shader}:${entryPoint}` : shader;
  const u = dispatch.uniform;
  if (shader.startsWith('matmul') && u !== undefined && !(u instanceof ArrayBuffer)) {
    const dims = new Uint32Array(u.buffer, u.byteOffset, 4);
    key += ` M=${dims[0]} N=${dims[1]} K=${dims[2]}`;
  }
  return key;
}

/** Where our training step spends its time: phases (synced between), then every dispatch synced on its own. */
export async function profileTrainStep(context: GpuContext, options: TrainBenchOptions = {}): Promise<TrainProfile> {
  const { preset = SHIPPED, B = 16, T = 128, steps = 3, seed = 1, lr = 1e-3 } = options;
  const config = benchConfig(preset);
  const batches = randomBatches(config, B, T, 2, seed);
  const model = new Gpt2(context, config);
  model.initialize(seed);
  const optimizer = new AdamW(model, DEFAULT_ADAMW);
  const phases: Record<keyof TrainProfile['phases'], (i: number) => Promise<void>> = {
    zero: () => model.zeroGradients(),
    forward: (i) => model.forward(batches[i % batches.length]),
    backward: () => model.backward(),
    update: () => optimizer.update(lr),
  };
  try {
    await optimizer.reset();
    await oursStep(model, optimizer, batches[0], lr); // warm-up
    await context.sync();
    const samples: Record<string, number[]> = { zero: [], forward: [], backward: [], update: [] };
    for (let i = 0; i < steps; i++) {
      for (const [name, phase] of Object.entries(phases)) {
        const start = performance.now();
        await phase(i);
        await context.sync();
        samples[name].push((performance.now() - start) / 1000);
      }
    }
    // One more step with every dispatch waited for, to split the phases by kernel.
    const table = new Map<string, { key: string; phase: string; count: number; seconds: number }>();
    const original = context.run.bind(context);
    let phaseName = '';
    context.run = async (dispatch: Dispatch) => {
      await context.sync();
      const start = performance.now();
      await original(dispatch);
      await context.sync();
      const key = dispatchKey(dispatch);
      const id = `${phaseName}|${key}`;
      const row = table.get(id) ?? { key, phase: phaseName, count: 0, seconds: 0 };
      row.count += 1;
      row.seconds += (performance.now() - start) / 1000;
      table.set(id, row);
    };
    try {
      for (const [name, phase] of Object.entries(phases)) {
        phaseName = name;
        await phase(steps);
      }
    } finally {
      context.run = original;
    }
    const kernels = [...table.values()].sort((a, b) => b.seconds - a.seconds);
    return {
      phases: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) as TrainProfile['phases'],
      kernels,
      dispatchTotal: kernels.reduce((sum, k) => sum + k.seconds, 0),
    };
  } finally {
    optimizer.destroy();
    model.destroy();
  }
}

// `npx tsx bench/train.ts [--adapter llvmpipe|swiftshader|gpu]`: the profile of our training step.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { GpuContext } = await import('../src/gpu/context.ts');
  const adapterIndex = process.argv.indexOf('--adapter');
  const context = await GpuContext.create({ adapter: adapterIndex > 0 ? process.argv[adapterIndex + 1] : undefined });
  const profile = await profileTrainStep(context);
  const step = Object.values(profile.phases).reduce((a, b) => a + b, 0);
  console.log(
    `step ${(1000 * step).toFixed(0)} ms: ` +
      Object.entries(profile.phases)
        .map(([k, v]) => `${k} ${(1000 * v).toFixed(0)} ms`)
        .join(', '),
  );
  console.log(`dispatch by dispatch (each waited for): ${(1000 * profile.dispatchTotal).toFixed(0)} ms`);
  for (const k of profile.kernels.slice(0, 30)) {
    console.log(
      `${(1000 * k.seconds).toFixed(1).padStart(8)} ms` +
        ` ${((100 * k.seconds) / profile.dispatchTotal).toFixed(1).padStart(5)}%` +
        `  ×${String(k.count).padStart(3)}  ${k.phase.padEnd(9)} ${k.key}`,
    );
  }
  context.destroy();
  process.exit(0);
}
