// Work done in chunks, each saved as its own file the moment it is done, so a
// stage killed part-way (even by SIGKILL) redoes only the chunk it was in.
// A key file names the settings the chunks were made with: chunks made with
// other settings are discarded rather than mixed in.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { InterruptFlag } from './interrupt.ts';
import { writeJson } from './run-folder.ts';

export interface ChunkStore<T> {
  /** The saved result of chunk i, if it was done. */
  get(i: number): Promise<T | undefined>;
  put(i: number, value: T): Promise<void>;
  /** Removes the chunk files (once the stage's output is whole). */
  clear(): Promise<void>;
}

export async function chunkStore<T>(dir: string, key: unknown): Promise<ChunkStore<T>> {
  const keyPath = join(dir, 'key.json');
  if (existsSync(keyPath) && JSON.stringify(JSON.parse(await readFile(keyPath, 'utf8'))) !== JSON.stringify(key)) {
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  if (!existsSync(keyPath)) await writeJson(keyPath, key);
  const file = (i: number) => join(dir, `chunk-${String(i).padStart(5, '0')}.json`);
  return {
    async get(i) {
      return existsSync(file(i)) ? (JSON.parse(await readFile(file(i), 'utf8')) as T) : undefined;
    },
    async put(i, value) {
      await writeJson(file(i), value);
    },
    async clear() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `count` chunks through `work`, skipping saved ones; checks for Ctrl-C after each. */
export async function runChunks<T>(
  store: ChunkStore<T>,
  count: number,
  work: (i: number) => Promise<T>,
  {
    interrupt,
    where,
    onChunk,
  }: {
    interrupt: InterruptFlag;
    where: (i: number) => string;
    onChunk?: (i: number, value: T, reused: boolean) => void;
  },
): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i++) {
    let value = await store.get(i);
    const reused = value !== undefined;
    if (value === undefined) {
      value = await work(i);
      await store.put(i, value);
    }
    results.push(value);
    onChunk?.(i, value, reused);
    if (i + 1 < count) interrupt.check(where(i));
  }
  return results;
}
