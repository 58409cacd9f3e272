// The offline RL trainer: epochs over a fixed dataset of rollouts from π_ref,
// each batch a set of whole groups (so r̄ and std are the group's), π_ref's
// log-probs from the dataset, and the objective's per-token credit c computed
// on the GPU from the current log-probs. One step:
//   forward with c = 1  →  ℓ = log πθ(y)  →  c = objective(ℓ, ℓ^ref, r, groups, β mask)
//   →  dlogits ·= c (row-wise)  →  backward  →  AdamW.
import type { CheckpointState } from '../checkpoint/checkpoint.ts';
import type { BufferView } from '../gpu/context.ts';
import {
  destroyObjectiveBuffers,
  objectiveCoefficients,
  readObjectiveTerms,
  reuseObjectiveBuffers,
  type ObjectiveBuffers,
} from '../objectives/kernels.ts';
import { dpoPairs, type ObjectiveHyper, type ResponseSpan } from '../objectives/reference.ts';
import type { ObjectiveName } from '../objectives/index.ts';
import type { Gpt2 } from '../model/gpt2.ts';
import { Random } from '../util/random.ts';
import { AdamW, type AdamWOptions } from './optimizer.ts';
import { learningRate, type ScheduleOptions } from './schedule.ts';

/** One response as the trainer needs it. */
export interface RlExample {
  group: string;
  promptTokens: number[];
  responseTokens: number[];
  /** log π_ref of each response token. */
  refLogprobs: number[];
  reward: 0 | 1;
  /** Per response token: 1 where BCPG-NSA gives weight β (a consensus-correct step of a negative). */
  betaMask: number[];
}

export interface RlBatch {
  B: number;
  T: number;
  tokens: Uint32Array;
  targets: Uint32Array;
  refLogprobs: Float32Array;
  betaMask: Float32Array;
  responses: ResponseSpan[];
}

export interface OfflineRlOptions {
  objective: ObjectiveName;
  hyper: ObjectiveHyper;
  /** Whole groups per optimizer step. */
  groupsPerBatch: number;
  schedule: ScheduleOptions;
  adamw: AdamWOptions;
  seed: number;
}

export interface RlStepResult {
  step: number;
  epoch: number;
  lr: number;
  /**
   * The objective's named terms (objective, policyGradient, constraint, meanAbsD, maxAbsD, betaShare, …),
   * when read.
   */
  terms?: Record<string, number>;
  gradNorm?: number;
}

export class OfflineRlTrainer {
  readonly optimizer: AdamW;
  readonly T: number;
  private readonly groups: RlExample[][];
  private readonly rowsPerBatch: number;
  private order: number[] = [];
  private cursor = 0;
  epoch = 0;
  private readonly coefficients: BufferView;
  /** The objective's buffers, kept across steps (reused while a batch's layout fits). */
  private objectiveBuffers: ObjectiveBuffers | null = null;
  private readonly refLogprobs: BufferView;

  constructor(
    readonly model: Gpt2,
    examples: RlExample[],
    readonly options: OfflineRlOptions,
  ) {
    const byGroup = new Map<string, RlExample[]>();
    for (const e of examples) {
      if (e.responseTokens.length === 0) continue;
      const list = byGroup.get(e.group) ?? [];
      list.push(e);
      byGroup.set(e.group, list);
    }
    this.groups = [...byGroup.values()];
    if (this.groups.length === 0) throw new Error('Offline RL: no responses to train on.');
    this.T = model.config.contextLength;
    for (const e of examples) {
      if (e.promptTokens.length + e.responseTokens.length > this.T + 1) {
        throw new Error(
          `Offline RL: a response of group ${e.group} ` +
            `needs ${e.promptTokens.length + e.responseTokens.length} tokens; the context holds ${this.T + 1}.`,
        );
      }
      if (e.refLogprobs.length !== e.responseTokens.length || e.betaMask.length !== e.responseTokens.length) {
        throw new Error(
          `Offline RL: a response of group ${e.group} has ${e.responseTokens.length} tokens ` +
            `but ${e.refLogprobs.length} log-probs and ${e.betaMask.length} β-mask values.`,
        );
      }
    }
    const largest = Math.max(...this.groups.map((g) => g.length));
    this.rowsPerBatch = Math.min(options.groupsPerBatch, this.groups.length) * largest;
    this.optimizer = new AdamW(model, options.adamw);
    this.coefficients = model.context.tensor('rl.coefficients', this.rowsPerBatch * this.T);
    this.refLogprobs = model.context.tensor('rl.ref-logprobs', this.rowsPerBatch * this.T);
    this.shuffle();
  }

  get step(): number {
    return this.optimizer.step;
  }

  /** Optimizer steps in one pass over the groups. */
  get stepsPerEpoch(): number {
    return Math.ceil(this.groups.length / Math.min(this.options.groupsPerBatch, this.groups.length));
  }

