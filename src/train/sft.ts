// Supervised fine-tuning: mean cross-entropy over completion tokens, which in
// gemstone's terms is the per-token coefficient c = mask / Σ mask on ∇ log π
// (mask is 0/1, or a soft weight such as a PRM label's probability).
// Seeded data order, gradient accumulation over micro-batches, AdamW with
// warmup + cosine, and a state that checkpoints and resumes exactly.
import type { CheckpointState } from '../checkpoint/checkpoint.ts';
import type { BufferView } from '../gpu/context.ts';
import { axpy, fill, mul } from '../kernels/elementwise.ts';
import { rowSum } from '../kernels/rows.ts';
import type { Batch, Gpt2 } from '../model/gpt2.ts';
import type { SftRow } from '../data/sft-data.ts';
import { Random } from '../util/random.ts';
import { AdamW, DEFAULT_ADAMW, type AdamWOptions } from './optimizer.ts';
import { learningRate, type ScheduleOptions } from './schedule.ts';

export interface SftOptions {
  /** Rows per optimizer step. */
  batchSize: number;
  /** The batch is split into this many micro-batches whose gradients accumulate. */
  microBatches: number;
  schedule: ScheduleOptions;
  adamw: AdamWOptions;
  seed: number;
}

export const DEFAULT_SFT: Omit<SftOptions, 'schedule'> = {
  batchSize: 8,
  microBatches: 1,
  adamw: DEFAULT_ADAMW,
  seed: 1,
};

/** Where the trainer is in the data: the epoch's permutation is derived from (seed, epoch). */
export interface DataPosition {
  epoch: number;
  cursor: number;
}

export interface StepResult {
  step: number;
  lr: number;
  /** Present when the step was asked to read its loss back. */
  loss?: number;
  /** Tokens whose loss counted (completion tokens). */
  tokens: number;
  /** Positions the model processed (batch × context, padding included). */
  processed: number;
}

export function epochOrder(rows: number, seed: number, epoch: number): Uint32Array {
  const order = Uint32Array.from({ length: rows }, (_, i) => i);
  const random = new Random((seed * 1_000_003 + epoch * 7919) >>> 0);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export class SftTrainer {
  readonly optimizer: AdamW;
  position: DataPosition = { epoch: 0, cursor: 0 };
  private order: Uint32Array;
  private readonly loss: { products: BufferView; partial: BufferView; total: BufferView };
  readonly T: number;

  constructor(
    readonly model: Gpt2,
    readonly rows: SftRow[],
    readonly options: SftOptions,
  ) {
    if (rows.length === 0) throw new Error('SFT: no training rows.');
    if (options.batchSize % options.microBatches !== 0)
      throw new Error(
        `SFT: batch size ${options.batchSize} is not a multiple of ${options.microBatches} micro-batches.`,
      );
    this.T = rows[0].tokens.length;
    this.optimizer = new AdamW(model, options.adamw);
    this.order = epochOrder(rows.length, options.seed, 0);
    const microRows = (options.batchSize / options.microBatches) * this.T;
    const context = model.context;
    this.loss = {
      products: context.tensor('sft.loss.products', microRows),
      partial: context.tensor('sft.loss.partial', 1),
      total: context.tensor('sft.loss.total', 1),
    };
  }

  get step(): number {
    return this.optimizer.step;
  }

  /** Moves to a saved data position (resume). */
  seek(position: DataPosition): void {
    this.position = { ...position };
    this.order = epochOrder(this.rows.length, this.options.seed, position.epoch);
  }

  private nextRows(count: number): SftRow[] {
    const picked: SftRow[] = [];
    while (picked.length < count) {
      if (this.position.cursor >= this.order.length) this.seek({ epoch: this.position.epoch + 1, cursor: 0 });
      picked.push(this.rows[this.order[this.position.cursor]]);
      this.position.cursor += 1;
    }
    return picked;
  }

  /** One optimizer step over batchSize rows; reads the loss back only when asked. */
  async trainStep({ readLoss = false } = {}): Promise<StepResult> {
    const { batchSize, microBatches } = this.options;
    const context = this.model.context;
    const rows = this.nextRows(batchSize);
    // Mean over every counted token of the whole batch, so micro-batches add up to the batch.
    let count = 0;
    for (const row of rows) for (const m of row.mask) count += m;
    const perMicro = batchSize / microBatches;
    await this.model.zeroGradients();
    await fill(context, 1, 0, this.loss.total);
    for (let k = 0; k < microBatches; k++) {
      const batch = makeBatch(rows.slice(k * perMicro, (k + 1) * perMicro), this.T, count);
      await this.model.forward(batch);
      await this.model.backward();
      // total −= Σ c · log π  (the loss of this micro-batch)
      const n = perMicro * this.T;
      const acts = this.model.activationArena()!;
      await mul(context, n, acts.view('coefficients'), acts.view('logprobs'), this.loss.products);
      await rowSum(context, 1, n, this.loss.products, this.loss.partial);
      await axpy(context, 1, -1, this.loss.partial, this.loss.total);
    }
    const lr = learningRate(this.step + 1, this.options.schedule);
    await this.optimizer.update(lr);
    context.flush();
    const result: StepResult = { step: this.step, lr, tokens: count, processed: batchSize * this.T };
    if (readLoss) result.loss = (await context.read(this.loss.total))[0];
    return result;
  }

  /** Everything a checkpoint needs to continue this run exactly. */
  async checkpointState(extra?: unknown): Promise<CheckpointState> {
    return {
      config: this.model.config,
      step: this.step,
      rng: { seed: this.options.seed },
      dataPosition: { ...this.position },
      optimizer: await this.optimizer.checkpointPart(),
      parameters: await this.model.readParameters(),
      extra,
    };
  }

  /** Loads parameters, moments, step and data position from a checkpoint. */
  restore(state: CheckpointState): void {
    if (state.optimizer === undefined) throw new Error('Checkpoint has no optimizer state to resume from.');
    this.model.loadParameters(state.parameters);
    this.optimizer.restore(state);
    const position = state.dataPosition as DataPosition;
    if (!Number.isInteger(position?.epoch) || !Number.isInteger(position?.cursor))
      throw new Error('Checkpoint has no valid data position.');
    this.seek(position);
  }

  destroy(): void {
    this.optimizer.destroy();
    for (const v of Object.values(this.loss)) this.model.context.destroyBuffer(v.buffer);
  }
}

/** Rows → one Batch with c = mask / count (count = Σ mask over the whole batch). */
export function makeBatch(rows: SftRow[], T: number, count: number): Batch {
  const B = rows.length;
  const tokens = new Uint32Array(B * T);
  const targets = new Uint32Array(B * T);
  const coefficients = new Float32Array(B * T);
  const c = count > 0 ? 1 / count : 0;
  rows.forEach((row, b) => {
    tokens.set(row.tokens, b * T);
    targets.set(row.targets, b * T);
    for (let t = 0; t < T; t++) coefficients[b * T + t] = row.mask[t] * c;
  });
  return { tokens, targets, coefficients, B, T };
}
