// A content-addressed cache for judge replies, so a rerun of an annotation
// costs nothing. The key is the SHA-256 (crypto.subtle: Node, Deno and the
// browser alike) of the canonical JSON of what decides a reply: the prompt,
// the steps' text and the judge's configuration — never its API key.
// Entries live in a Map; an optional store (a JSONL file in Node, see
// judge-cache-file.ts; IndexedDB could serve in the browser) keeps them
// across runs. Only whole, non-abstained judgements belong here: an
// abstention is a failure to retry next time, not an answer to remember.
import type { StepVerdict } from './judge.ts';

/** What the LLM judge remembers for one (prompt, steps, config). */
export interface CachedJudgement {
  /** One verdict per step, every one labelled (0 or 1). */
  verdicts: StepVerdict[];
  /** The model name the server replied with. */
  model: string;
  /** True when the reply came from a simulated judge (see simulated-llm-server.ts). */
  simulated: boolean;
}

/** Where a cache keeps its entries between runs. */
export interface JudgeCacheStore<V = CachedJudgement> {
  /** Every entry stored so far (called once, before the first lookup). */
  load(): Promise<Iterable<readonly [string, V]>>;
  /** Stores one entry; resolves once it is durable. */
  put(key: string, value: V): Promise<void>;
}

/**
 * Canonical JSON: object keys sorted, no whitespace, keys whose value is
 * undefined dropped (as JSON.stringify does), arrays in order. Equal values
 * give equal text whatever order their keys were written in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new Error(`canonicalJson: ${value} has no JSON form.`);
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
      throw new Error(`canonicalJson: a ${typeof value} has no JSON form.`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The SHA-256 of a text (UTF-8), as 64 lowercase hex digits. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The cache key of a value: the SHA-256 of its canonical JSON. */
export function cacheKey(material: unknown): Promise<string> {
  return sha256Hex(canonicalJson(material));
}

export const CACHE_KEY_RE = /^[0-9a-f]{64}$/;

/**
 * Whether a value has the shape of a CachedJudgement with every step labelled
 * (a stored entry is checked before use).
 */
export function isCachedJudgement(value: unknown): value is CachedJudgement {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<CachedJudgement>;
  return (
    typeof v.model === 'string' &&
    typeof v.simulated === 'boolean' &&
    Array.isArray(v.verdicts) &&
    v.verdicts.every((s) => s !== null && typeof s === 'object' && (s.label === 0 || s.label === 1))
  );
}

export interface JudgeCacheStats {
  hits: number;
  misses: number;
  writes: number;
}

export class JudgeCache<V = CachedJudgement> {
  private readonly entries = new Map<string, V>();
  private loading: Promise<void> | null = null;
  readonly stats: JudgeCacheStats = { hits: 0, misses: 0, writes: 0 };

  /**
   * @param store where entries persist between runs (none: this process only).
   * @param accept checks a stored value before it is used (entries that fail are ignored).
   */
  constructor(
    private readonly store: JudgeCacheStore<V> | null = null,
    private readonly accept: (value: unknown) => boolean = () => true,
  ) {}

  private ready(): Promise<void> {
    if (this.loading === null) {
      this.loading = (async () => {
        if (this.store === null) return;
        for (const [key, value] of await this.store.load()) {
          if (CACHE_KEY_RE.test(key) && this.accept(value)) this.entries.set(key, value);
        }
      })();
    }
    return this.loading;
  }

  async get(key: string): Promise<V | undefined> {
    await this.ready();
    const value = this.entries.get(key);
    if (value === undefined) this.stats.misses++;
    else this.stats.hits++;
    return value === undefined ? undefined : structuredClone(value);
  }

  async set(key: string, value: V): Promise<void> {
    await this.ready();
    const copy = structuredClone(value);
    this.entries.set(key, copy);
    this.stats.writes++;
    if (this.store !== null) await this.store.put(key, copy);
  }

  /** How many entries it holds (after loading the store). */
  async size(): Promise<number> {
    await this.ready();
    return this.entries.size;
  }
}
