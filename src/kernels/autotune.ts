// Tuning on the device at hand: a short measured search over the matmul block
// shapes (per form and output width class, a few candidates each), kept per
// adapter in a TuningStore and reused. Block shapes never change results: every
// candidate sums each output over K in the same order, so the same inputs give the
// same bits whatever was chosen (the kernel tests check this, candidate by candidate).
import type { GpuContext } from '../gpu/context.ts';
import { defaultTuningStore, tuningKey, TUNING_VERSION, type TuningStore } from '../gpu/tuning-store.ts';
import type { MatmulShape } from '../reference/matmul.ts';
import { Random } from '../util/random.ts';
import { matmul } from './matmul.ts';
import {
  matmulBlock,
  matmulCandidates,
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

export interface TuningEntry {
  version: number;
  measuredAt: string;
  matmul: MatmulTuning;
  searches: TuningSearch[];
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
  return { version: TUNING_VERSION, measuredAt: new Date().toISOString(), matmul: matmulTable, searches };
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

/** A stored entry, if it is one this version wrote and every block in it is well formed. */
export function readTuningEntry(stored: unknown): TuningEntry | null {
  const entry = stored as TuningEntry | null;
  if (entry?.version !== TUNING_VERSION || typeof entry.matmul !== 'object' || entry.matmul === null) return null;
  for (const form of ['nn', 'nt', 'tn'] as MatmulForm[])
    for (const width of ['narrow', 'wide'] as WidthClass[]) if (!isBlock(entry.matmul[form]?.[width])) return null;
  return entry;
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
  options: { store?: TuningStore; onSearch?: (search: TuningSearch) => void; onStart?: (where: string) => void } = {},
): Promise<TuningOutcome> {
  if (mode === 'defaults') {
    context.matmulTuning = null;
    return { source: 'defaults', where: 'src/kernels/tuning.ts', entry: null };
  }
  const store = options.store ?? (await defaultTuningStore());
  const key = await tuningKey(context.report);
  if (mode === 'auto') {
    const cached = readTuningEntry(await store.load(key));
    if (cached !== null) {
      context.matmulTuning = cached.matmul;
      return { source: 'cache', where: store.where, entry: cached };
    }
  }
  context.matmulTuning = null; // measure each candidate as itself
  options.onStart?.(store.where);
  const entry = await searchMatmulBlocks(context, options.onSearch);
  await store.save(key, entry);
  context.matmulTuning = entry.matmul;
  return { source: 'search', where: store.where, entry };
}
