// SFT on the GPU: a pinned loss trajectory, micro-batch accumulation equal to
// one big batch, memorisation, and exact resume from a checkpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { toSftRow, type PromptCompletion } from '../src/data/sft-data.ts';
import { CharTokenizer } from '../src/data/tokenizer.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { presetConfig } from '../src/model/config.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { DEFAULT_ADAMW } from '../src/train/optimizer.ts';
import { SftTrainer, type SftOptions } from '../src/train/sft.ts';

const RECORDS: PromptCompletion[] = [
  { prompt: '12+7=', completion: '19' },
  { prompt: '3*4=', completion: '12' },
  { prompt: '20-5=', completion: '15' },
  { prompt: '9+9=', completion: '18' },
  { prompt: '6*7=', completion: '42' },
  { prompt: '8-3=', completion: '5' },
  { prompt: '2+2=', completion: '4' },
  { prompt: '5*5=', completion: '25' },
];
const T = 8;
const tokenizer = CharTokenizer.fromTexts(RECORDS.flatMap((r) => [r.prompt, r.completion]));
const config = presetConfig('tiny', { vocabSize: tokenizer.size, contextLength: T });
const rows = RECORDS.map((r) => toSftRow(r, tokenizer, T));

function options(overrides: Partial<SftOptions> = {}): SftOptions {
  return {
    batchSize: 4,
    microBatches: 1,
    seed: 7,
    adamw: { ...DEFAULT_ADAMW, weightDecay: 0 },
    schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 2, totalSteps: 200 },
    ...overrides,
  };
}

// The first SFT losses for seed 7 on llvmpipe. A change that moves them must be deliberate: rerun, check, and re-pin.
const PINNED_LOSSES = [2.9726271629333496, 2.714813232421875, 2.50954008102417, 2.4642114639282227, 2.316141128540039];

describe('SFT (llvmpipe)', () => {
  let context: GpuContext;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe' });
  });
  afterAll(() => context?.destroy());

  async function run(
    steps: number,
    sft: SftOptions,
    init = 11,
  ): Promise<{ losses: number[]; model: Gpt2; trainer: SftTrainer }> {
    const model = new Gpt2(context, config);
    model.initialize(init);
    const trainer = new SftTrainer(model, rows, sft);
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) losses.push((await trainer.trainStep({ readLoss: true })).loss!);
    return { losses, model, trainer };
  }

  it('follows the pinned loss trajectory for a fixed seed', async () => {
    const { losses, model, trainer } = await run(PINNED_LOSSES.length, options());
    // Starts near ln(vocabulary) for a fresh model, and goes down.
    expect(Math.abs(losses[0] - Math.log(config.vocabSize))).toBeLessThan(0.3);
    for (let i = 0; i < losses.length; i++) expect(losses[i]).toBeCloseTo(PINNED_LOSSES[i], 4);
    trainer.destroy();
    model.destroy();
  });

  it('accumulating 4 micro-batches gives the update of one batch of 4×', async () => {
    const one = await run(2, options({ batchSize: 8, microBatches: 1 }));
    const four = await run(2, options({ batchSize: 8, microBatches: 4 }));
    for (let i = 0; i < 2; i++) expect(four.losses[i]).toBeCloseTo(one.losses[i], 5);
    const a = await one.model.readParameters();
    const b = await four.model.readParameters();
    for (const name of Object.keys(a)) {
      let worst = 0;
      for (let i = 0; i < a[name].length; i++) worst = Math.max(worst, Math.abs(a[name][i] - b[name][i]));
      expect(worst, name).toBeLessThan(2e-6);
    }
    for (const r of [one, four]) {
      r.trainer.destroy();
      r.model.destroy();
    }
  });

  it('memorises a handful of sequences', async () => {
    const sft = options({ batchSize: 8, schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 5, totalSteps: 150 } });
    const { losses, model, trainer } = await run(150, sft);
    expect(losses[0]).toBeGreaterThan(2);
    expect(losses.at(-1)!).toBeLessThan(0.05);
    trainer.destroy();
    model.destroy();
  });

  it('resumes from a checkpoint on the exact loss trajectory', async () => {
    const straight = await run(6, options());
    const first = await run(3, options());
    const bytes = encodeCheckpoint(await first.trainer.checkpointState());
    first.trainer.destroy();
    first.model.destroy();
    const model = new Gpt2(context, config);
    const trainer = new SftTrainer(model, rows, options());
    trainer.restore(decodeCheckpoint(bytes, 'resume.safetensors'));
    const resumed = [...first.losses];
    for (let i = 0; i < 3; i++) resumed.push((await trainer.trainStep({ readLoss: true })).loss!);
    expect(resumed).toEqual(straight.losses);
    for (const r of [straight, { model, trainer }]) {
      r.trainer.destroy();
      r.model.destroy();
    }
  });
});
