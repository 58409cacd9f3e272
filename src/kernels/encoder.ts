// Token plus position embedding on the GPU (shaders/encoder.wgsl; twin: src/reference/encoder.ts).
// The backward buckets the batch's positions by token on the CPU (the trainer holds the token
// ids), so a thread a (distinct token, channel) sums its positions: deterministic, no atomics.
import { bindingPieces, sliceView } from '../gpu/chunks.ts';
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from './grid.ts';

const WG = 64;

export interface EncoderForwardArgs {
  tokens: BufferView; // u32 [B·T]
  wte: BufferView; // [V, C]
  wpe: BufferView; // [≥T, C]
  out: BufferView; // [B·T, C]
  B: number;
  T: number;
  C: number;
}

export interface EncoderBackwardArgs {
  dout: BufferView; // [B·T, C]
  tokens: BufferView; // u32 [B·T] on the GPU (taken for symmetry, not read: the buckets carry the ids)
  /** The same batch on the CPU, from which the buckets are built. */
  tokenIds: Uint32Array;
  dwte: BufferView; // [V, C], +=
  dwpe: BufferView; // [≥T, C], +=
  B: number;
  T: number;
  C: number;
}

function need(what: string, view: BufferView, n: number): void {
  if (view.size < n * 4) throw new Error(`encoder: ${what} holds ${Math.floor(view.size / 4)} values, needs ${n}.`);
}

function grid(context: GpuContext, threads: number): [number, number] {
  return grid1d(Math.ceil(threads / WG), context.device.limits.maxComputeWorkgroupsPerDimension);
}

/** Rows first … last − 1 of wte (dwte) are bound: all V, or one piece of a table larger than one binding. */
function params(B: number, T: number, C: number, V: number, D: number, first = 0, last = V): Uint32Array {
  return new Uint32Array([B, T, C, V, D, 0x7fc00000, first, last]); // 0x7fc00000: the bits of a quiet NaN
}

/** out[b, t, :] = wte[tokens[b, t], :] + wpe[t, :]; a token id ≥ V (the rows of wte) gives NaN. */
export async function encoderForward(context: GpuContext, args: EncoderForwardArgs): Promise<void> {
  const { tokens, wte, wpe, out, B, T, C } = args;
  need('tokens', tokens, B * T);
  need('wpe', wpe, T * C);
  need('out', out, B * T * C);
  const V = C > 0 ? Math.floor(wte.size / 4 / C) : 0;
  if (B * T * C === 0) return;
  // Each value is written by the one piece holding its token's row: the same values as one dispatch.
  for (const piece of bindingPieces(context, V, C * 4)) {
    await context.run({
      kernel: { shader: 'encoder', entryPoint: 'forward' },
      buffers: { tokens, wte: sliceView(wte, piece, C * 4), wpe, out },
      uniform: params(B, T, C, V, 0, piece.start, piece.start + piece.count),
      workgroups: grid(context, B * T * C),
    });
  }
}

/**
 * The batch's positions grouped by token: [distinct tokens (D) | starts (D + 1) | positions (B·T)],
 * tokens ascending and each token's positions ascending.
 */
export function bucketTokens(tokenIds: ArrayLike<number>): { words: Uint32Array; distinct: number } {
  const n = tokenIds.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => tokenIds[a] - tokenIds[b] || a - b);
  let distinct = 0;
  for (let k = 0; k < n; k++) if (k === 0 || tokenIds[order[k]] !== tokenIds[order[k - 1]]) distinct++;
  const words = new Uint32Array(2 * distinct + 1 + n);
  let d = -1;
  for (let k = 0; k < n; k++) {
    if (k === 0 || tokenIds[order[k]] !== tokenIds[order[k - 1]]) {
      d++;
      words[d] = tokenIds[order[k]];
      words[distinct + d] = k;
    }
    words[2 * distinct + 1 + k] = order[k];
  }
  words[2 * distinct] = n;
  return { words, distinct };
}

// One upload buffer per context for the buckets, grown when a batch needs more.
const scratch = new WeakMap<GpuContext, { buffer: GPUBuffer; bytes: number }>();

function bucketsView(context: GpuContext, words: Uint32Array): BufferView {
  let held = scratch.get(context);
  if (held === undefined || held.bytes < words.byteLength) {
    if (held !== undefined) {
      context.flush(); // work recorded earlier may still read the old buffer: submitted before it goes
      context.destroyBuffer(held.buffer);
    }
    const bytes = Math.max(256, 2 ** Math.ceil(Math.log2(words.byteLength)));
    held = { buffer: context.createBuffer('gemstone.encoder-buckets', bytes), bytes };
    scratch.set(context, held);
  }
  const view = { buffer: held.buffer, offset: 0, size: words.byteLength };
  // Work recorded earlier may still read the previous buckets: upload() keeps this write after it.
  context.upload(view, words);
  return view;
}

/** dwte[token, :] += Σ dout over the token's positions; dwpe[t, :] += Σ_b dout[b, t, :]. */
export async function encoderBackward(context: GpuContext, args: EncoderBackwardArgs): Promise<void> {
  const { dout, tokenIds, dwte, dwpe, B, T, C } = args;
  if (tokenIds.length !== B * T)
    throw new Error(`encoder backward: tokenIds holds ${tokenIds.length} ids, needs B·T = ${B * T}.`);
  need('dout', dout, B * T * C);
  need('dwpe', dwpe, T * C);
  if (B * T * C === 0) return;
  const V = Math.floor(dwte.size / 4 / C);
  for (let i = 0; i < tokenIds.length; i++) {
    if (tokenIds[i] >= V)
      throw new Error(
        `encoder backward: token id ${tokenIds[i]} at position ${i} is outside the vocabulary (dwte has ${V} rows).`,
      );
  }
  const { words, distinct } = bucketTokens(tokenIds);
  const buckets = bucketsView(context, words);
  // tokens is not read here (the buckets carry the ids); unused bindings get the context's spare slots.
  const shared = { buckets, dout };
  for (const piece of bindingPieces(context, V, C * 4)) {
    await context.run({
      kernel: { shader: 'encoder', entryPoint: 'backward_wte' },
      buffers: { ...shared, out: sliceView(dwte, piece, C * 4) },
      uniform: params(B, T, C, V, distinct, piece.start, piece.start + piece.count),
      workgroups: grid(context, distinct * C),
    });
  }
  await context.run({
    kernel: { shader: 'encoder', entryPoint: 'backward_wpe' },
    buffers: { ...shared, out: dwpe },
    uniform: params(B, T, C, V, distinct),
    workgroups: grid(context, T * C),
  });
}
