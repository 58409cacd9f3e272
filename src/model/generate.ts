// Batched autoregressive generation on the GPU with a KV cache: each new
// position costs one token's work per sequence, not the whole prefix again.
// Prompts of different lengths run in lockstep: while a row's prompt still
// covers the next position its prompt token is kept (teacher forcing).
// Each position's dispatches go in one submission; bias and residual adds ride
// on the matmuls; rows that have produced eos leave the batch (read back a few
// positions late, so the queue never waits for the check).
import { Arena } from '../gpu/arena.ts';
import { bindingPieces, sliceView } from '../gpu/chunks.ts';
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { attentionDecode } from '../kernels/attention.ts';
import { geluForward } from '../kernels/gelu.ts';
import { layernormForward } from '../kernels/layernorm.ts';
import { matmul } from '../kernels/matmul.ts';
import { sampleNext } from '../kernels/sample.ts';
import type { ModelConfig } from './config.ts';
import { layerNames, type Gpt2 } from './gpt2.ts';

export interface GenerateOptions {
  /** Token ids of each prompt (at least one token each). */
  prompts: number[][];
  /** Tokens to add after the longest prompt, capped by the context length. */
  maxNewTokens: number;
  temperature: number;
  /** 0 keeps every token. */
  topK: number;
  seed: number;
  /** Stop a row at this token (kept in the output). */
  eos?: number;
}

export interface Generation {
  /** The generated tokens of each row, after its prompt (up to and including eos). */
  tokens: number[][];
  /** log π_s of each generated token under the sampling policy (temperature, top-k). */
  logprobs: number[][];
  /** log π of each generated token under the model itself (temperature 1). */
  modelLogprobs: number[][];
}

/** Positions between read-backs of the done flags (each read-back is awaited one round later). */
const CHECK_EOS_EVERY = 8;

/**
 * Rows to generate together when the caller does not say: hundreds on a software adapter (each
 * dispatch's fixed cost is shared by more rows), more on a GPU, within the adapter's binding limit
 * for one layer's key cache.
 */
export function defaultGenerationRows({ context, config }: { context: GpuContext; config: ModelConfig }): number {
  const wanted = context.report.kind === 'gpu' ? 1024 : 256;
  const cacheRowBytes = config.contextLength * config.width * 4;
  const byBinding = Math.floor(context.bindingLimit / cacheRowBytes);
  return Math.max(1, Math.min(wanted, byBinding));
}

