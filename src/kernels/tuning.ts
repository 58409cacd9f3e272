// Block shapes per adapter family and output width, chosen by measurement
// (README, Performance; scratch sweeps of TM×TN×WG on llvmpipe and SwiftShader).
// Software adapters run each invocation as one SIMD lane of a CPU thread, so
// speed follows the FMAs per loaded element of a thread's block: large blocks,
// small 1-D workgroups, no workgroup memory. A workgroup spans TN·WG output
// columns; when N is narrow, a narrower block keeps every thread busy.
import type { AdapterKind } from '../gpu/device.ts';

export type MatmulForm = 'nn' | 'nt' | 'tn';

export interface MatmulBlock {
  /** Rows of C per thread. */
  TM: number;
  /** Columns of C per thread (multiple of 4). */
  TN: number;
  /** Threads per workgroup, along N. */
  WG: number;
}

type Table = Record<MatmulForm, MatmulBlock>;

// llvmpipe at 1024²: 34–38% of the FMA peak with these (16×32 beat 8×16 by 1.6×).
const LLVMPIPE_WIDE: Table = {
  nn: { TM: 16, TN: 32, WG: 8 },
  nt: { TM: 32, TN: 32, WG: 8 },
  tn: { TM: 16, TN: 32, WG: 8 },
};
// Outputs narrower than two 256-column workgroups (N = 128, 384 in the small model): 1.5–3× faster.
const LLVMPIPE_NARROW: Table = {
  nn: { TM: 16, TN: 16, WG: 8 },
  nt: { TM: 16, TN: 16, WG: 8 },
  tn: { TM: 16, TN: 16, WG: 8 },
};
// SwiftShader lost with large blocks (0.4 GFLOP/s at 16×32); 8×16 did about twice as well.
const SWIFTSHADER: Table = {
  nn: { TM: 8, TN: 16, WG: 8 },
  nt: { TM: 8, TN: 16, WG: 8 },
  tn: { TM: 8, TN: 16, WG: 8 },
};
// A real GPU wants many more threads: small blocks per thread, 64-thread workgroups (not measured here).
const GPU: Table = {
  nn: { TM: 4, TN: 4, WG: 64 },
  nt: { TM: 4, TN: 4, WG: 64 },
  tn: { TM: 4, TN: 4, WG: 64 },
};

/** Output widths: narrow ones want blocks that keep every thread busy. */
export type WidthClass = 'narrow' | 'wide';
export function widthClass(N: number): WidthClass {
  return N < 512 ? 'narrow' : 'wide';
}

/** Blocks measured on this device (src/kernels/autotune.ts), per form and width class. */
export type MatmulTuning = Record<MatmulForm, Record<WidthClass, MatmulBlock>>;

/**
 * The candidates a search on this kind of adapter measures for one form and width class: the
 * default first, then a few neighbours (few: each is a pipeline, and software adapters crash when
 * one process compiles many). The kernel tests run every one of them.
 */
export function matmulCandidates(kind: AdapterKind, form: MatmulForm, width: WidthClass): MatmulBlock[] {
  const fallback = matmulBlock(kind, form, width === 'narrow' ? 128 : Infinity);
  const others: MatmulBlock[] =
    kind === 'gpu'
      ? [
          { TM: 4, TN: 8, WG: 32 },
          { TM: 8, TN: 8, WG: 16 },
          { TM: 4, TN: 4, WG: 32 },
        ]
      : width === 'narrow'
        ? [
            // 32×16×8 spans 128 columns as the default does, with twice the rows: on the AMD EPYC it beat
            // 16×16×8 at M 2048, N 128, K 512 by 1.25–1.3× in alternating rounds.
            { TM: 32, TN: 16, WG: 8 },
            { TM: 8, TN: 16, WG: 8 },
            { TM: 32, TN: 16, WG: 4 },
          ]
        : [
            { TM: 16, TN: 16, WG: 8 },
            { TM: 32, TN: 32, WG: 8 },
            { TM: 8, TN: 32, WG: 8 },
          ];
  const same = (a: MatmulBlock, b: MatmulBlock) => a.TM === b.TM && a.TN === b.TN && a.WG === b.WG;
  return [fallback, ...others.filter((b) => !same(b, fallback))].slice(0, 4);
}

/** Every block the search may pick on these kinds of adapter (TM and TN multiples of 4), for the kernel tests. */
export function allMatmulCandidates(kinds: AdapterKind[] = ['gpu', 'llvmpipe', 'swiftshader']): MatmulBlock[] {
  const seen = new Map<string, MatmulBlock>();
  for (const kind of kinds)
    for (const form of ['nn', 'nt', 'tn'] as MatmulForm[])
      for (const width of ['narrow', 'wide'] as WidthClass[])
        for (const b of matmulCandidates(kind, form, width)) seen.set(`${b.TM}×${b.TN}×${b.WG}`, b);
  return [...seen.values()];
}

