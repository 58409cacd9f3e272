// Causal multi-head self-attention on the GPU (shaders/attention.wgsl,
// shaders/attention_decode.wgsl); CPU twin in src/reference/attention.ts.
// Shapes (row-major, f32): qkv [B, T, 3C] (q | k | v, heads within each), out
// [B, T, C], att [B, H, T, T] (post-softmax, zeros above the diagonal), dqkv
// [B, T, 3C]. Everything is recorded into the context; nothing is read back.
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { grid1d } from './grid.ts';
import { attentionTile, SHADER_WG, workgroupDefine, type AttentionTile } from './tuning.ts';

export interface AttentionShape {
  B: number;
  T: number;
  C: number;
  H: number;
}

function check(what: string, { B, T, C, H }: AttentionShape, views: Record<string, [BufferView, number]>): void {
  for (const [name, value] of Object.entries({ B, T, C, H })) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${what}: ${name} must be a positive integer, got ${value}.`);
  }
  if (C % H !== 0) throw new Error(`${what}: width ${C} is not a multiple of heads ${H}.`);
  for (const [name, [view, elements]] of Object.entries(views)) {
    if (view.size < elements * 4)
      throw new Error(`${what}: ${name} holds ${Math.floor(view.size / 4)} values, needs ${elements}.`);
  }
}

function params({ B, T, C, H }: AttentionShape): Uint32Array {
  return new Uint32Array([B, T, C, H]);
}

function rowGrid(context: GpuContext, rows: number, WG: number): [number, number] {
  return grid1d(Math.ceil(rows / WG), context.device.limits.maxComputeWorkgroupsPerDimension);
}

// Head sizes that are multiples of 4 run the *_vec4 entry points: vec4 rows, R rows per thread in
// workgroups of WG (one pipeline per head size and tile). Others run the scalar ones, one thread per row.
interface Plan {
  kernel(entryPoint: 'forward' | 'backward_query' | 'backward_key'): {
    shader: string;
    entryPoint: string;
    defines?: Record<string, number>;
  };
  workgroups: [number, number];
}

/** The tile for this pass: given, else measured on this device for this head size, else the default. */
function chooseTile(context: GpuContext, d: number, pass: 'forward' | 'backward', tile?: AttentionTile): AttentionTile {
  if (tile !== undefined) return tile;
  const tuned = context.kernelTuning?.attention;
  return tuned !== undefined && tuned.d === d ? tuned[pass] : attentionTile(d);
}

function plan(context: GpuContext, { B, T, C, H }: AttentionShape, tile: AttentionTile): Plan {
  const d = C / H;
  if (d % 4 !== 0) {
    return {
      kernel: (entryPoint) => ({ shader: 'attention', entryPoint }),
      workgroups: rowGrid(context, B * H * T, SHADER_WG),
    };
  }
  const { R, WG } = tile;
  const defines = { D4: d / 4, R, ...workgroupDefine(WG) };
  return {
    kernel: (entryPoint) => ({ shader: 'attention', entryPoint: `${entryPoint}_vec4`, defines }),
    workgroups: rowGrid(context, B * H * Math.ceil(T / R), WG),
  };
}

/** Elements of the scratch buffer attentionBackward needs: the score gradients, [B, H, T, T]. */
export function attentionScratchElements(B: number, T: number, _C: number, H: number): number {
  return B * H * T * T;
}

// One scratch buffer per context and size, made on first use and kept (a few distinct shapes at most).
const scratchCache = new WeakMap<GpuContext, Map<number, BufferView>>();

function cachedScratch(context: GpuContext, elements: number): BufferView {
  let byContext = scratchCache.get(context);
  if (byContext === undefined) {
    byContext = new Map();
    scratchCache.set(context, byContext);
  }
  let view = byContext.get(elements);
  if (view === undefined) {
    const size = elements * 4;
    view = { buffer: context.createBuffer(`attention.scratch[${elements}]`, size), offset: 0, size };
    byContext.set(elements, view);
  }
  return view;
}

/** Frees the buffers attention made for this context: backward's scratch (when no `scratch` was given). */
export function releaseAttentionScratch(context: GpuContext): void {
  context.flush();
  for (const view of scratchCache.get(context)?.values() ?? []) context.destroyBuffer(view.buffer);
  scratchCache.delete(context);
}

export interface AttentionForwardArgs extends AttentionShape {
  /** [B, T, 3C] */
  qkv: BufferView;
  /** [B, T, C], written (=) */
  out: BufferView;
  /** [B, H, T, T], written (=): post-softmax probabilities, zeros above the diagonal */
  att: BufferView;
  /** R and WG of the vec4 kernel (head sizes that are multiples of 4); default: the context's tuning. */
  tile?: AttentionTile;
}

/** out, att = causal attention of qkv (scale 1/√d); att is what backward needs. */
export async function attentionForward(context: GpuContext, args: AttentionForwardArgs): Promise<void> {
  const { qkv, out, att, B, T, C, H } = args;
  check('attentionForward', args, { qkv: [qkv, B * T * 3 * C], out: [out, B * T * C], att: [att, B * H * T * T] });
  const p = plan(context, args, chooseTile(context, C / H, 'forward', args.tile));
  await context.run({
    kernel: p.kernel('forward'),
    // dout and scratch are not used by the forward entry points: the context binds spare slots for them.
    buffers: { qkv, qkv4: qkv, att, out },
    uniform: params(args),
    workgroups: p.workgroups,
  });
}

export interface AttentionBackwardArgs extends AttentionShape {
  /** [B, T, C]: gradient of the loss with respect to the forward's out */
  dout: BufferView;
  /** [B, T, 3C]: the forward's input */
  qkv: BufferView;
  /** [B, H, T, T]: the forward's saved probabilities */
  att: BufferView;
  /** [B, T, 3C], written (=, not +=) */
  dqkv: BufferView;
  /** attentionScratchElements(B, T, C, H) f32 values; if left out, one cached per context and size is used. */
  scratch?: BufferView;
  /** R and WG of the vec4 kernels (head sizes that are multiples of 4); default: the context's tuning. */
  tile?: AttentionTile;
}

/**
 * dqkv = ∂L/∂qkv given dout = ∂L/∂out. Two deterministic passes: one thread per
 * (b, h, query or block of queries) computes the score gradients (into scratch) and dq;
 * then one thread per (b, h, key or block of keys) sums dk and dv over the queries at or after it.
 * dqkv must not overlap dout, qkv or att.
 */
export async function attentionBackward(context: GpuContext, args: AttentionBackwardArgs): Promise<void> {
  const { dout, qkv, att, dqkv, B, T, C, H } = args;
  const scratchElements = attentionScratchElements(B, T, C, H);
  const scratch = args.scratch ?? cachedScratch(context, scratchElements);
  check('attentionBackward', args, {
    dout: [dout, B * T * C],
    qkv: [qkv, B * T * 3 * C],
    att: [att, B * H * T * T],
    dqkv: [dqkv, B * T * 3 * C],
    scratch: [scratch, scratchElements],
  });
  const buffers = { qkv, qkv4: qkv, dout, dout4: dout, att, scratch, out: dqkv };
  const uniform = params(args);
  const p = plan(context, args, chooseTile(context, C / H, 'backward', args.tile));
  await context.run({ kernel: p.kernel('backward_query'), buffers, uniform, workgroups: p.workgroups });
  await context.run({ kernel: p.kernel('backward_key'), buffers, uniform, workgroups: p.workgroups });
}

export interface AttentionDecodeArgs {
  /** [B, qStride]: the new token's query, heads concatenated, in the first C values of each row */
  q: BufferView;
  /** Values from one row of q to the next: C (default), or 3C to read the query in place from qkv. */
  qStride?: number;
  /** [B] u32: row a of q and out is sequence rows[a] of the caches (default: sequence a). */
  rows?: BufferView;
  /** [B, maxT, C]: keys of positions 0 … position already written */
  kCache: BufferView;
  /** [B, maxT, C]: values of positions 0 … position already written */
  vCache: BufferView;
  /** [B, C], written (=); must not overlap q or the caches */
  out: BufferView;
  B: number;
  H: number;
  /** head size, C / H */
  d: number;
  C: number;
  /** the new token's position (0-based); it attends to 0 … position inclusive */
  position: number;
  maxT: number;
  /** Threads per workgroup; default: the context's tuning. */
  WG?: number;
}

/** One sampling step with a KV cache: out = row `position` of causal attention over the cached sequence. */
export async function attentionDecode(context: GpuContext, args: AttentionDecodeArgs): Promise<void> {
  const { q, kCache, vCache, out, B, H, d, C, position, maxT, qStride = C, rows } = args;
  for (const [name, value] of Object.entries({ B, H, d, C, maxT })) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`attentionDecode: ${name} must be a positive integer, got ${value}.`);
  }
  if (d * H !== C) throw new Error(`attentionDecode: d ${d} × H ${H} ≠ C ${C}.`);
  if (!Number.isInteger(qStride) || qStride < C)
    throw new Error(`attentionDecode: qStride ${qStride} is less than C ${C}.`);
  if (!Number.isInteger(position) || position < 0 || position >= maxT)
    throw new Error(`attentionDecode: position ${position} outside the cache of ${maxT}.`);
  const need: Record<string, [BufferView, number]> = {
    q: [q, (B - 1) * qStride + C],
    kCache: [kCache, B * maxT * C],
    vCache: [vCache, B * maxT * C],
    out: [out, B * C],
  };
  for (const [name, [view, elements]] of Object.entries(need)) {
    if (view.size < elements * 4)
      throw new Error(`attentionDecode: ${name} holds ${Math.floor(view.size / 4)} values, needs ${elements}.`);
  }
  if (rows !== undefined && rows.size < B * 4)
    throw new Error(`attentionDecode: rows holds ${Math.floor(rows.size / 4)} values, needs ${B}.`);
  // Head sizes that are multiples of 4 keep q and the output in vec4 registers (one pipeline per head size).
  const vec4 = d % 4 === 0 && qStride % 4 === 0;
  const WG = args.WG ?? context.kernelTuning?.decodeWG ?? SHADER_WG;
  const wg = workgroupDefine(WG);
  await context.run({
    kernel: vec4
      ? { shader: 'attention_decode_vec4', defines: { D4: d / 4, ...wg } }
      : { shader: 'attention_decode', defines: wg },
    // Unmapped, the kernel never reads rows: q fills the binding.
    buffers: { q, kCache, vCache, out, rows: rows ?? q },
    uniform: new Uint32Array([B, H, C, position, maxT, rows === undefined ? 0 : 1, qStride, 0]),
    workgroups: [Math.ceil((B * H) / WG)],
  });
}
