// The page's run kept in IndexedDB, so a reload mid-run and play resume it from
// its artifacts as the CLI's --resume does. localStorage records which run is
// the page's and the settings it was started with; other settings start anew.
// Without IndexedDB (or with storage blocked) the run lives in memory.
import { haveIndexedDb, IndexedDbStore } from '../../../src/pipeline/browser-store.ts';

const KEY = 'gemstone-run';

interface RecordedRun {
  id: string;
  settings: string;
}

/** The stored run for these settings (a new one if the recorded run had others); undefined: keep it in memory. */
export async function openRunStore(settings: string): Promise<{ store: IndexedDbStore; resumed: boolean } | undefined> {
  if (!haveIndexedDb() || typeof localStorage === 'undefined') return undefined;
  try {
    const recorded = recordedRun();
    if (recorded !== null && recorded.settings !== settings) await forgetRun();
    const id = recorded?.settings === settings ? recorded.id : `run-${Date.now().toString(36)}`;
    localStorage.setItem(KEY, JSON.stringify({ id, settings } satisfies RecordedRun));
    const store = await IndexedDbStore.open(id);
    return { store, resumed: (await store.names()).length > 0 };
  } catch {
    return undefined; // e.g. storage blocked in private browsing: the run lives in memory
  }
}

/** A file of the stored run for these settings, read without claiming the run (null: none, or other settings). */
export async function peekStoredRun(settings: string, name: string): Promise<Uint8Array | null> {
  if (!haveIndexedDb()) return null;
  const recorded = recordedRun();
  if (recorded === null || recorded.settings !== settings) return null;
  try {
    const store = await IndexedDbStore.open(recorded.id);
    try {
      return await store.read(name);
    } finally {
      store.close();
    }
  } catch {
    return null; // storage blocked: nothing to show
  }
}

/** Deletes the page's stored run, if there is one (reset, and a finished run). */
export async function forgetRun(): Promise<void> {
  const recorded = recordedRun();
  if (recorded === null) return;
  localStorage.removeItem(KEY);
  const store = await IndexedDbStore.open(recorded.id);
  try {
    await store.remove('');
  } finally {
    store.close();
  }
}

function recordedRun(): RecordedRun | null {
  if (typeof localStorage === 'undefined') return null;
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? 'null') as RecordedRun | null;
    return typeof value?.id === 'string' && typeof value.settings === 'string' ? value : null;
  } catch {
    return null;
  }
}
