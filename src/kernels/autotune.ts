// Tuning on the device at hand: a short measured search over the matmul block
// shapes (per form and output width class, a few candidates each), the attention
// tiles and the row kernels' workgroup sizes, kept per adapter in a TuningStore and
// reused. Block shapes never change results: every candidate sums each output over K
// in the same order, so the same inputs give the same bits whatever was chosen (the
// kernel tests check this, candidate by candidate). So do layernorm's and attention
// decode's workgroup sizes and attention backward's tiles; attention forward's R (its
// online softmax works in chunks of R keys) and the softmax rows' WG (a tree reduction
// over WG threads) regroup f32 sums, within the kernels' tolerances (tested likewise).
import type { BufferView, GpuContext } from '../gpu/context.ts';
import { defaultTuningStore, tuningKey, TUNING_VERSION, type TuningStore } from '../gpu/tuning-store.ts';
import type { MatmulShape } from '../reference/matmul.ts';
import { Random } from '../util/random.ts';
import { attentionBackward, attentionDecode, attentionForward } from './attention.ts';
import { layernormBackward, layernormForward } from './layernorm.ts';
import { matmul } from './matmul.ts';
import { outputLogprobs } from './output.ts';
import {
  attentionCandidates,
  defaultKernelTuning,
  matmulBlock,
  matmulCandidates,
  TUNED_HEAD_SIZE,
  workgroupCandidates,
  type AttentionTile,
  type KernelTuning,
  type MatmulBlock,
  type MatmulForm,
  type MatmulTuning,
  type WidthClass,
} from './tuning.ts';

export type TuningMode = 'auto' | 'defaults' | 'search';

export interface CandidateTiming {
  block: MatmulBlock;
  gflops: number;
}

export interface TuningSearch {
  form: MatmulForm;
  width: WidthClass;
  shape: MatmulShape;
  candidates: CandidateTiming[];
  chosen: MatmulBlock;
}

/** The kernels whose tile or workgroup size a search measures besides the matmuls. */
export type TunedKernel = 'attention forward' | 'attention backward' | 'attention decode' | 'layernorm' | 'rows';
export const TUNED_KERNELS: TunedKernel[] = [
  'attention forward',
  'attention backward',
  'attention decode',
  'layernorm',
  'rows',
];

export interface KernelSearch {
  kernel: TunedKernel;
  /** The measured shape, in words. */
  shape: string;
  /** Milliseconds per call of each candidate (its label: R×WG for attention tiles, else WG). */
  candidates: { label: string; ms: number }[];
  chosen: string;
}

export interface TuningEntry {
  version: number;
  measuredAt: string;
  matmul: MatmulTuning;
  searches: TuningSearch[];
  kernels: KernelTuning;
  kernelSearches: KernelSearch[];
}

/** How much faster than the default a candidate must measure to replace it. */
export const MARGIN = 1.1;

// Shapes like the shipped model's layers (width 128, 4× MLP, a B16×T128 batch), cut to keep the search short.
const WIDTHS: Record<WidthClass, number> = { narrow: 128, wide: 512 };
function searchShape(form: MatmulForm, width: WidthClass): MatmulShape {
  const N = WIDTHS[width];
  if (form === 'tn') return { M: 256, N, K: 1024, transA: true };
  return { M: 1024, N, K: 256, transB: form === 'nt' };
}

/** Measures every candidate of every form and width class (or `only` those); the fastest of each is chosen
 * when it beats the default by MARGIN. */
