// GPT-2 on WGSL kernels: parameters, gradients and AdamW moments each in one
// arena; activations for a batch shape in one more. forward() and backward()
// record dispatches only; nothing is read back unless asked.
// Linear layers: y[rows, out] = x[rows, in] · W[in, out] + b (HF Conv1D layout), so
//   forward  y  = x · W            (matmul nn)
//   backward dW += xᵀ · dy          (matmul tn, accumulate)
//            dx  = dy · Wᵀ          (matmul nt)
// The vocabulary is padded on the GPU to Vp, a multiple the fast matmuls take (fastKernelAlignment): wte holds
// Vp − V zero rows past the true ones and the logits Vp columns. The output kernel ignores the padding columns and
// writes them zero gradient, so the padding rows get zero gradient and stay zero under AdamW. Tensors enter and
// leave (loadParameters, readParameters, checkpoints) at the true [V, C].
import { Arena, type ArenaLayout } from '../gpu/arena.ts';
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { attentionBackward, attentionForward } from '../kernels/attention.ts';
import { biasBackward } from '../kernels/bias.ts';
import { add, fill } from '../kernels/elementwise.ts';
import { encoderBackward, encoderForward } from '../kernels/encoder.ts';
import { geluBackward, geluForward } from '../kernels/gelu.ts';
import { layernormBackward, layernormForward } from '../kernels/layernorm.ts';
import { fastKernelAlignment, matmul } from '../kernels/matmul.ts';
import { outputLogprobs } from '../kernels/output.ts';
import { scaleRows } from '../kernels/rows.ts';
import { Random } from '../util/random.ts';
import { elementCount, parameterSpecs, validateConfig, type ModelConfig, type ParameterSpec } from './config.ts';

export interface Batch {
  /** [B·T] input tokens. */
  tokens: Uint32Array;
  /** [B·T] next tokens. */
  targets: Uint32Array;
  /** [B·T] per-token weight c on log π(target): the loss is −Σ c · log π. Zero on padding. */
  coefficients: Float32Array;
  B: number;
  T: number;
}

/** Parameter arena order: decayed tensors first, so AdamW takes two contiguous ranges. */
function arenaOrder(specs: ParameterSpec[]): ParameterSpec[] {
  return [...specs.filter((s) => s.decay), ...specs.filter((s) => !s.decay)];
}

export function layerNames(l: number) {
  const p = `h.${l}.`;
  return {
    ln1w: `${p}ln_1.weight`,
    ln1b: `${p}ln_1.bias`,
    attnW: `${p}attn.c_attn.weight`,
    attnB: `${p}attn.c_attn.bias`,
    projW: `${p}attn.c_proj.weight`,
    projB: `${p}attn.c_proj.bias`,
    ln2w: `${p}ln_2.weight`,
    ln2b: `${p}ln_2.bias`,
    fcW: `${p}mlp.c_fc.weight`,
    fcB: `${p}mlp.c_fc.bias`,
    fcprojW: `${p}mlp.c_proj.weight`,
    fcprojB: `${p}mlp.c_proj.bias`,
  };
}

/** The vocabulary the GPU works with: V rounded up to what every fast matmul form takes. */
export function paddedVocabSize(V: number): number {
  const alignment = fastKernelAlignment();
  return Math.ceil(V / alignment) * alignment;
}

/** What forward saves for backward, per layer and at the top, for B×T tokens (Vp: the padded vocabulary). */
function activationLayout(config: ModelConfig, Vp: number, B: number, T: number): ArenaLayout {
  const { width: C, heads: H } = config;
  const BT = B * T;
  const layout: ArenaLayout = { encoded: BT * C };
  for (let l = 0; l < config.layers; l++) {
    Object.assign(layout, {
      [`${l}.ln1`]: BT * C,
      [`${l}.ln1_mean`]: BT,
      [`${l}.ln1_rstd`]: BT,
      [`${l}.qkv`]: BT * 3 * C,
      [`${l}.atty`]: BT * C,
      [`${l}.att`]: B * H * T * T,
      [`${l}.residual2`]: BT * C,
      [`${l}.ln2`]: BT * C,
      [`${l}.ln2_mean`]: BT,
      [`${l}.ln2_rstd`]: BT,
      [`${l}.fch`]: BT * 4 * C,
      [`${l}.fch_gelu`]: BT * 4 * C,
      [`${l}.residual3`]: BT * C,
    });
  }
  Object.assign(layout, {
    lnf: BT * C,
    lnf_mean: BT,
    lnf_rstd: BT,
    logits: BT * Vp, // overwritten by dlogits in the output kernel
    logprobs: BT,
    tokens: BT,
    targets: BT,
    coefficients: BT,
    // backward scratch, reused layer after layer
    d_residual: BT * C,
    d_small: BT * C,
    d_big1: BT * 4 * C,
    d_big2: BT * 4 * C,
    proj_out: BT * C,
  });
  return layout;
}

