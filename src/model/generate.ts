// Batched autoregressive generation on the GPU with a KV cache: each new
// position costs one token's work per sequence, not the whole prefix again.
// Prompts of different lengths run in lockstep: while a row's prompt still
// covers the next position its prompt token is kept (teacher forcing).
import { Arena } from '../gpu/arena.ts';
import { attentionDecode } from '../kernels/attention.ts';
import { add } from '../kernels/elementwise.ts';
import { geluForward } from '../kernels/gelu.ts';
import { layernormForward } from '../kernels/layernorm.ts';
import { matmul } from '../kernels/matmul.ts';
import { sampleNext } from '../kernels/sample.ts';
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

const CHECK_EOS_EVERY = 16;

export async function generate(model: Gpt2, options: GenerateOptions): Promise<Generation> {
  const { config, context } = model;
  const { width: C, heads: H, vocabSize: V, layers: L } = config;
  const B = options.prompts.length;
  if (B === 0) return { tokens: [], logprobs: [], modelLogprobs: [] };
  const lengths = options.prompts.map((p) => p.length);
  if (lengths.some((n) => n < 1)) throw new Error('generate: every prompt needs at least one token.');
  const longest = Math.max(...lengths);
  const maxT = Math.min(config.contextLength, longest + options.maxNewTokens);
  if (longest > maxT)
    throw new Error(`generate: a prompt of ${longest} tokens does not fit the context of ${config.contextLength}.`);

  const layout: Record<string, number> = {
    tokens: B * maxT,
    promptLengths: B,
    logprobs: B * maxT,
    modelLogprobs: B * maxT,
    x: B * C,
    ln: B * C,
    mean: B,
    rstd: B,
    qkv: B * 3 * C,
    q: B * C,
    atty: B * C,
    proj: B * C,
    x2: B * C,
    fch: B * 4 * C,
    fchGelu: B * 4 * C,
    logits: B * V,
  };
  for (let l = 0; l < L; l++) Object.assign(layout, { [`k${l}`]: B * maxT * C, [`v${l}`]: B * maxT * C });
  const arena = new Arena(context, `generation ${B}×${maxT}`, layout);
  try {
    const tokens = new Uint32Array(B * maxT);
    options.prompts.forEach((prompt, b) => {
      for (const t of prompt)
        if (t < 0 || t >= V) throw new Error(`generate: prompt ${b} has token ${t} outside the vocabulary of ${V}.`);
      tokens.set(prompt.slice(0, maxT), b * maxT);
    });
    context.upload(arena.view('tokens'), tokens);
    context.upload(arena.view('promptLengths'), Uint32Array.from(lengths));
    const v = (name: string) => arena.view(name);
    const p = (name: string) => model.params.view(name);
    const rowsUniform = (position: number) => new Uint32Array([B, C, position, maxT]);
    const minLength = Math.min(...lengths);

    for (let position = 0; position + 1 < maxT; position++) {
      const decodeBuffers = {
        tokens: v('tokens'),
        wte: p('wte.weight'),
        wpe: p('wpe.weight'),
        x: v('x'),
        qkv: v('qkv'),
        q: v('q'),
        kCache: v('k0'),
        vCache: v('v0'),
      };
      await context.run({
        kernel: { shader: 'decode', entryPoint: 'embed' },
        buffers: decodeBuffers,
        uniform: rowsUniform(position),
        workgroups: [Math.ceil((B * C) / 64)],
      });
      for (let l = 0; l < L; l++) {
        const n = layerNames(l);
        await layernormForward(context, {
          x: v('x'),
          weight: p(n.ln1w),
          bias: p(n.ln1b),
          out: v('ln'),
          mean: v('mean'),
          rstd: v('rstd'),
          rows: B,
          C,
        });
        await model.linear(v('ln'), p(n.attnW), p(n.attnB), v('qkv'), B, C, 3 * C);
        await context.run({
          kernel: { shader: 'decode', entryPoint: 'kv_write' },
          buffers: { ...decodeBuffers, kCache: v(`k${l}`), vCache: v(`v${l}`) },
          uniform: rowsUniform(position),
          workgroups: [Math.ceil((B * C) / 64)],
        });
        await attentionDecode(context, {
          q: v('q'),
          kCache: v(`k${l}`),
          vCache: v(`v${l}`),
          out: v('atty'),
          B,
          H,
          d: C / H,
          C,
          position,
          maxT,
        });
        await model.linear(v('atty'), p(n.projW), p(n.projB), v('proj'), B, C, C);
        await add(context, B * C, v('x'), v('proj'), v('x2'));
        await layernormForward(context, {
          x: v('x2'),
          weight: p(n.ln2w),
          bias: p(n.ln2b),
          out: v('ln'),
          mean: v('mean'),
          rstd: v('rstd'),
          rows: B,
          C,
        });
        await model.linear(v('ln'), p(n.fcW), p(n.fcB), v('fch'), B, C, 4 * C);
        await geluForward(context, { x: v('fch'), out: v('fchGelu'), n: B * 4 * C });
        await model.linear(v('fchGelu'), p(n.fcprojW), p(n.fcprojB), v('proj'), B, 4 * C, C);
        await add(context, B * C, v('x2'), v('proj'), v('x'));
      }
      await layernormForward(context, {
        x: v('x'),
        weight: p('ln_f.weight'),
        bias: p('ln_f.bias'),
        out: v('ln'),
        mean: v('mean'),
        rstd: v('rstd'),
        rows: B,
        C,
      });
      await matmul(context, { a: v('ln'), b: p('wte.weight'), c: v('logits'), M: B, N: V, K: C, transB: true });
      await sampleNext(context, {
        logits: v('logits'),
        promptLengths: v('promptLengths'),
        tokens: v('tokens'),
        logprobs: v('logprobs'),
        modelLogprobs: v('modelLogprobs'),
        B,
        V,
        position,
        maxT,
        temperature: options.temperature,
        topK: options.topK,
        seed: options.seed,
      });
      // Stop early once every row has produced eos (a read-back every few positions, not every token).
      if (options.eos !== undefined && position + 1 >= minLength && (position + 1) % CHECK_EOS_EVERY === 0) {
        const sofar = await context.readU32(v('tokens'));
        if (options.prompts.every((_, b) => rowHasEos(sofar, b, maxT, lengths[b], position + 2, options.eos!))) break;
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
        if (options.eos !== undefined && allTokens[b * maxT + t] === options.eos) break;
      }
      result.tokens.push(row);
      result.logprobs.push(lp);
      result.modelLogprobs.push(mlp);
    }
    return result;
  } finally {
    arena.destroy();
  }
}

function rowHasEos(
  tokens: Uint32Array,
  b: number,
  maxT: number,
  promptLength: number,
  end: number,
  eos: number,
): boolean {
  for (let t = promptLength; t < Math.min(end, maxT); t++) if (tokens[b * maxT + t] === eos) return true;
  return false;
}