export async function searchMatmulBlocks(
  context: GpuContext,
  onSearch?: (search: TuningSearch) => void,
  only: { forms?: MatmulForm[]; widths?: WidthClass[] } = {},
): Promise<TuningEntry> {
  const matmulTable = {} as MatmulTuning;
  const searches: TuningSearch[] = [];
  for (const form of ['nn', 'nt', 'tn'] as MatmulForm[]) {
    matmulTable[form] = {
      narrow: matmulBlock(context.report.kind, form, WIDTHS.narrow),
      wide: matmulBlock(context.report.kind, form, Infinity),
    };
    if (only.forms !== undefined && !only.forms.includes(form)) continue;
    for (const width of ['narrow', 'wide'] as WidthClass[]) {
      if (only.widths !== undefined && !only.widths.includes(width)) continue;
      const shape = searchShape(form, width);
      // Two interleaved rounds, the best of each candidate: load that comes and goes on a shared
      // machine then hurts every candidate alike rather than whichever ran at the time.
      const candidates: CandidateTiming[] = matmulCandidates(context.report.kind, form, width).map((block) => ({
        block,
        gflops: 0,
      }));
      for (let round = 0; round < 2; round++)
        for (const c of candidates) c.gflops = Math.max(c.gflops, await timeMatmul(context, shape, c.block));
      // The default (first) stays unless another is clearly faster: a shared machine's noise alone
      // should not move a block shape.
      const fastest = candidates.reduce((best, c) => (c.gflops > best.gflops ? c : best));
      const chosen = fastest.gflops > MARGIN * candidates[0].gflops ? fastest.block : candidates[0].block;
      matmulTable[form][width] = chosen;
      const search = { form, width, shape, candidates, chosen };
      searches.push(search);
      onSearch?.(search);
    }
  }
  return {
    version: TUNING_VERSION,
    measuredAt: new Date().toISOString(),
    matmul: matmulTable,
    searches,
    kernels: defaultKernelTuning(),
    kernelSearches: [],
  };
}

/** GFLOP/s of one block on one shape: a warm-up call, then a timed batch of ≥ 50 ms. */
async function timeMatmul(context: GpuContext, shape: MatmulShape, block: MatmulBlock): Promise<number> {
  const { M, N, K } = shape;
  const random = new Random(M + N + K);
  const a = context.tensor('tune.a', random.floats(M * K));
  const b = context.tensor('tune.b', random.floats(K * N));
  const c = context.tensor('tune.c', M * N);
  try {
    const call = () => matmul(context, { ...shape, a, b, c, block, kernel: 'fast' });
    await call();
    await context.sync();
    let reps = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < 50) {
      await call();
      await context.sync();
      reps += 1;
      elapsed = performance.now() - start;
    }
    return (2 * M * N * K * reps) / (elapsed / 1000) / 1e9;
  } finally {
    for (const view of [a, b, c]) context.destroyBuffer(view.buffer);
  }
}

function isBlock(x: unknown): x is MatmulBlock {
  const b = x as MatmulBlock;
  return [b?.TM, b?.TN, b?.WG].every((v) => Number.isInteger(v) && v > 0) && b.TN % 4 === 0 && b.TM % 4 === 0;
}

/** A workgroup size every adapter allows (≤ 256 threads); the softmax rows' tree also needs a power of two. */
function isWorkgroup(x: unknown, powerOfTwo = false): boolean {
  const n = x as number;
  return Number.isInteger(n) && n >= 1 && n <= 256 && (!powerOfTwo || (n & (n - 1)) === 0);
}

function isTile(x: unknown): x is AttentionTile {
  const t = x as AttentionTile;
  return Number.isInteger(t?.R) && t.R >= 1 && t.R <= 32 && isWorkgroup(t.WG);
}

function isKernelTuning(x: unknown): x is KernelTuning {
  const k = x as KernelTuning;
  const d = k?.attention?.d;
  return (
    Number.isInteger(d) &&
    d > 0 &&
    d % 4 === 0 &&
    isTile(k.attention.forward) &&
    isTile(k.attention.backward) &&
    isWorkgroup(k.decodeWG) &&
    isWorkgroup(k.layernormWG) &&
    isWorkgroup(k.rowsWG, true)
  );
}

/** A stored entry, if it is one this version wrote and every block, tile and workgroup size in it is well formed. */
export function readTuningEntry(stored: unknown): TuningEntry | null {
  const entry = stored as TuningEntry | null;
  if (entry?.version !== TUNING_VERSION || typeof entry.matmul !== 'object' || entry.matmul === null) return null;
  for (const form of ['nn', 'nt', 'tn'] as MatmulForm[])
    for (const width of ['narrow', 'wide'] as WidthClass[]) if (!isBlock(entry.matmul[form]?.[width])) return null;
  if (!isKernelTuning(entry.kernels)) return null;
  return entry;
}

/** Makes the context use an entry's blocks, tiles and workgroup sizes (null: the defaults). */
export function useTuning(context: GpuContext, entry: TuningEntry | null): void {
  context.matmulTuning = entry?.matmul ?? null;
  context.kernelTuning = entry?.kernels ?? null;
}

export interface TuningOutcome {
  source: 'defaults' | 'cache' | 'search';
  where: string;
  entry: TuningEntry | null;
}

