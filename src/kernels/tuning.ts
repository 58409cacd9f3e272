// Block shapes per adapter family, chosen by measurement (see README, Performance).
// Software adapters run each invocation as one SIMD lane of a CPU thread, so
// speed follows the FMAs per loaded element of a thread's block: large blocks,
// small 1-D workgroups, no workgroup memory.
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

const SOFTWARE: Table = {
  nn: { TM: 16, TN: 32, WG: 16 },
  nt: { TM: 16, TN: 32, WG: 16 },
  tn: { TM: 16, TN: 32, WG: 16 },
};

// A real GPU wants many more threads: small blocks per thread, 64-thread workgroups.
const GPU: Table = {
  nn: { TM: 4, TN: 4, WG: 64 },
  nt: { TM: 4, TN: 4, WG: 64 },
  tn: { TM: 4, TN: 4, WG: 64 },
};

const TABLES: Record<AdapterKind, Table> = {
  gpu: GPU,
  llvmpipe: SOFTWARE,
  lavapipe: SOFTWARE,
  swiftshader: SOFTWARE,
  'unknown-software': SOFTWARE,
};

export function matmulBlock(kind: AdapterKind, form: MatmulForm): MatmulBlock {
  return TABLES[kind][form];
}