export interface Gpt2Options {
  /** Pad the vocabulary on the GPU to what the fast matmuls take (default true; false for comparisons). */
  padVocabulary?: boolean;
}

export class Gpt2 {
  readonly config: ModelConfig;
  /** Vp ≥ V: the logits' row stride and wte's rows on the GPU; rows V … Vp − 1 of wte stay zero. */
  readonly paddedVocab: number;
  readonly specs: ParameterSpec[];
  readonly params: Arena;
  readonly grads: Arena;
  private activations: Arena | null = null;
  private shape: { B: number; T: number } | null = null;
  private lastTokens: Uint32Array | null = null;
  private savedLogits: BufferView | null = null;

  constructor(
    readonly context: GpuContext,
    config: ModelConfig,
    { padVocabulary = true }: Gpt2Options = {},
  ) {
    this.config = validateConfig(config);
    this.paddedVocab = padVocabulary ? paddedVocabSize(config.vocabSize) : config.vocabSize;
    this.specs = arenaOrder(parameterSpecs(config));
    const layout = Object.fromEntries(this.specs.map((s) => [s.name, this.gpuElements(s)]));
    this.params = new Arena(context, 'parameters', layout);
    this.grads = new Arena(context, 'gradients', layout);
  }

  /**
   * GPT-2's initialisation: N(0, 0.02) matrices, residual projections scaled by 1/√(2L), LayerNorm 1 and 0,
   * biases 0.
   */
  initialize(seed: number): void {
    const random = new Random(seed);
    const residualScale = 1 / Math.sqrt(2 * this.config.layers);
    for (const spec of parameterSpecs(this.config)) {
      const data = new Float32Array(elementCount(spec.shape));
      if (spec.name.includes('ln_') && spec.name.endsWith('.weight')) data.fill(1);
      else if (spec.decay) {
        const std = 0.02 * (spec.name.endsWith('c_proj.weight') ? residualScale : 1);
        for (let i = 0; i < data.length; i++) data[i] = std * random.normal();
      }
      this.uploadTensor(this.params, spec.name, data);
    }
  }

  /** Elements of a parameter on the GPU: its own, plus the zero padding rows for wte. */
  private gpuElements(spec: ParameterSpec): number {
    return spec.name === 'wte.weight' ? this.paddedVocab * this.config.width : elementCount(spec.shape);
  }

  /** Uploads a tensor at its true shape into a parameter-shaped arena; wte's padding rows are written zero. */
  uploadTensor(arena: Arena, name: string, data: Float32Array): void {
    const { length } = arena.entry(name);
    if (name !== 'wte.weight' || this.paddedVocab === this.config.vocabSize) {
      arena.upload(name, data);
      return;
    }
    const trueLength = this.config.vocabSize * this.config.width;
    if (data.length !== trueLength)
      throw new Error(`Parameters: "${name}" holds ${data.length} values, expected ${trueLength}.`);
    const padded = new Float32Array(length);
    padded.set(data);
    arena.upload(name, padded);
  }

  loadParameters(parameters: Record<string, Float32Array>): void {
    for (const spec of this.specs) {
      const data = parameters[spec.name];
      if (data === undefined) throw new Error(`Parameters: "${spec.name}" is missing.`);
      this.uploadTensor(this.params, spec.name, data);
    }
  }

  /** Every tensor of a parameter-shaped arena at its true shape (wte without its padding rows). */
  async readParameters(arena: Arena = this.params): Promise<Record<string, Float32Array>> {
    const all = await this.context.read(arena.all());
    const out: Record<string, Float32Array> = {};
    for (const spec of this.specs) {
      const { offset } = arena.entry(spec.name);
      out[spec.name] = all.subarray(offset, offset + elementCount(spec.shape)); // views: no second copy
    }
    return out;
  }