/**
 * Sets the context's block shapes. 'auto': the stored ones for this adapter, else a search whose
 * result is stored; 'search': a new search, stored; 'defaults': the tables in tuning.ts.
 */
export async function applyTuning(
  context: GpuContext,
  mode: TuningMode,
  options: {
    store?: TuningStore;
    onSearch?: (search: TuningSearch) => void;
    onKernelSearch?: (search: KernelSearch) => void;
    onStart?: (where: string) => void;
  } = {},
): Promise<TuningOutcome> {
  if (mode === 'defaults') {
    useTuning(context, null);
    return { source: 'defaults', where: 'src/kernels/tuning.ts', entry: null };
  }
  const store = options.store ?? (await defaultTuningStore());
  const key = await tuningKey(context.report);
  if (mode === 'auto') {
    const cached = readTuningEntry(await store.load(key));
    if (cached !== null) {
      useTuning(context, cached);
      return { source: 'cache', where: store.where, entry: cached };
    }
  }
  useTuning(context, null); // measure each candidate as itself
  options.onStart?.(store.where);
  const entry = await searchMatmulBlocks(context, options.onSearch);
  const kernels = await searchKernelTiles(context, options.onKernelSearch);
  entry.kernels = kernels.tuning;
  entry.kernelSearches = kernels.searches;
  await store.save(key, entry);
  useTuning(context, entry);
  return { source: 'search', where: store.where, entry };
}

// ---- attention tiles and row-kernel workgroup sizes ---------------------------------------------

// The shipped model's shapes (assets/pi-ref-small): width 128, 4 heads (d = 32), V = 39 padded to 40,
// a B16 × T128 batch; decode at a rollout batch of 64 rows, half way through a 128-token cache.
const MODEL = { B: 16, T: 128, C: 128, H: 128 / TUNED_HEAD_SIZE, V: 39, stride: 40 };
const DECODE = { B: 64, maxT: 128, position: 64 };

/**
 * Measures the attention tiles (forward and backward), attention decode's, layernorm's and the softmax
 * rows' workgroup sizes on the model's shapes (or `only` those kernels); each keeps its default unless
 * another candidate is faster by MARGIN.
 */
