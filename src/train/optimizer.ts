// AdamW (decoupled weight decay) with clipping by global norm, on the GPU.
// The clip factor stays on the GPU (one float), so a step needs no read-back.
import type { CheckpointState } from '../checkpoint/checkpoint.ts';
import { Arena } from '../gpu/arena.ts';
import type { BufferView } from '../gpu/context.ts';
import { adamw, clipByGlobalNorm } from '../kernels/adamw.ts';
import { fill } from '../kernels/elementwise.ts';
import type { Gpt2 } from '../model/gpt2.ts';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip gradients to this global L2 norm; 0 or Infinity turns clipping off. */
  maxGradNorm: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1.0 };

export class AdamW {
  readonly m: Arena;
  readonly v: Arena;
  /** Steps taken so far (AdamW's bias correction uses step + 1 next). */
  step = 0;
  private readonly norm: BufferView;
  private readonly scale: BufferView;

  constructor(
    private readonly model: Gpt2,
    readonly options: AdamWOptions = DEFAULT_ADAMW,
  ) {
    const layout = Object.fromEntries([...model.params.entries.values()].map((e) => [e.name, e.length]));
    this.m = new Arena(model.context, 'adamw.m', layout);
    this.v = new Arena(model.context, 'adamw.v', layout);
    this.norm = model.context.tensor('adamw.grad_norm', 1);
    this.scale = model.context.tensor('adamw.clip_scale', 1);
  }

  /** Zeroes both moments (a fresh optimizer). */
  async reset(): Promise<void> {
    await fill(this.model.context, this.m.length, 0, this.m.all());
    await fill(this.model.context, this.v.length, 0, this.v.all());
    this.step = 0;
  }

  /** Loads both moments and the step count from a checkpoint (resume). */
  restore(state: Pick<CheckpointState, 'optimizer' | 'step'>): void {
    if (state.optimizer === undefined) throw new Error('Checkpoint has no optimizer state to resume from.');
    for (const spec of this.model.specs) {
      this.model.uploadTensor(this.m, spec.name, state.optimizer.m[spec.name]);
      this.model.uploadTensor(this.v, spec.name, state.optimizer.v[spec.name]);
    }
    this.step = state.step;
  }

  /** The hyper-parameters and both moments, as a checkpoint holds them (restore() reads them back). */
  async checkpointPart(): Promise<NonNullable<CheckpointState['optimizer']>> {
    return {
      hyper: { ...this.options },
      m: await this.model.readParameters(this.m),
      v: await this.model.readParameters(this.v),
    };
  }

  /** Clips, then updates every parameter with learning rate lr. Records dispatches only. */
  async update(lr: number): Promise<void> {
    const context = this.model.context;
    const { grads, params } = this.model;
    const n = grads.length;
    await clipByGlobalNorm(context, {
      grads: grads.all(),
      n,
      maxNorm: this.options.maxGradNorm,
      scale: this.scale,
      norm: this.norm,
    });
    this.step += 1;
    const { decayed, plain } = this.model.decayRanges();
    for (const [[start, end], weightDecay] of [
      [decayed, this.options.weightDecay],
      [plain, 0],
    ] as const) {
      if (end <= start) continue;
      const range = (arena: Arena): BufferView => ({
        buffer: arena.buffer,
        offset: start * 4,
        size: (end - start) * 4,
      });
      await adamw(context, {
        params: range(params),
        grads: range(grads),
        m: range(this.m),
        v: range(this.v),
        n: end - start,
        lr,
        beta1: this.options.beta1,
        beta2: this.options.beta2,
        eps: this.options.eps,
        weightDecay,
        step: this.step,
        gradScale: this.scale,
      });
    }
  }

  /** The global gradient norm of the last update (a read-back: call every N steps, not every step). */
  async lastGradNorm(): Promise<number> {
    return (await this.model.context.read(this.norm))[0];
  }

  destroy(): void {
    this.m.destroy();
    this.v.destroy();
    this.model.context.destroyBuffer(this.norm.buffer);
    this.model.context.destroyBuffer(this.scale.buffer);
  }
}
