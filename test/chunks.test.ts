// The chunk planner: pieces of a range that each bind at most the limit, at aligned offsets, covering the
// range exactly once.
import { describe, expect, it } from 'vitest';
import { planChunks, unitStep, type ChunkPlan } from '../src/gpu/chunks.ts';
import { Random } from '../src/util/random.ts';

/** What is wrong with a plan's pieces (empty when nothing is). */
function planFaults(plan: ChunkPlan): string[] {
  const pieces = planChunks(plan);
  const faults: string[] = [];
  let next = 0;
  for (const piece of pieces) {
    const at = `piece at ${piece.start}`;
    if (piece.start !== next) faults.push(`${at}: expected to start at ${next}`); // a gap or an overlap
    if (piece.count <= 0) faults.push(`${at}: empty`);
    if (pieces.length > 1) {
      if (piece.count * plan.unitBytes > plan.limitBytes) faults.push(`${at}: over the limit`);
      if ((piece.start * plan.unitBytes) % plan.alignBytes !== 0) faults.push(`${at}: not aligned`);
      if (piece.start % (plan.granule ?? 1) !== 0) faults.push(`${at}: not on the granule`);
    }
    next += piece.count;
  }
  if (next !== plan.units) faults.push(`pieces cover ${next} of ${plan.units} units`);
  return faults;
}

function checkPlan(plan: ChunkPlan): void {
  expect(planFaults(plan), JSON.stringify(plan)).toEqual([]);
}

describe('planChunks', () => {
  it('keeps a range that fits in one piece', () => {
    expect(planChunks({ units: 100, unitBytes: 4, limitBytes: 400, alignBytes: 256 })).toEqual([
      { start: 0, count: 100 },
    ]);
    expect(planChunks({ units: 0, unitBytes: 4, limitBytes: 400, alignBytes: 256 })).toEqual([]);
  });

  it('splits GPT-2 124M’s wte (50304 rows of 768 floats) for llvmpipe’s 128 MiB into two aligned pieces', () => {
    const plan = { units: 50304, unitBytes: 768 * 4, limitBytes: 128 * 2 ** 20, alignBytes: 256 };
    const pieces = planChunks(plan);
    expect(pieces.length).toBe(2);
    expect(pieces[0].count * plan.unitBytes).toBeLessThanOrEqual(plan.limitBytes);
    checkPlan(plan);
  });

  it('starts pieces at aligned offsets: rows whose bytes are not a multiple of the alignment', () => {
    // 12-byte rows, 256-byte alignment: pieces start at multiples of 64 rows.
    expect(unitStep(12, 256)).toBe(64);
    const pieces = planChunks({ units: 1000, unitBytes: 12, limitBytes: 2000, alignBytes: 256 });
    expect(pieces.map((p) => p.start)).toEqual([0, 128, 256, 384, 512, 640, 768, 896]);
    expect(pieces.at(-1)).toEqual({ start: 896, count: 104 });
  });

  it('honours a granule (a kernel’s block) as well as the alignment', () => {
    expect(unitStep(4, 256, 6)).toBe(192);
    checkPlan({ units: 5000, unitBytes: 4, limitBytes: 4096, alignBytes: 256, granule: 6 });
  });

  it('covers random ranges exactly, every piece within the limit', () => {
    const random = new Random(3);
    for (let trial = 0; trial < 200; trial++) {
      const unitBytes = 4 * (1 + Math.floor(random.next() * 300));
      const alignBytes = [4, 16, 64, 256][Math.floor(random.next() * 4)];
      const step = unitStep(unitBytes, alignBytes);
      const limitBytes = step * unitBytes * (1 + Math.floor(random.next() * 5)) + Math.floor(random.next() * 999);
      const units = Math.floor(random.next() * 20000);
      checkPlan({ units, unitBytes, limitBytes, alignBytes });
    }
  });

  it('says so when one aligned piece already exceeds the limit', () => {
    expect(() => planChunks({ units: 1000, unitBytes: 12, limitBytes: 700, alignBytes: 256 })).toThrow(
      /smallest aligned piece\) exceeds the binding limit of 700 bytes/,
    );
  });
});
