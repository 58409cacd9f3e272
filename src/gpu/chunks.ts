// Splitting a dispatch whose bindings exceed the adapter's binding limit (maxStorageBufferBindingSize, or a
// smaller limit forced on the context) into pieces that each bind at most the limit. Pieces start at offsets
// the adapter can bind at (minStorageBufferOffsetAlignment), so a range of one arena or one huge tensor
// (GPT-2 124M's wte is 154 MB; llvmpipe binds 128 MiB) is covered exactly, piece after piece.
import type { BufferView, GpuContext } from './context.ts';

/** A piece of a range of units (elements or rows): units [start, start + count). */
export interface Piece {
  start: number;
  count: number;
}

export interface ChunkPlan {
  /** Units in the range (elements, rows, …). */
  units: number;
  /** Bytes one unit spans in the binding (an element: 4; a row of C floats: 4·C). */
  unitBytes: number;
  /** The most bytes one piece may bind. */
  limitBytes: number;
  /** Byte alignment of every piece's start relative to the range's start (the range's start is aligned itself). */
  alignBytes: number;
  /** Pieces start at multiples of this many units too (e.g. a kernel's block), default 1. */
  granule?: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/** Units whose bytes are a multiple of alignBytes, and a multiple of granule: the step pieces start at. */
export function unitStep(unitBytes: number, alignBytes: number, granule = 1): number {
  return lcm(alignBytes / gcd(unitBytes, alignBytes), granule);
}

/**
 * Consecutive pieces covering [0, units) exactly: each starts at a multiple of the unit step (so its byte
 * offset is aligned) and binds at most limitBytes; all but the last are the same size. One piece when the
 * range fits. Throws when even one step's worth of units exceeds the limit.
 */
export function planChunks(plan: ChunkPlan): Piece[] {
  const { units, unitBytes, limitBytes, alignBytes } = plan;
  if (units <= 0) return [];
  if (units * unitBytes <= limitBytes) return [{ start: 0, count: units }];
  const step = unitStep(unitBytes, alignBytes, plan.granule);
  const steps = Math.floor(limitBytes / (step * unitBytes));
  if (steps < 1)
    throw new Error(
      `A piece of ${step} units of ${unitBytes} bytes (the smallest aligned piece) exceeds the binding limit of ` +
        `${limitBytes} bytes.`,
    );
  const size = steps * step;
  const pieces: Piece[] = [];
  for (let start = 0; start < units; start += size) pieces.push({ start, count: Math.min(size, units - start) });
  return pieces;
}

/** The part of a view holding units [start, start + count) of unitBytes each (the piece of a plan). */
export function sliceView(view: BufferView, piece: Piece, unitBytes: number): BufferView {
  return { buffer: view.buffer, offset: view.offset + piece.start * unitBytes, size: piece.count * unitBytes };
}

/** planChunks with the context's binding limit and the adapter's storage offset alignment. */
export function bindingPieces(
  context: GpuContext,
  units: number,
  unitBytes: number,
  granule = 1,
  limitBytes = context.bindingLimit,
): Piece[] {
  const alignBytes = context.device.limits.minStorageBufferOffsetAlignment;
  return planChunks({ units, unitBytes, limitBytes, alignBytes, granule });
}