export async function searchKernelTiles(
  context: GpuContext,
  onSearch?: (search: KernelSearch) => void,
  only?: TunedKernel[],
): Promise<{ tuning: KernelTuning; searches: KernelSearch[] }> {
  const tuning = defaultKernelTuning();
  const searches: KernelSearch[] = [];
  const kind = context.report.kind;
  const wanted = (kernel: TunedKernel) => only === undefined || only.includes(kernel);
  const record = (search: KernelSearch) => {
    searches.push(search);
    onSearch?.(search);
  };
  const { B, T, C, H, V, stride } = MODEL;
  const random = new Random(B + T + C);
  const tensors: BufferView[] = [];
  const tensor = (label: string, data: Float32Array | Uint32Array | number) => {
    const view = context.tensor(`tune.${label}`, data);
    tensors.push(view);
    return view;
  };
  try {
    const tiles = attentionCandidates(kind, TUNED_HEAD_SIZE);
    const tileLabel = (t: AttentionTile) => `${t.R}×${t.WG}`;
    const attentionShape = `B${B}×T${T}, C ${C}, H ${H}`;
    if (wanted('attention forward') || wanted('attention backward')) {
      const qkv = tensor('qkv', random.floats(B * T * 3 * C));
      const out = tensor('out', B * T * C);
      const att = tensor('att', B * H * T * T);
      const dout = tensor('dout', random.floats(B * T * C));
      const dqkv = tensor('dqkv', B * T * 3 * C);
      const forward = (tile: AttentionTile) => attentionForward(context, { qkv, out, att, B, T, C, H, tile });
      if (wanted('attention forward')) {
        const { chosen, search } = await measure('attention forward', attentionShape, tiles, tileLabel, forward);
        tuning.attention.forward = chosen;
        record(search);
      }
      if (wanted('attention backward')) {
        await forward(tuning.attention.forward);
        const backward = (tile: AttentionTile) =>
          attentionBackward(context, { dout, qkv, att, dqkv, B, T, C, H, tile });
        const { chosen, search } = await measure('attention backward', attentionShape, tiles, tileLabel, backward);
        tuning.attention.backward = chosen;
        record(search);
      }
    }
    const sizes = workgroupCandidates(kind);
    if (wanted('attention decode')) {
      const { maxT, position } = DECODE;
      const rows = DECODE.B;
      const q = tensor('decode.q', random.floats(rows * C));
      const kCache = tensor('decode.k', random.floats(rows * maxT * C));
      const vCache = tensor('decode.v', random.floats(rows * maxT * C));
      const out = tensor('decode.out', rows * C);
      const decode = (WG: number) =>
        attentionDecode(context, { q, kCache, vCache, out, B: rows, H, d: C / H, C, position, maxT, WG });
      const shape = `${rows} rows, C ${C}, H ${H}, position ${position} of ${maxT}`;
      const { chosen, search } = await measure('attention decode', shape, sizes, String, decode);
      tuning.decodeWG = chosen;
      record(search);
    }
    const rows = B * T;
    if (wanted('layernorm')) {
      const x = tensor('ln.x', random.floats(rows * C));
      const weight = tensor('ln.weight', random.floats(C));
      const bias = tensor('ln.bias', random.floats(C));
      const out = tensor('ln.out', rows * C);
      const mean = tensor('ln.mean', rows);
      const rstd = tensor('ln.rstd', rows);
      const dout = tensor('ln.dout', random.floats(rows * C));
      const dx = tensor('ln.dx', rows * C);
      const dweight = tensor('ln.dweight', C);
      const dbias = tensor('ln.dbias', C);
      const layernorm = async (WG: number) => {
        await layernormForward(context, { x, weight, bias, out, mean, rstd, rows, C, WG });
        await layernormBackward(context, { dout, x, weight, mean, rstd, dx, dweight, dbias, rows, C, WG });
      };
      const shape = `${rows} rows of ${C}, forward and backward`;
      const { chosen, search } = await measure('layernorm', shape, sizes, String, layernorm);
      tuning.layernormWG = chosen;
      record(search);
    }
    if (wanted('rows')) {
      const logits = tensor('rows.logits', random.floats(rows * stride, -5, 5));
      const targets = tensor(
        'rows.targets',
        Uint32Array.from({ length: rows }, (_, r) => (r * 7) % V),
      );
      const coefficients = tensor('rows.coefficients', new Float32Array(rows).fill(1 / rows));
      const logprobs = tensor('rows.logprobs', rows);
      // The loss rows overwrite their logits with gradients: later calls measure the same work on other values.
      const loss = (WG: number) =>
        outputLogprobs(context, { logits, targets, coefficients, logprobs, rows, V, stride, WG });
      const shape = `loss rows: ${rows} of V ${V} (stride ${stride})`;
      const { chosen, search } = await measure('rows', shape, sizes, String, loss);
      tuning.rowsWG = chosen;
      record(search);
    }
  } finally {
    context.flush();
    for (const view of tensors) context.destroyBuffer(view.buffer);
  }
  return { tuning, searches };

  /** Two interleaved rounds, the best of each candidate; the default (first) stays unless beaten by MARGIN. */
  async function measure<T>(
    kernel: TunedKernel,
    shape: string,
    candidates: T[],
    label: (c: T) => string,
    call: (c: T) => Promise<void>,
  ): Promise<{ chosen: T; search: KernelSearch }> {
    const ms = candidates.map(() => Infinity);
    for (let round = 0; round < 2; round++)
      for (const [i, c] of candidates.entries()) ms[i] = Math.min(ms[i], await timeCall(context, () => call(c)));
    const fastest = ms.indexOf(Math.min(...ms));
    const chosen = MARGIN * ms[fastest] < ms[0] ? fastest : 0;
    const timings = candidates.map((c, i) => ({ label: label(c), ms: ms[i] }));
    return {
      chosen: candidates[chosen],
      search: { kernel, shape, candidates: timings, chosen: label(candidates[chosen]) },
    };
  }
}

/** Milliseconds per call: a warm-up call (it compiles), then batches of calls (sized to ~10 ms) until ≥ 50 ms. */
async function timeCall(context: GpuContext, call: () => Promise<void>): Promise<number> {
  await call();
  await context.sync();
  let start = performance.now();
  await call();
  await context.sync();
  const once = performance.now() - start;
  const batch = Math.max(1, Math.min(64, Math.floor(10 / Math.max(once, 0.01))));
  let calls = 0;
  start = performance.now();
  let elapsed = 0;
  while (elapsed < 50) {
    for (let i = 0; i < batch; i++) await call();
    await context.sync();
    calls += batch;
    elapsed = performance.now() - start;
  }
  return elapsed / calls;
}
