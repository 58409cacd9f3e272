// The LLM judge's cache file: a put appends one line; a torn last line (a crash mid-append) is skipped on load and
// the file is rewritten whole before the next append, so no entry is lost or glued to torn text.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlCacheFile } from '../src/judge/judge-cache-file.ts';

const key = (i: number) => i.toString(16).padStart(64, '0');
const dirs: string[] = [];
async function cachePath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gemstone-cache-file-'));
  dirs.push(dir);
  return join(dir, 'llm-cache.jsonl');
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('JsonlCacheFile', () => {
  it('appends one line a new entry and leaves the lines before it as they were', async () => {
    const path = await cachePath();
    const file = new JsonlCacheFile<{ n: number }>(path);
    await file.load();
    await Promise.all([0, 1, 2].map((i) => file.put(key(i), { n: i })));
    const before = await readFile(path, 'utf8');
    await file.put(key(3), { n: 3 });
    await file.put(key(3), { n: 3 }); // the same entry again: nothing written
    const after = await readFile(path, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toBe(`${JSON.stringify({ key: key(3), value: { n: 3 } })}\n`);
    expect([...(await new JsonlCacheFile(path).load())]).toEqual([0, 1, 2, 3].map((i) => [key(i), { n: i }]));
  });

  it('skips a torn last line and rewrites the file whole before the next append', async () => {
    const path = await cachePath();
    const whole = [0, 1].map((i) => JSON.stringify({ key: key(i), value: { n: i } })).join('\n');
    await writeFile(path, `${whole}\n{"key": "${key(2)}", "val`); // a crash mid-append
    const file = new JsonlCacheFile<{ n: number }>(path);
    expect([...(await file.load())].map(([k]) => k)).toEqual([key(0), key(1)]);
    await file.put(key(3), { n: 3 });
    await file.put(key(4), { n: 4 });
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).key)).toEqual([key(0), key(1), key(3), key(4)]);
  });

  it('a later value of a key wins when the file is read again', async () => {
    const path = await cachePath();
    const file = new JsonlCacheFile<{ n: number }>(path);
    await file.put(key(7), { n: 1 });
    await file.put(key(7), { n: 2 });
    await file.flush();
    expect([...(await new JsonlCacheFile(path).load())]).toEqual([[key(7), { n: 2 }]]);
  });
});
