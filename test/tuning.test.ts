// Tuning on the device at hand: the search measures its candidates and keeps the fastest;
// the store keeps one entry per adapter in the cache folder it is given and gives it back;
// an entry it cannot trust is ignored. Runs in a temporary folder, never the user's cache.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuContext } from '../src/gpu/context.ts';
import { defaultTuningStore, tuningKey } from '../src/gpu/tuning-store.ts';
import { applyTuning, MARGIN, readTuningEntry, searchMatmulBlocks } from '../src/kernels/autotune.ts';
import { matmulBlock, matmulCandidates } from '../src/kernels/tuning.ts';

describe('tuning (llvmpipe)', () => {
  let context: GpuContext;
  let folder: string;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe', tuning: 'defaults' });
    folder = mkdtempSync(join(tmpdir(), 'gemstone-tuning-'));
  });
  afterAll(() => {
    context?.destroy();
    rmSync(folder, { recursive: true, force: true });
  });

  const choosesFastestTitle =
    'measures each candidate and chooses the fastest when it beats the default by the margin; ' +
    'unsearched forms keep the defaults';
  it(choosesFastestTitle, async () => {
    const seen: string[] = [];
    const entry = await searchMatmulBlocks(context, (s) => seen.push(`${s.form} ${s.width}`), {
      forms: ['nn'],
      widths: ['narrow'],
    });
    expect(seen).toEqual(['nn narrow']);
    const [search] = entry.searches;
    expect(search.candidates.map((c) => c.block)).toEqual(matmulCandidates(context.report.kind, 'nn', 'narrow'));
    for (const c of search.candidates) expect(c.gflops).toBeGreaterThan(0);
    const fastest = search.candidates.reduce((a, b) => (b.gflops > a.gflops ? b : a));
    const [fallback] = search.candidates;
    expect(entry.matmul.nn.narrow).toEqual(fastest.gflops > MARGIN * fallback.gflops ? fastest.block : fallback.block);
    expect(entry.matmul.nt.wide).toEqual(matmulBlock(context.report.kind, 'nt', Infinity));
    expect(readTuningEntry(entry)).not.toBeNull();
  });

  it('reuses the stored entry for this adapter, and ignores one it cannot trust', async () => {
    const store = await defaultTuningStore(folder);
    expect(store.where).toBe(join(folder, 'tuning.json'));
    const key = await tuningKey(context.report);
    // A stored entry with a block no default has: 'auto' must take it from the store, not search.
    const entry = await searchMatmulBlocks(context, undefined, { forms: [], widths: [] });
    entry.matmul.nn.wide = { TM: 8, TN: 32, WG: 8 };
    await store.save(key, entry);
    expect(JSON.parse(readFileSync(store.where, 'utf8'))[key].matmul.nn.wide).toEqual({ TM: 8, TN: 32, WG: 8 });
    const outcome = await applyTuning(context, 'auto', { store });
    expect(outcome.source).toBe('cache');
    expect(context.matmulTuning?.nn.wide).toEqual({ TM: 8, TN: 32, WG: 8 });
    await applyTuning(context, 'defaults');
    expect(context.matmulTuning).toBeNull();
    // A block the kernels cannot run, or another version's entry, is not used.
    expect(
      readTuningEntry({ ...entry, matmul: { ...entry.matmul, tn: { narrow: { TM: 2, TN: 4, WG: 8 } } } }),
    ).toBeNull();
    expect(readTuningEntry({ ...entry, version: entry.version + 1 })).toBeNull();
    writeFileSync(store.where, 'not json');
    expect(await store.load(key)).toBeNull();
  });
});
