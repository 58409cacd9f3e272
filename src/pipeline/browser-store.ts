// A run's artifacts in the page's IndexedDB, so a reload finds the run where it
// stopped: one object store whose keys are "<run>/<artifact name>". A write puts
// the whole blob in one transaction, so an interrupted write leaves the old
// artifact or the new one, never a part. Only ever constructed in a browser.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { type ArtifactStore, joinName } from './store.ts';

export const RUN_DATABASE = 'gemstone-runs';
const ARTIFACTS = 'artifacts';

interface RunDatabase extends DBSchema {
  [ARTIFACTS]: { key: string; value: Uint8Array };
}

/** Whether this runtime offers IndexedDB (the page falls back to memory when not). */
export function haveIndexedDb(): boolean {
  return typeof indexedDB !== 'undefined';
}

export class IndexedDbStore implements ArtifactStore {
  private constructor(
    private readonly db: IDBPDatabase<RunDatabase>,
    private readonly prefix: string,
  ) {}

  /** The store of run `run` (its artifacts are kept under "<run>/"). */
  static async open(run: string, database = RUN_DATABASE): Promise<IndexedDbStore> {
    if (run === '' || run.includes('/')) throw new Error(`IndexedDB store: "${run}" is not a run id (no slashes).`);
    const db = await openDB<RunDatabase>(database, 1, {
      upgrade(d) {
        d.createObjectStore(ARTIFACTS);
      },
    });
    return new IndexedDbStore(db, run);
  }

  async read(name: string): Promise<Uint8Array | null> {
    const value = await this.db.get(ARTIFACTS, joinName(this.prefix, name));
    return value === undefined ? null : new Uint8Array(value);
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    await this.db.put(ARTIFACTS, bytes.slice(), joinName(this.prefix, name));
  }

  async remove(name: string): Promise<void> {
    const full = joinName(this.prefix, name);
    const transaction = this.db.transaction(ARTIFACTS, 'readwrite');
    await Promise.all([transaction.store.delete(full), transaction.store.delete(under(full)), transaction.done]);
  }

  at(prefix: string): ArtifactStore {
    return new IndexedDbStore(this.db, joinName(this.prefix, prefix));
  }

  locate(name: string): string {
    return `indexeddb:${this.db.name}/${joinName(this.prefix, name)}`;
  }

  /** Every name held under this store's prefix, relative to it (for tests and the page's storage view). */
  async names(): Promise<string[]> {
    const keys = await this.db.getAllKeys(ARTIFACTS, under(this.prefix));
    return keys.map((key) => key.slice(this.prefix.length + 1)).sort();
  }

  /** Closes the database connection (the store is unusable after). */
  close(): void {
    this.db.close();
  }
}

/** The keys that start with `name/`: '0' is the character after '/'. */
function under(name: string): IDBKeyRange {
  return IDBKeyRange.bound(`${name}/`, `${name}0`, false, true);
}
