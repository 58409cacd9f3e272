// Checkpoint bytes in the browser: kept in the Origin Private File System where the browser offers
// writable OPFS files (large files, written to a swap file and swapped in on close, so a crash leaves
// the old one), else in IndexedDB; and moved in and out of the machine by download and file picker.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

const DATABASE = 'gemstone-checkpoints';
const STORE = 'files';

interface CheckpointDatabase extends DBSchema {
  [STORE]: { key: string; value: Uint8Array };
}

export type BrowserStore = 'opfs' | 'indexeddb';

/** Saves `bytes` under `name`, replacing any earlier save of that name; says where it went. */
export async function saveToBrowser(name: string, bytes: Uint8Array): Promise<BrowserStore> {
  checkName(name);
  const root = await opfsRoot();
  if (root !== undefined) {
    const handle = await root.getFileHandle(name, { create: true });
    if (typeof handle.createWritable === 'function') {
      const writable = await handle.createWritable();
      try {
        await writable.write(bytes as Uint8Array<ArrayBuffer>);
        await writable.close();
      } catch (error) {
        await writable.abort().catch(() => {});
        throw error;
      }
      if (hasIndexedDb()) await withDatabase((db) => db.delete(STORE, name)); // no stale older copy left behind
      return 'opfs';
    }
    await root.removeEntry(name).catch(() => {}); // created above but not writable here (e.g. Safari's main thread)
  }
  await withDatabase((db) => db.put(STORE, new Uint8Array(bytes), name));
  return 'indexeddb';
}

/** The bytes saved under `name`, or undefined when nothing is saved under it. */
export async function loadFromBrowser(name: string): Promise<Uint8Array | undefined> {
  checkName(name);
  const root = await opfsRoot();
  if (root !== undefined) {
    try {
      const file = await (await root.getFileHandle(name)).getFile();
      return new Uint8Array(await file.arrayBuffer());
    } catch (error) {
      if ((error as DOMException).name !== 'NotFoundError') throw error;
    }
  }
  if (root !== undefined && !hasIndexedDb()) return undefined;
  return withDatabase(async (db) => {
    const value = await db.get(STORE, name);
    return value === undefined ? undefined : new Uint8Array(value);
  });
}

/** Removes what is saved under `name` (from both stores); no error when there is nothing. */
export async function removeFromBrowser(name: string): Promise<void> {
  checkName(name);
  const root = await opfsRoot();
  await root?.removeEntry(name).catch((error: DOMException) => {
    if (error.name !== 'NotFoundError') throw error;
  });
  if (hasIndexedDb()) await withDatabase((db) => db.delete(STORE, name));
}

/** Offers `bytes` to the user as a download named `name`. */
export function downloadBytes(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoke after the click has been handled; revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Asks the user for a file; resolves to its name and bytes, or undefined if they cancel. Call from a user gesture. */
export function pickFileBytes(accept = '.safetensors'): Promise<{ name: string; bytes: Uint8Array } | undefined> {
  return new Promise((resolve, reject) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file === undefined) return resolve(undefined);
      file.arrayBuffer().then((buffer) => resolve({ name: file.name, bytes: new Uint8Array(buffer) }), reject);
    });
    input.addEventListener('cancel', () => resolve(undefined));
    input.click();
  });
}

async function opfsRoot(): Promise<FileSystemDirectoryHandle | undefined> {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') return undefined;
  try {
    return await navigator.storage.getDirectory();
  } catch {
    return undefined; // e.g. private browsing: fall back to IndexedDB
  }
}

function hasIndexedDb(): boolean {
  return typeof indexedDB !== 'undefined';
}

async function withDatabase<T>(use: (db: IDBPDatabase<CheckpointDatabase>) => Promise<T>): Promise<T> {
  if (!hasIndexedDb()) throw new Error('Browser storage: this runtime has neither writable OPFS files nor IndexedDB.');
  const db = await openDB<CheckpointDatabase>(DATABASE, 1, {
    upgrade(database) {
      database.createObjectStore(STORE);
    },
  });
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name)) {
    throw new Error(`Browser storage: "${name}" is not a usable name (no slashes, not empty, not "." or "..").`);
  }
}
