// The peer model: GPT-2 in TensorFlow.js (layers where they fit, core ops for
// causal attention and the tied head), trained with tf.train.adam on the device
// TF.js shares with us. The same architecture as src/model/gpt2.ts: token +
// position embeddings, pre-LN blocks (causal multi-head attention, tanh-GELU
// MLP), final LayerNorm, logits = lnf · wteᵀ, mean cross-entropy.
import type { NamedTensorMap, Tensor, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { LAYER_NORM_EPS, type ModelConfig } from '../src/model/config.ts';
import type { Batch } from '../src/model/gpt2.ts';
import type { TfPeer } from './tfjs-peer.ts';

type Tfl = typeof import('@tensorflow/tfjs-layers');
/** What this file uses of a tfjs-layers Layer (called eagerly on tensors). */
interface Layer {
  apply(inputs: Tensor): unknown;
  readonly trainableWeights: LayerVariable[];
}

export interface TfGptOptions {
  seed: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Clip gradients to this global L2 norm first (as ours does); 0 turns it off. */
  maxGradNorm: number;
}

export interface TfBatch {
  tokens: Tensor2D; // int32 [B, T]
  targets: Tensor; // one-hot [B·T, V]
}

interface Block {
  ln1: Layer;
  attn: Layer;
  proj: Layer;
  ln2: Layer;
  fc: Layer;
  fcproj: Layer;
}

export class TfGpt {
  private readonly tf: TfPeer['tf'];
  private readonly wte: Layer;
  private readonly wpe: Layer;
  private readonly blocks: Block[];
  private readonly lnf: Layer;
  private readonly optimizer: ReturnType<TfPeer['tf']['train']['adam']>;
  private readonly causalMask: Tensor; // [T, T]: 0 on and below the diagonal, −1e9 above
  private readonly variables: Variable[];
  private readonly maxGradNorm: number;

  private constructor(
    peer: TfPeer,
    tfl: Tfl,
    readonly config: ModelConfig,
    options: TfGptOptions,
  ) {
    const tf = (this.tf = peer.tf);
    const { vocabSize: V, contextLength: T, width: C, layers: L } = config;
    let seed = options.seed;
    const normal = (std: number) => tfl.initializers.randomNormal({ mean: 0, stddev: std, seed: seed++ });
    const residualStd = 0.02 / Math.sqrt(2 * L);
    const dense = (units: number, std: number, activation?: 'gelu_new') =>
      tfl.layers.dense({ units, activation, kernelInitializer: normal(std), biasInitializer: 'zeros' });
    const layerNorm = () => tfl.layers.layerNormalization({ axis: -1, epsilon: LAYER_NORM_EPS });
    this.wte = tfl.layers.embedding({ inputDim: V, outputDim: C, embeddingsInitializer: normal(0.02) });
    this.wpe = tfl.layers.embedding({ inputDim: T, outputDim: C, embeddingsInitializer: normal(0.02) });
    this.blocks = Array.from({ length: L }, () => ({
      ln1: layerNorm(),
      attn: dense(3 * C, 0.02),
      proj: dense(C, residualStd),
      ln2: layerNorm(),
      fc: dense(4 * C, 0.02, 'gelu_new'), // gelu_new: GELU's tanh approximation, as GPT-2
      fcproj: dense(C, residualStd),
    }));
    this.lnf = layerNorm();
    this.causalMask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
    this.optimizer = tf.train.adam(options.lr, options.beta1, options.beta2, options.eps);
    this.maxGradNorm = options.maxGradNorm;
    // Build every layer's weights with one forward on a dummy batch.
    tf.tidy(() => {
      this.logits(tf.zeros([1, 1], 'int32') as Tensor2D);
    });
    const layers: Layer[] = [this.wte, this.wpe, ...this.blocks.flatMap((b) => Object.values(b)), this.lnf];
    this.variables = layers.flatMap((layer) => layer.trainableWeights.map((w) => w.read() as Variable));
  }

  static async create(peer: TfPeer, config: ModelConfig, options: TfGptOptions): Promise<TfGpt> {
    const tfl = await import('@tensorflow/tfjs-layers');
    return new TfGpt(peer, tfl, config, options);
  }

  /** Parameters in the model (the tied head adds none). */
  get parameterCount(): number {
    return this.variables.reduce((sum, v) => sum + v.size, 0);
  }

  upload(batch: Batch): TfBatch {
    const tf = this.tf;
    return tf.tidy(() => ({
      tokens: tf.tensor2d(Int32Array.from(batch.tokens), [batch.B, batch.T], 'int32'),
      targets: tf.oneHot(tf.tensor1d(Int32Array.from(batch.targets), 'int32'), this.config.vocabSize),
    }));
  }

  release(batch: TfBatch): void {
    this.tf.dispose([batch.tokens, batch.targets]);
  }

  /** [B·T, V] logits of tokens [B, T]. */
  private logits(tokens: Tensor2D): Tensor2D {
    const tf = this.tf;
    const [B, T] = tokens.shape;
    const { width: C, heads: H } = this.config;
    const d = C / H;
    const apply = (layer: Layer, x: Tensor) => layer.apply(x) as Tensor;
    const positions = tf.range(0, T, 1, 'int32');
    let x = tf.reshape(tf.add(apply(this.wte, tokens), apply(this.wpe, positions)), [B * T, C]);
    const mask = this.causalMask.shape[0] === T ? this.causalMask : tf.slice(this.causalMask, [0, 0], [T, T]);
    const heads = (t: Tensor) => tf.transpose(tf.reshape(t, [B, T, H, d]), [0, 2, 1, 3]); // [B, H, T, d]
    for (const block of this.blocks) {
      const qkv = apply(block.attn, apply(block.ln1, x));
      const [q, k, v] = tf.split(qkv, 3, 1).map(heads);
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)), mask);
      const y = tf.matMul(tf.softmax(scores), v); // [B, H, T, d]
      const attended = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]);
      x = tf.add(x, apply(block.proj, attended));
      x = tf.add(x, apply(block.fcproj, apply(block.fc, apply(block.ln2, x))));
    }
    const wte = this.wte.trainableWeights[0].read();
    return tf.matMul(apply(this.lnf, x), wte, false, true) as Tensor2D; // head tied to wte
  }

  /**
   * One step: mean cross-entropy, gradients, clipping by global norm, Adam. Records the work;
   * with readLoss waits for it and returns the loss.
   */
  async trainStep(batch: TfBatch, { readLoss = false } = {}): Promise<number | null> {
    const tf = this.tf;
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(batch.targets, this.logits(batch.tokens)) as never,
        this.variables,
      );
      let scaled: NamedTensorMap = grads;
      if (this.maxGradNorm > 0) {
        // Pairwise adds, not tf.addN: its WebGPU kernel binds every input at once
        // (over 16 storage buffers on llvmpipe).
        const norm = tf.sqrt(
          Object.values(grads)
            .map((g) => tf.sum(tf.square(g)))
            .reduce((a, b) => tf.add(a, b)),
        );
        const scale = tf.minimum(1, tf.div(this.maxGradNorm, tf.add(norm, 1e-6)));
        scaled = Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, tf.mul(g, scale)]));
      }
      this.optimizer.applyGradients(Object.entries(scaled).map(([name, tensor]) => ({ name, tensor })));
      return value;
    });
    try {
      return readLoss ? (await loss.data())[0] : null;
    } finally {
      loss.dispose();
    }
  }

  dispose(): void {
    this.optimizer.dispose();
    this.tf.dispose([this.causalMask, ...this.variables]);
  }
}