export async function generate(model: Gpt2, options: GenerateOptions): Promise<Generation> {
  const { config, context } = model;
  const { width: C, heads: H, vocabSize: V, layers: L } = config;
  const Vp = model.paddedVocab; // logits rows are padded for the fast matmul; sampling reads the first V
  const B = options.prompts.length;
  if (B === 0) return { tokens: [], logprobs: [], modelLogprobs: [] };
  const lengths = options.prompts.map((p) => p.length);
  if (lengths.some((n) => n < 1)) throw new Error('generate: every prompt needs at least one token.');
  const longest = Math.max(...lengths);
  const maxT = Math.min(config.contextLength, longest + options.maxNewTokens);
  if (longest > maxT)
    throw new Error(`generate: a prompt of ${longest} tokens does not fit the context of ${config.contextLength}.`);
  const eos = options.eos;

  // Per-position scratch holds the live rows packed first (row a is sequence rows[a]); the token,
  // log-prob and cache buffers are indexed by sequence. No row's numbers depend on which others are live.
  const layout: Record<string, number> = {
    tokens: B * maxT,
    promptLengths: B,
    rows: B,
    done: B,
    logprobs: B * maxT,
    modelLogprobs: B * maxT,
    x: B * C,
    ln: B * C,
    mean: B,
    rstd: B,
    qkv: B * 3 * C,
    atty: B * C,
    fch: B * 4 * C,
    fchGelu: B * 4 * C,
    logits: B * Vp,
  };
  for (let l = 0; l < L; l++) Object.assign(layout, { [`k${l}`]: B * maxT * C, [`v${l}`]: B * maxT * C });
  const arena = new Arena(context, `generation ${B}×${maxT}`, layout);
  const doneFlags = new DoneFlags(context, arena.view('done'), B);
  try {
    const tokens = new Uint32Array(B * maxT);
    options.prompts.forEach((prompt, b) => {
      for (const t of prompt)
        if (t < 0 || t >= V) throw new Error(`generate: prompt ${b} has token ${t} outside the vocabulary of ${V}.`);
      tokens.set(prompt.slice(0, maxT), b * maxT);
    });
    context.upload(arena.view('tokens'), tokens);
    context.upload(arena.view('promptLengths'), Uint32Array.from(lengths));
    context.upload(arena.view('done'), new Uint32Array(B));
    let live = Array.from({ length: B }, (_, b) => b);
    context.upload(arena.view('rows'), Uint32Array.from(live));
    const v = (name: string) => arena.view(name);
    const p = (name: string) => model.params.view(name);
    const minLength = Math.min(...lengths);

    for (let position = 0; position + 1 < maxT; position++) {
      const A = live.length;
      const uniform = new Uint32Array([A, C, position, maxT, 0, Vp, 0, 0]);
      const decodeBuffers = {
        tokens: v('tokens'),
        wte: p('wte.weight'),
        wpe: p('wpe.weight'),
        x: v('x'),
        qkv: v('qkv'),
        rows: v('rows'),
      };
      // wte in pieces of rows within the binding limit (GPT-2 124M's is 154 MB): each row of x from the one
      // piece that holds its token.
      for (const piece of bindingPieces(context, Vp, C * 4)) {
        await context.run({
          kernel: { shader: 'decode', entryPoint: 'embed' },
          buffers: {
            ...decodeBuffers,
            wte: sliceView(p('wte.weight'), piece, C * 4),
            kCache: v('k0'),
            vCache: v('v0'),
          },
          uniform: new Uint32Array([A, C, position, maxT, piece.start, piece.start + piece.count, 0, 0]),
          workgroups: [Math.ceil((A * C) / 64)],
        });
      }
      for (let l = 0; l < L; l++) {
        const n = layerNames(l);
        const ln = (w: string, b: string) =>
          layernormForward(context, {
            x: v('x'),
            weight: p(w),
            bias: p(b),
            out: v('ln'),
            mean: v('mean'),
            rstd: v('rstd'),
            rows: A,
            C,
          });
        await ln(n.ln1w, n.ln1b);
        await matmul(context, { a: v('ln'), b: p(n.attnW), bias: p(n.attnB), c: v('qkv'), M: A, N: 3 * C, K: C });
        await context.run({
          kernel: { shader: 'decode', entryPoint: 'kv_write' },
          buffers: { ...decodeBuffers, kCache: v(`k${l}`), vCache: v(`v${l}`) },
          uniform,
          workgroups: [Math.ceil((A * C) / 64)],
        });
        await attentionDecode(context, {
          q: v('qkv'),
          qStride: 3 * C,
          rows: v('rows'),
          kCache: v(`k${l}`),
          vCache: v(`v${l}`),
          out: v('atty'),
          B: A,
          H,
          d: C / H,
          C,
          position,
          maxT,
        });
        // The residual adds ride on the projections: x += y·W + b (the same sums as y·W + b, then x + that).
        const residual = { c: v('x'), M: A, accumulate: true };
        await matmul(context, { ...residual, a: v('atty'), b: p(n.projW), bias: p(n.projB), N: C, K: C });
        await ln(n.ln2w, n.ln2b);
        await matmul(context, { a: v('ln'), b: p(n.fcW), bias: p(n.fcB), c: v('fch'), M: A, N: 4 * C, K: C });
        await geluForward(context, { x: v('fch'), out: v('fchGelu'), n: A * 4 * C });
        await matmul(context, { ...residual, a: v('fchGelu'), b: p(n.fcprojW), bias: p(n.fcprojB), N: C, K: 4 * C });
      }
      await layernormForward(context, {
        x: v('x'),
        weight: p('ln_f.weight'),
        bias: p('ln_f.bias'),
        out: v('ln'),
        mean: v('mean'),
        rstd: v('rstd'),
        rows: A,
        C,
      });
      await matmul(context, { a: v('ln'), b: p('wte.weight'), c: v('logits'), M: A, N: Vp, K: C, transB: true });
      await sampleNext(context, {
        logits: v('logits'),
        promptLengths: v('promptLengths'),
        tokens: v('tokens'),
        logprobs: v('logprobs'),
        modelLogprobs: v('modelLogprobs'),
        rows: v('rows'),
        ...(eos === undefined ? {} : { eos, done: v('done') }),
        B: A,
        V,
        stride: Vp,
        position,
        maxT,
        temperature: options.temperature,
        topK: options.topK,
        seed: options.seed,
      });
      context.flush();
      if (eos === undefined || position + 1 < minLength) continue;
      // Finished rows leave the batch: the done flags are copied now and read one round later, so the
      // queue never waits on them. A row is dropped only after its eos, whose tokens are cut anyway.
      if ((position + 1) % CHECK_EOS_EVERY === 0) {
        const flags = await doneFlags.exchange();
        if (flags !== null) {
          const still = live.filter((b) => flags[b] === 0);
          if (still.length === 0) break;
          if (still.length < live.length) {
            live = still;
            context.upload(arena.view('rows'), Uint32Array.from(live));
          }
        }
      }
    }
    const [allTokens, logprobs, modelLogprobs] = [
      await context.readU32(v('tokens')),
      await context.read(v('logprobs')),
      await context.read(v('modelLogprobs')),
    ];
    const result: Generation = { tokens: [], logprobs: [], modelLogprobs: [] };
    for (let b = 0; b < B; b++) {
      const row: number[] = [];
      const lp: number[] = [];
      const mlp: number[] = [];
      for (let t = lengths[b]; t < maxT; t++) {
        row.push(allTokens[b * maxT + t]);
        lp.push(logprobs[b * maxT + t]);
        mlp.push(modelLogprobs[b * maxT + t]);
        if (eos !== undefined && allTokens[b * maxT + t] === eos) break;
      }
      result.tokens.push(row);
      result.logprobs.push(lp);
      result.modelLogprobs.push(mlp);
    }
    return result;
  } finally {
    await doneFlags.settle().catch(() => null); // an earlier error is the one to report
    doneFlags.destroy();
    arena.destroy();
  }
}

