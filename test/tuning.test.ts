// Tuning on the device at hand: the search measures its candidates and keeps the fastest;
// the store keeps one entry per adapter in the cache folder it is given and gives it back;
// an entry it cannot trust is ignored. Runs in a temporary folder, never the user's cache.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuContext } from '../src/gpu/context.ts';
import { attentionForward } from '../src/kernels/attention.ts';
import { layernormForward } from '../src/kernels/layernorm.ts';
import { defaultTuningStore, tuningKey } from '../src/gpu/tuning-store.ts';
import {
  applyTuning,
  MARGIN,
  readTuningEntry,
  searchKernelTiles,
  searchMatmulBlocks,
} from '../src/kernels/autotune.ts';
import { defaultKernelTuning, matmulBlock, matmulCandidates, workgroupCandidates } from '../src/kernels/tuning.ts';

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

  const kernelSearchTitle =
    'measures the workgroup sizes of layernorm and the loss rows, keeping the default unless one beats it by ' +
    'the margin; unsearched kernels keep the defaults';
  it(kernelSearchTitle, async () => {
    const seen: string[] = [];
    const { tuning, searches } = await searchKernelTiles(context, (s) => seen.push(s.kernel), ['layernorm', 'rows']);
    expect(seen).toEqual(['layernorm', 'rows']);
    const sizes = workgroupCandidates(context.report.kind);
    for (const search of searches) {
      expect(search.candidates.map((c) => c.label)).toEqual(sizes.map(String));
      for (const c of search.candidates) expect(c.ms).toBeGreaterThan(0);
      const fastest = search.candidates.reduce((a, b) => (b.ms < a.ms ? b : a));
      const [fallback] = search.candidates;
      expect(search.chosen).toBe(MARGIN * fastest.ms < fallback.ms ? fastest.label : fallback.label);
    }
    expect(String(tuning.layernormWG)).toBe(searches[0].chosen);
    expect(String(tuning.rowsWG)).toBe(searches[1].chosen);
    const defaults = defaultKernelTuning();
    expect(tuning.attention).toEqual(defaults.attention);
    expect(tuning.decodeWG).toBe(defaults.decodeWG);
    const entry = await searchMatmulBlocks(context, undefined, { forms: [], widths: [] });
    expect(readTuningEntry({ ...entry, kernels: tuning })).not.toBeNull();
  });

  it("the kernels take the context's tuned tiles and workgroup sizes (one the adapter refuses shows it)", async () => {
    const [rows, C] = [4, 8];
    const view = (n: number) => context.tensor('test.view', n);
    const views = { x: view(rows * C), weight: view(C), bias: view(C), out: view(rows * C), mean: view(rows) };
    const rstd = view(rows);
    const qkv = view(3 * 4 * 32);
    const att = view(16);
    const attOut = view(4 * 32);
    const run = {
      layernorm: () => layernormForward(context, { ...views, rstd, rows, C }),
      attention: () => attentionForward(context, { qkv, out: attOut, att, B: 1, T: 4, C: 32, H: 1 }),
    };
    const tooLarge = context.device.limits.maxComputeInvocationsPerWorkgroup * 2;
    const defaults = defaultKernelTuning();
    try {
      for (const [name, tuned] of [
        ['layernorm', { ...defaults, layernormWG: tooLarge }],
        ['attention', { ...defaults, attention: { ...defaults.attention, forward: { R: 8, WG: tooLarge } } }],
      ] as const) {
        context.kernelTuning = tuned;
        await expect(
          run[name]().then(() => context.sync()),
          name,
        ).rejects.toThrow();
        context.kernelTuning = null;
        await run[name]();
        await context.sync();
      }
    } finally {
      context.kernelTuning = null;
      for (const v of [...Object.values(views), rstd, qkv, att, attOut]) context.destroyBuffer(v.buffer);
    }
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
    expect(context.kernelTuning).toEqual(entry.kernels);
    await applyTuning(context, 'defaults');
    expect(context.matmulTuning).toBeNull();
    expect(context.kernelTuning).toBeNull();
    // A block the kernels cannot run, or another version's entry, is not used.
    expect(
      readTuningEntry({ ...entry, matmul: { ...entry.matmul, tn: { narrow: { TM: 2, TN: 4, WG: 8 } } } }),
    ).toBeNull();
    expect(readTuningEntry({ ...entry, version: entry.version + 1 })).toBeNull();
    // Nor one without the attention tiles and workgroup sizes, or with one the kernels cannot run.
    const { kernels } = entry;
    expect(readTuningEntry({ ...entry, kernels: undefined })).toBeNull();
    expect(readTuningEntry({ ...entry, kernels: { ...kernels, rowsWG: 48 } })).toBeNull(); // the tree needs 2^k
    expect(readTuningEntry({ ...entry, kernels: { ...kernels, layernormWG: 512 } })).toBeNull();
    const badTile = { ...kernels.attention, backward: { R: 0, WG: 64 } };
    expect(readTuningEntry({ ...entry, kernels: { ...kernels, attention: badTile } })).toBeNull();
    expect(
      readTuningEntry({ ...entry, kernels: { ...kernels, attention: { ...kernels.attention, d: 6 } } }),
    ).toBeNull();
    writeFileSync(store.where, 'not json');
    expect(await store.load(key)).toBeNull();
  });
});