export function matmulBlock(kind: AdapterKind, form: MatmulForm, N = Infinity): MatmulBlock {
  switch (kind) {
    case 'gpu':
      return GPU[form];
    case 'swiftshader':
      return SWIFTSHADER[form];
    default:
      return (N < 512 ? LLVMPIPE_NARROW : LLVMPIPE_WIDE)[form];
  }
}

// ---- attention tiles and row-kernel workgroup sizes ---------------------------------------------

/** The vec4 attention kernels' tile (shaders/attention.wgsl): R rows (queries or keys) per thread, WG threads. */
export interface AttentionTile {
  R: number;
  WG: number;
}

/** Workgroup size the row kernels' WGSL declares; a define is passed only for other sizes (fewer pipelines). */
export const SHADER_WG = 64;

/** The define that sets a kernel's workgroup size: none at the shader's own, so the default keeps one pipeline. */
export function workgroupDefine(WG: number): Record<string, number> {
  return WG === SHADER_WG ? {} : { WG };
}

// Measured on llvmpipe (B=16, T=128): R=8 beat 2, 4 and 16 at d=32 and 4 at d=64.
export function rowsPerThread(d: number): number {
  return d <= 64 ? 8 : d <= 128 ? 4 : 2;
}

export function attentionTile(d: number): AttentionTile {
  return { R: rowsPerThread(d), WG: SHADER_WG };
}

/**
 * Tiles and workgroup sizes measured on this device (src/kernels/autotune.ts). Attention's apply to the
 * head size d they were measured at (other head sizes keep the defaults).
 */
export interface KernelTuning {
  attention: { d: number; forward: AttentionTile; backward: AttentionTile };
  /** attention_decode*.wgsl: a thread per (row, head). */
  decodeWG: number;
  /** layernorm.wgsl: a thread per row (forward, dx) or column (dweight, dbias). */
  layernormWG: number;
  /** softmax.wgsl and output_logprob.wgsl: a workgroup per row, a tree reduction over WG threads. */
  rowsWG: number;
}

/** The head size of the shipped model (assets/pi-ref-small: width 128, 4 heads), which the search measures. */
export const TUNED_HEAD_SIZE = 32;

export function defaultKernelTuning(): KernelTuning {
  const tile = attentionTile(TUNED_HEAD_SIZE);
  return {
    attention: { d: TUNED_HEAD_SIZE, forward: tile, backward: tile },
    decodeWG: SHADER_WG,
    layernormWG: SHADER_WG,
    rowsWG: SHADER_WG,
  };
}

/**
 * Attention tiles a search measures at head size d: the default first, then a few neighbours. Software
 * adapters run a workgroup's threads as SIMD lanes of one CPU thread, so smaller workgroups spread a
 * small dispatch over more cores; a GPU wants more, smaller threads.
 */
export function attentionCandidates(kind: AdapterKind, d: number): AttentionTile[] {
  const fallback = attentionTile(d);
  const others: AttentionTile[] =
    kind === 'gpu'
      ? [
          { R: Math.max(1, Math.floor(fallback.R / 2)), WG: 64 },
          { R: Math.max(1, Math.floor(fallback.R / 4)), WG: 64 },
        ]
      : [
          { R: fallback.R, WG: 32 },
          { R: fallback.R, WG: 16 },
          { R: Math.max(1, Math.floor(fallback.R / 2)), WG: 64 },
        ];
  const same = (a: AttentionTile, b: AttentionTile) => a.R === b.R && a.WG === b.WG;
  return [fallback, ...others.filter((t) => !same(t, fallback))].slice(0, 4);
}

/** Workgroup sizes a search measures for the per-row kernels (powers of two: softmax rows reduce in a tree). */
export function workgroupCandidates(kind: AdapterKind): number[] {
  return kind === 'gpu' ? [SHADER_WG, 32, 128] : [SHADER_WG, 32, 16];
}

/** Every attention tile the search may pick at head size d on these kinds of adapter, for the kernel tests. */
export function allAttentionCandidates(
  d: number,
  kinds: AdapterKind[] = ['gpu', 'llvmpipe', 'swiftshader'],
): AttentionTile[] {
  const seen = new Map<string, AttentionTile>();
  for (const kind of kinds) for (const t of attentionCandidates(kind, d)) seen.set(`${t.R}×${t.WG}`, t);
  return [...seen.values()];
}

/** Every workgroup size the search may pick on these kinds of adapter, for the kernel tests. */
export function allWorkgroupCandidates(kinds: AdapterKind[] = ['gpu', 'llvmpipe', 'swiftshader']): number[] {
  return [...new Set(kinds.flatMap(workgroupCandidates))];
}