/**
 * The done flags read back without stalling: exchange() copies the flags into one staging buffer
 * and hands back the copy made the round before (null the first time), which the GPU has long
 * finished by then.
 */
class DoneFlags {
  private readonly staging: GPUBuffer[];
  private pending: { buffer: GPUBuffer; mapped: Promise<void> } | null = null;
  private next = 0;

  constructor(
    private readonly context: GpuContext,
    private readonly flags: BufferView,
    private readonly B: number,
  ) {
    const make = (i: number) =>
      context.device.createBuffer({
        label: `gemstone.done-flags.${i}`,
        size: Math.ceil((B * 4) / 16) * 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    this.staging = [make(0), make(1)];
  }

  async exchange(): Promise<Uint32Array | null> {
    const previous = await this.settle();
    const buffer = this.staging[this.next];
    this.next = 1 - this.next;
    this.context.flush();
    const encoder = this.context.device.createCommandEncoder({ label: 'gemstone.done-flags' });
    encoder.copyBufferToBuffer(this.flags.buffer, this.flags.offset, buffer, 0, this.B * 4);
    this.context.device.queue.submit([encoder.finish()]);
    this.pending = { buffer, mapped: buffer.mapAsync(GPUMapMode.READ) };
    return previous;
  }

  /** Waits for the copy in flight, if any, and returns its flags. */
  async settle(): Promise<Uint32Array | null> {
    if (this.pending === null) return null;
    const { buffer, mapped } = this.pending;
    this.pending = null;
    await mapped;
    const flags = new Uint32Array(buffer.getMappedRange().slice(0, this.B * 4));
    buffer.unmap();
    return flags;
  }

  destroy(): void {
    for (const buffer of this.staging) buffer.destroy();
  }
}