  /** Element ranges [start, end) of the decayed and the non-decayed parameters in every parameter-shaped arena. */
  decayRanges(): { decayed: [number, number]; plain: [number, number] } {
    const firstPlain = this.specs.find((s) => !s.decay)!;
    const split = this.params.entry(firstPlain.name).offset;
    return { decayed: [0, split], plain: [split, this.params.length] };
  }

  private acts(B: number, T: number): Arena {
    if (T > this.config.contextLength)
      throw new Error(`Sequence length ${T} exceeds the context length ${this.config.contextLength}.`);
    if (this.activations === null || this.shape?.B !== B || this.shape?.T !== T) {
      this.activations?.destroy();
      this.activations = new Arena(
        this.context,
        `activations ${B}×${T}`,
        activationLayout(this.config, this.paddedVocab, B, T),
      );
      this.shape = { B, T };
    }
    return this.activations;
  }

  /** The log π(target) of the last forward, [B·T] on the GPU. */
  logprobsView(): BufferView {
    if (this.activations === null) throw new Error('No forward has run yet.');
    return this.activations.view('logprobs');
  }

  /** The logits of the last forward({ keepLogits: true }), [B·T, Vp] (columns past V are padding). */
  savedLogitsView(): BufferView {
    if (this.savedLogits === null) throw new Error('No forward with keepLogits has run yet.');
    return this.savedLogits;
  }