  private shuffle(): void {
    this.order = this.groups.map((_, i) => i);
    const random = new Random((this.options.seed * 7919 + this.epoch * 104729) >>> 0);
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
    }
    this.cursor = 0;
  }

  private nextGroups(): RlExample[][] {
    if (this.cursor >= this.order.length) {
      this.epoch += 1;
      this.shuffle();
    }
    const count = Math.min(this.options.groupsPerBatch, this.groups.length);
    const picked = this.order.slice(this.cursor, this.cursor + count).map((i) => this.groups[i]);
    this.cursor += count;
    return picked;
  }

  /** The next batch laid out as B × T rows, with the objective's spans over the flat positions. */
  nextBatch(): RlBatch {
    const { T, rowsPerBatch: B } = this;
    const groups = this.nextGroups();
    const batch: RlBatch = {
      B,
      T,
      tokens: new Uint32Array(B * T),
      targets: new Uint32Array(B * T),
      refLogprobs: new Float32Array(B * T),
      betaMask: new Float32Array(B * T),
      responses: [],
    };
    let row = 0;
    groups.forEach((group, g) => {
      for (const e of group) {
        const offset = packResponse(batch.tokens, batch.targets, row, T, e.promptTokens, e.responseTokens);
        batch.refLogprobs.set(e.refLogprobs, offset);
        batch.betaMask.set(e.betaMask, offset);
        batch.responses.push({ group: g, reward: e.reward, offset, length: e.responseTokens.length });
        row += 1;
      }
    });
    return batch;
  }

  /**
   * Zeroes the gradients and accumulates ∇(−J) of one batch; returns the objective's buffers, which the
   * trainer keeps (reused by the next batch, freed by destroy()).
   */
  async computeGradients(batch: RlBatch): Promise<ObjectiveBuffers> {
    const { B, T } = batch;
    const context = this.model.context;
    const pairs = this.options.objective === 'dpo' ? dpoPairs(batch.responses, this.options.hyper.dpoSeed) : undefined;
    const layout = { nTokens: B * T, responses: batch.responses, betaMask: batch.betaMask, pairs };
    const buffers = reuseObjectiveBuffers(context, this.objectiveBuffers, layout);
    this.objectiveBuffers = buffers;
    context.upload(this.refLogprobs, batch.refLogprobs);
    await this.model.zeroGradients();
    // c = 1 first: the output kernel then leaves (softmax − onehot), which c scales once known.
    await this.model.forward({
      tokens: batch.tokens,
      targets: batch.targets,
      coefficients: new Float32Array(B * T).fill(1),
      B,
      T,
    });
    await objectiveCoefficients(context, {
      objective: this.options.objective,
      hyper: this.options.hyper,
      buffers,
      logprobs: this.model.logprobsView(),
      refLogprobs: this.refLogprobs,
      coefficients: this.coefficients,
    });
    await this.model.scaleOutputGradient(this.coefficients);
    await this.model.backward();
    return buffers;
  }

  /** The per-token credit c of the last computeGradients() (what the demo paints on tokens). */
  coefficientsView(): BufferView {
    return this.coefficients;
  }

  async trainStep({ readTerms = false } = {}): Promise<RlStepResult> {
    const context = this.model.context;
    const buffers = await this.computeGradients(this.nextBatch());
    try {
      const lr = learningRate(this.step + 1, this.options.schedule);
      await this.optimizer.update(lr);
      context.flush();
      const result: RlStepResult = { step: this.step, epoch: this.epoch, lr };
      if (readTerms) {
        result.terms = await readObjectiveTerms(context, this.options.objective, buffers);
        result.gradNorm = await this.optimizer.lastGradNorm();
      }
      return result;
    } finally {
      context.flush();
    }
  }

  /**
   * Continues a run from its checkpoint: parameters, AdamW's moments and step, and the
   * data position (the batch order is a function of seed and epoch, so it is replayed exactly).
   */
  restore(state: CheckpointState): void {
    if (state.optimizer === undefined) throw new Error('Checkpoint has no optimizer state to resume from.');
    this.model.loadParameters(state.parameters);
    this.optimizer.restore(state);
    const position = state.dataPosition as { epoch?: number; cursor?: number } | undefined;
    if (!Number.isInteger(position?.epoch) || !Number.isInteger(position?.cursor))
      throw new Error('Checkpoint has no valid data position.');
    this.epoch = position!.epoch!;
    this.shuffle();
    this.cursor = position!.cursor!;
  }

  /** The trained policy with its optimizer state, as a checkpoint. */
  async checkpointState(extra?: unknown): Promise<CheckpointState> {
    return {
      config: this.model.config,
      step: this.step,
      rng: { seed: this.options.seed },
      dataPosition: { epoch: this.epoch, cursor: this.cursor },
      optimizer: await this.optimizer.checkpointPart(),
      parameters: await this.model.readParameters(),
      extra,
    };
  }

  destroy(): void {
    if (this.objectiveBuffers !== null) destroyObjectiveBuffers(this.model.context, this.objectiveBuffers);
    this.optimizer.destroy();
    this.model.context.destroyBuffer(this.coefficients.buffer);
    this.model.context.destroyBuffer(this.refLogprobs.buffer);
  }
}

/**
 * Lays prompt + response out as row `row` of a B × T batch (inputs and next-token targets);
 * returns the flat position of the first response token's target (response token j is at |prompt| − 1 + j).
 */
export function packResponse(
  tokens: Uint32Array,
  targets: Uint32Array,
  row: number,
  T: number,
  promptTokens: readonly number[],
  responseTokens: readonly number[],
): number {
  const sequence = [...promptTokens, ...responseTokens];
  for (let t = 0; t + 1 < sequence.length && t < T; t++) {
    tokens[row * T + t] = sequence[t];
    targets[row * T + t] = sequence[t + 1];
  }
  return row * T + promptTokens.length - 1;
}
