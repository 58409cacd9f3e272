// A judge cache store in a JSONL file (Node and Deno, through node: imports):
// one line per entry, {"key": "<sha-256>", "value": {...}}. Every write
// rewrites the whole file beside its name and renames it over the old one
// (writeFileAtomic), so a crash mid-write leaves the previous file whole.
// Writes are coalesced: puts that arrive while a write is running are saved
// together by the next one. A line that does not parse is skipped on load
// (and dropped at the next write), never fatal.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../checkpoint/files.ts';
import { CACHE_KEY_RE, type JudgeCacheStore } from './judge-cache.ts';

export class JsonlCacheFile<V = unknown> implements JudgeCacheStore<V> {
  private readonly entries = new Map<string, V>();
  private loaded = false;
  /** The write running now, if any. */
  private writing: Promise<void> | null = null;
  /** The write that will save the puts made while `writing` runs. */
  private next: Promise<void> | null = null;

  constructor(readonly path: string) {}

  async load(): Promise<Iterable<readonly [string, V]>> {
    if (!this.loaded) {
      this.loaded = true;
      let text = '';
      try {
        text = await readFile(this.path, 'utf8');
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOENT') throw error;
      }
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          const row = JSON.parse(line) as { key?: unknown; value?: unknown };
          if (typeof row.key === 'string' && CACHE_KEY_RE.test(row.key) && row.value !== undefined) {
            this.entries.set(row.key, row.value as V);
          }
        } catch {
          // A torn or edited line: skipped.
        }
      }
    }
    return [...this.entries];
  }

  async put(key: string, value: V): Promise<void> {
    if (!this.loaded) await this.load();
    this.entries.set(key, value);
    return this.scheduleWrite();
  }

  /** Waits for every write scheduled so far. */
  async flush(): Promise<void> {
    while (this.writing !== null || this.next !== null) await (this.next ?? this.writing);
  }

  private scheduleWrite(): Promise<void> {
    if (this.writing === null) {
      this.writing = this.writeAll().finally(() => {
        this.writing = null;
      });
      return this.writing;
    }
    if (this.next === null) {
      this.next = this.writing
        .catch(() => {})
        .then(() => {
          this.next = null;
          return this.scheduleWrite();
        });
    }
    return this.next;
  }

  private async writeAll(): Promise<void> {
    const text = [...this.entries].map(([key, value]) => `${JSON.stringify({ key, value })}\n`).join('');
    await writeFileAtomic(this.path, new TextEncoder().encode(text));
  }
}