  /** The logits of the last forward({ keepLogits: true }) read back at the true vocabulary, [B·T, V]. */
  async readLogits(): Promise<Float32Array> {
    const padded = await this.context.read(this.savedLogitsView());
    const { vocabSize: V } = this.config;
    const Vp = this.paddedVocab;
    if (Vp === V) return padded;
    const rows = padded.length / Vp;
    const out = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) out.set(padded.subarray(r * Vp, r * Vp + V), r * V);
    return out;
  }

  /** The activations of the last forward (the output kernel leaves dlogits where the logits were). */
  activationArena(): Arena | null {
    return this.activations;
  }

  /**
   * Records the forward pass; log π(target) lands in logprobsView(), dlogits in place of the logits.
   * With keepLogits the logits are first copied aside (savedLogitsView()), for inspection and tests.
   */
  async forward(batch: Batch, { keepLogits = false } = {}): Promise<void> {
    const { B, T } = batch;
    const { width: C, heads: H, vocabSize: V, layers: L } = this.config;
    const rows = B * T;
    for (const [name, data] of [
      ['tokens', batch.tokens],
      ['targets', batch.targets],
      ['coefficients', batch.coefficients],
    ] as const) {
      if (data.length !== rows) throw new Error(`Batch: ${name} has ${data.length} values, expected B·T = ${rows}.`);
    }
    for (let i = 0; i < rows; i++) {
      const token = Math.max(batch.tokens[i], batch.targets[i]);
      if (token >= V) throw new Error(`Batch: token ${token} at position ${i} is outside the vocabulary of ${V}.`);
    }
    const a = this.acts(B, T);
    const p = (name: string) => this.params.view(name);
    const v = (name: string) => a.view(name);
    const ctx = this.context;
    this.context.upload(v('tokens'), batch.tokens);
    this.context.upload(v('targets'), batch.targets);
    this.context.upload(v('coefficients'), batch.coefficients);
    this.lastTokens = batch.tokens;

    await encoderForward(ctx, {
      tokens: v('tokens'),
      wte: p('wte.weight'),
      wpe: p('wpe.weight'),
      out: v('encoded'),
      B,
      T,
      C,
    });
    let residual = v('encoded');
    for (let l = 0; l < L; l++) {
      const n = layerNames(l);
      await layernormForward(ctx, {
        x: residual,
        weight: p(n.ln1w),
        bias: p(n.ln1b),
        out: v(`${l}.ln1`),
        mean: v(`${l}.ln1_mean`),
        rstd: v(`${l}.ln1_rstd`),
        rows,
        C,
      });
      await this.linear(v(`${l}.ln1`), p(n.attnW), p(n.attnB), v(`${l}.qkv`), rows, C, 3 * C);
      await attentionForward(ctx, { qkv: v(`${l}.qkv`), out: v(`${l}.atty`), att: v(`${l}.att`), B, T, C, H });
      await this.linear(v(`${l}.atty`), p(n.projW), p(n.projB), v('proj_out'), rows, C, C);
      await add(ctx, rows * C, residual, v('proj_out'), v(`${l}.residual2`));
      await layernormForward(ctx, {
        x: v(`${l}.residual2`),
        weight: p(n.ln2w),
        bias: p(n.ln2b),
        out: v(`${l}.ln2`),
        mean: v(`${l}.ln2_mean`),
        rstd: v(`${l}.ln2_rstd`),
        rows,
        C,
      });
      await this.linear(v(`${l}.ln2`), p(n.fcW), p(n.fcB), v(`${l}.fch`), rows, C, 4 * C);
      await geluForward(ctx, { x: v(`${l}.fch`), out: v(`${l}.fch_gelu`), n: rows * 4 * C });
      await this.linear(v(`${l}.fch_gelu`), p(n.fcprojW), p(n.fcprojB), v('proj_out'), rows, 4 * C, C);
      await add(ctx, rows * C, v(`${l}.residual2`), v('proj_out'), v(`${l}.residual3`));
      residual = v(`${l}.residual3`);
    }
    await layernormForward(ctx, {
      x: residual,
      weight: p('ln_f.weight'),
      bias: p('ln_f.bias'),
      out: v('lnf'),
      mean: v('lnf_mean'),
      rstd: v('lnf_rstd'),
      rows,
      C,
    });
    // Head tied to the token embedding: logits = lnf · wteᵀ, [rows, Vp] (the padding columns come out 0).
    const Vp = this.paddedVocab;
    await matmul(ctx, { a: v('lnf'), b: p('wte.weight'), c: v('logits'), M: rows, N: Vp, K: C, transB: true });
    if (keepLogits) {
      if (this.savedLogits === null || this.savedLogits.size !== rows * Vp * 4) {
        if (this.savedLogits !== null) ctx.destroyBuffer(this.savedLogits.buffer);
        this.savedLogits = ctx.tensor('saved-logits', rows * Vp);
      }
      await ctx.copy(v('logits'), this.savedLogits);
    }
    await outputLogprobs(ctx, {
      logits: v('logits'),
      targets: v('targets'),
      coefficients: v('coefficients'),
      logprobs: v('logprobs'),
      rows,
      V,
      stride: Vp,
    });
  }

  /** Records the backward pass of the last forward: gradients accumulate (+=) into the gradient arena. */
  async backward(): Promise<void> {
    if (this.activations === null || this.shape === null || this.lastTokens === null)
      throw new Error('backward() needs a forward() first.');
    const { B, T } = this.shape;
    const { width: C, heads: H, layers: L } = this.config;
    const Vp = this.paddedVocab;
    const rows = B * T;
    const a = this.activations;
    const p = (name: string) => this.params.view(name);
    const g = (name: string) => this.grads.view(name);
    const v = (name: string) => a.view(name);
    const sized = (name: string, elements: number): BufferView => ({ ...v(name), size: elements * 4 });
    const ctx = this.context;

    // The output kernel left dlogits where the logits were (zero in the padding columns).
    const dlogits = v('logits');
    await matmul(ctx, {
      a: dlogits,
      b: v('lnf'),
      c: g('wte.weight'),
      M: Vp,
      N: C,
      K: rows,
      transA: true,
      accumulate: true,
    });
    await matmul(ctx, { a: dlogits, b: p('wte.weight'), c: v('d_small'), M: rows, N: C, K: Vp });
    const dx = v('d_residual');
    await fill(ctx, rows * C, 0, dx);
    const lastResidual = L > 0 ? v(`${L - 1}.residual3`) : v('encoded');
    await layernormBackward(ctx, {
      dout: v('d_small'),
      x: lastResidual,
      weight: p('ln_f.weight'),
      mean: v('lnf_mean'),
      rstd: v('lnf_rstd'),
      dx,
      dweight: g('ln_f.weight'),
      dbias: g('ln_f.bias'),
      rows,
      C,
    });

    for (let l = L - 1; l >= 0; l--) {
      const n = layerNames(l);
      const input = l > 0 ? v(`${l - 1}.residual3`) : v('encoded');
      // residual3 = residual2 + c_proj(gelu(c_fc(ln2(residual2))))
      const dfchGelu = v('d_big1');
      await this.linearBackward(
        dx,
        v(`${l}.fch_gelu`),
        p(n.fcprojW),
        g(n.fcprojW),
        g(n.fcprojB),
        dfchGelu,
        rows,
        4 * C,
        C,
      );
      await geluBackward(ctx, { x: v(`${l}.fch`), dout: dfchGelu, dx: v('d_big2'), n: rows * 4 * C });
      await this.linearBackward(v('d_big2'), v(`${l}.ln2`), p(n.fcW), g(n.fcW), g(n.fcB), v('d_small'), rows, C, 4 * C);
      await layernormBackward(ctx, {
        dout: v('d_small'),
        x: v(`${l}.residual2`),
        weight: p(n.ln2w),
        mean: v(`${l}.ln2_mean`),
        rstd: v(`${l}.ln2_rstd`),
        dx,
        dweight: g(n.ln2w),
        dbias: g(n.ln2b),
        rows,
        C,
      });
      // residual2 = input + c_proj(attention(c_attn(ln1(input))))
      await this.linearBackward(dx, v(`${l}.atty`), p(n.projW), g(n.projW), g(n.projB), v('d_small'), rows, C, C);
      const dqkv = sized('d_big1', rows * 3 * C);
      await attentionBackward(ctx, { dout: v('d_small'), qkv: v(`${l}.qkv`), att: v(`${l}.att`), dqkv, B, T, C, H });
      await this.linearBackward(dqkv, v(`${l}.ln1`), p(n.attnW), g(n.attnW), g(n.attnB), v('d_small'), rows, C, 3 * C);
      await layernormBackward(ctx, {
        dout: v('d_small'),
        x: input,
        weight: p(n.ln1w),
        mean: v(`${l}.ln1_mean`),
        rstd: v(`${l}.ln1_rstd`),
        dx,
        dweight: g(n.ln1w),
        dbias: g(n.ln1b),
        rows,
        C,
      });
    }
    await encoderBackward(ctx, {
      dout: dx,
      tokens: v('tokens'),
      tokenIds: this.lastTokens,
      dwte: g('wte.weight'),
      dwpe: g('wpe.weight'),
      B,
      T,
      C,
    });
  }

  /**
   * Multiplies each row of the output gradient by c_r. RL objectives need log π first
   * to compute c: run forward() with c = 1, compute c from logprobsView(), call this, then backward().
   */
  async scaleOutputGradient(coefficients: BufferView): Promise<void> {
    if (this.activations === null || this.shape === null)
      throw new Error('scaleOutputGradient() needs a forward() first.');
    const rows = this.shape.B * this.shape.T;
    await scaleRows(this.context, rows, this.paddedVocab, coefficients, this.activations.view('logits'));
  }

  /** Sets every gradient to zero: one fill over the gradient arena (in pieces past the binding limit). */
  async zeroGradients(): Promise<void> {
    await fill(this.context, this.grads.length, 0, this.grads.all());
  }

  /** y = x · W + b */
  async linear(
    x: BufferView,
    w: BufferView,
    b: BufferView,
    y: BufferView,
    rows: number,
    nIn: number,
    nOut: number,
  ): Promise<void> {
    // The bias rides on the matmul (the same sums as a matmul, then a bias add: one dispatch fewer).
    await matmul(this.context, { a: x, b: w, bias: b, c: y, M: rows, N: nOut, K: nIn });
  }

  /** dW += xᵀ · dy, db += Σ_rows dy, dx = dy · Wᵀ */
  private async linearBackward(
    dy: BufferView,
    x: BufferView,
    w: BufferView,
    dw: BufferView,
    db: BufferView,
    dx: BufferView,
    rows: number,
    nIn: number,
    nOut: number,
  ): Promise<void> {
    await matmul(this.context, { a: x, b: dy, c: dw, M: nIn, N: nOut, K: rows, transA: true, accumulate: true });
    await biasBackward(this.context, { dout: dy, dbias: db, rows, N: nOut });
    await matmul(this.context, { a: dy, b: w, c: dx, M: rows, N: nIn, K: nOut, transB: true });
  }

  destroy(): void {
    this.params.destroy();
    this.grads.destroy();
    this.activations?.destroy();
    if (this.savedLogits !== null) this.context.destroyBuffer(this.savedLogits.buffer);
  }
}
