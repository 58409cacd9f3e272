// The stage library's artifact stores and chunked work: a memory store and a
// run folder hold the same names the same way, and chunked work resumes from
// the chunks saved so far but discards chunks made with other settings.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderStore } from '../node-runner/file-store.ts';
import { runChunks } from '../src/pipeline/chunks.ts';
import { quietHooks } from '../src/pipeline/hooks.ts';
import { MemoryStore, readText, writeText, type ArtifactStore } from '../src/pipeline/store.ts';

const stores: [string, () => ArtifactStore][] = [
  ['memory', () => new MemoryStore()],
  ['folder', () => new FolderStore(mkdtempSync(join(tmpdir(), 'gemstone-store-')))],
];

describe.each(stores)('%s store', (_, make) => {
  it('reads what it wrote, under prefixes, and removes a name with everything below it', async () => {
    const store = make();
    await writeText(store, 'a/b/c.txt', 'one');
    await writeText(store.at('a'), 'd.txt', 'two');
    expect(await readText(store.at('a/b'), 'c.txt')).toBe('one');
    expect(await readText(store, 'a/d.txt')).toBe('two');
    expect(await store.read('missing')).toBeNull();
    await store.remove('a/b');
    expect(await store.read('a/b/c.txt')).toBeNull();
    expect(await readText(store, 'a/d.txt')).toBe('two');
    expect(store.at('x').locate('y.json')).toMatch(/x[/\\]y\.json$/);
  });

  it('chunked work resumes from saved chunks and redoes them when the settings change', async () => {
    const store = make().at('chunks');
    const calls: number[] = [];
    const work = async (i: number) => {
      calls.push(i);
      return { value: i * 10 };
    };
    let stops = 0;
    const stopAfterTwo = {
      ...quietHooks(),
      stopHere: () => {
        if (++stops === 2) throw new Error('stopped');
      },
    };
    await expect(runChunks(store, { seed: 1 }, 4, work, { hooks: stopAfterTwo, where: String })).rejects.toThrow(
      'stopped',
    );
    expect(calls).toEqual([0, 1]);
    const again = await runChunks(store, { seed: 1 }, 4, work, { hooks: quietHooks(), where: String });
    expect(again.map((c) => c.value)).toEqual([0, 10, 20, 30]);
    expect(calls).toEqual([0, 1, 2, 3]);
    await runChunks(store, { seed: 2 }, 4, work, { hooks: quietHooks(), where: String });
    expect(calls).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });
});
