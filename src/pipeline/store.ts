// Where a run's artifacts live, as the stage library sees them: named byte
// blobs ("iteration-1/rollouts.jsonl", "iteration-1/policy/resume.safetensors").
// Node and Deno keep them in a run folder (node-runner/file-store.ts), the page
// in memory or browser storage. A write replaces the whole artifact at once
// (the Node store writes beside the name and renames), so a stage killed at any
// moment finds either the old artifact or the new one.

export interface ArtifactStore {
  read(name: string): Promise<Uint8Array | null>;
  /** Replaces the artifact whole. */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** Removes the artifact, or every artifact under `name/`. */
  remove(name: string): Promise<void>;
  /** The same store with every name under `prefix/`. */
  at(prefix: string): ArtifactStore;
  /** Where an artifact lives, for messages and results (a path in a run folder). */
  locate(name: string): string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function readText(store: ArtifactStore, name: string): Promise<string | null> {
  const bytes = await store.read(name);
  return bytes === null ? null : decoder.decode(bytes);
}

export function writeText(store: ArtifactStore, name: string, text: string): Promise<void> {
  return store.write(name, encoder.encode(text));
}

export async function readJsonArtifact<T>(store: ArtifactStore, name: string): Promise<T | null> {
  const text = await readText(store, name);
  return text === null ? null : (JSON.parse(text) as T);
}

export function writeJsonArtifact(store: ArtifactStore, name: string, value: unknown): Promise<void> {
  return writeText(store, name, `${JSON.stringify(value, null, 2)}\n`);
}

/** Joins name parts with '/', skipping empty ones. */
export function joinName(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/** Artifacts in memory: the page's run, and tests. */
export class MemoryStore implements ArtifactStore {
  constructor(
    private readonly files = new Map<string, Uint8Array>(),
    private readonly prefix = '',
  ) {}

  async read(name: string): Promise<Uint8Array | null> {
    return this.files.get(joinName(this.prefix, name)) ?? null;
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    this.files.set(joinName(this.prefix, name), bytes.slice());
  }

  async remove(name: string): Promise<void> {
    const full = joinName(this.prefix, name);
    for (const key of [...this.files.keys()]) if (key === full || key.startsWith(`${full}/`)) this.files.delete(key);
  }

  at(prefix: string): ArtifactStore {
    return new MemoryStore(this.files, joinName(this.prefix, prefix));
  }

  locate(name: string): string {
    return joinName(this.prefix, name);
  }

  /** Every name held (for tests and the page's storage view). */
  names(): string[] {
    return [...this.files.keys()].sort();
  }
}
