// Work done in chunks, each saved as its own artifact the moment it is done, so
// a stage killed part-way (even by SIGKILL) redoes only the chunk it was in. A
// key artifact names the settings the chunks were made with: chunks made with
// other settings are discarded rather than mixed in.
import type { StageHooks } from './hooks.ts';
import { readJsonArtifact, readText, writeJsonArtifact, type ArtifactStore } from './store.ts';

/** Runs `count` chunks through `work` under `store` (a folder of its own), skipping saved ones; may stop after each. */
export async function runChunks<T>(
  store: ArtifactStore,
  key: unknown,
  count: number,
  work: (i: number) => Promise<T>,
  {
    hooks,
    where,
    onChunk,
  }: { hooks: StageHooks; where: (i: number) => string; onChunk?: (i: number, value: T, reused: boolean) => void },
): Promise<T[]> {
  const savedKey = await readJsonArtifact<unknown>(store, 'key.json');
  const same = savedKey !== null && JSON.stringify(savedKey) === JSON.stringify(key);
  if (savedKey !== null && !same) await store.remove('');
  if (!same) await writeJsonArtifact(store, 'key.json', key);
  const name = (i: number) => `chunk-${String(i).padStart(5, '0')}.json`;
  const results: T[] = [];
  for (let i = 0; i < count; i++) {
    await hooks.tick();
    const text = await readText(store, name(i));
    const reused = text !== null;
    const value = reused ? (JSON.parse(text) as T) : await work(i);
    if (!reused) await writeJsonArtifact(store, name(i), value);
    results.push(value);
    onChunk?.(i, value, reused);
    if (i + 1 < count) hooks.stopHere(where(i));
  }
  return results;
}
