// A judge cache store in a JSONL file (Node and Deno, through node: imports):
// one line per entry, {"key": "<sha-256>", "value": {...}}. A put appends one
// line, so a run that asks the judge N times writes O(N) bytes, not O(N²).
// Appends go one after another, so lines never interleave. A crash can leave
// a torn last line: on load a line that does not parse is skipped (never
// fatal), and a file with such a line or without a final newline is rewritten
// whole beside its name and renamed over the old one (writeFileAtomic) before
// the next append, so the torn text is never glued to a new line.
import { appendFile, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../checkpoint/files.ts';
import { CACHE_KEY_RE, type JudgeCacheStore } from './judge-cache.ts';

export class JsonlCacheFile<V = unknown> implements JudgeCacheStore<V> {
  private readonly entries = new Map<string, V>();
  private loaded = false;
  /** The file holds a torn or unreadable line, or lacks its final newline: rewrite it before appending. */
  private damaged = false;
  /** The last write scheduled; every write waits for the one before it. */
  private tail: Promise<void> = Promise.resolve();

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
      if (text !== '' && !text.endsWith('\n')) this.damaged = true;
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          const row = JSON.parse(line) as { key?: unknown; value?: unknown };
          if (typeof row.key === 'string' && CACHE_KEY_RE.test(row.key) && row.value !== undefined) {
            this.entries.set(row.key, row.value as V);
            continue;
          }
        } catch {
          // A torn or edited line: skipped, and dropped by the rewrite below.
        }
        this.damaged = true;
      }
    }
    return [...this.entries];
  }

  async put(key: string, value: V): Promise<void> {
    if (!this.loaded) await this.load();
    const line = `${JSON.stringify({ key, value })}\n`;
    if (this.entries.has(key) && `${JSON.stringify({ key, value: this.entries.get(key) })}\n` === line) return;
    this.entries.set(key, value);
    const write = this.tail.catch(() => {}).then(() => this.write(line));
    this.tail = write;
    return write;
  }

  /** Waits for every write scheduled so far. */
  async flush(): Promise<void> {
    await this.tail;
  }

  private async write(line: string): Promise<void> {
    if (!this.damaged) return appendFile(this.path, line);
    // Every entry, this one included: the rewrite replaces the damaged file whole.
    const text = [...this.entries].map(([key, value]) => `${JSON.stringify({ key, value })}\n`).join('');
    await writeFileAtomic(this.path, new TextEncoder().encode(text));
    this.damaged = false;
  }
}
