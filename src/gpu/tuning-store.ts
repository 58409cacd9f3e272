// Where measured block shapes are kept between runs, one entry per adapter:
// Node and Deno, a JSON file in the user's cache folder ($XDG_CACHE_HOME or
// ~/.cache, then gemstone/tuning.json); a browser, localStorage. The key names
// the adapter and, where the runtime tells, the CPU (software adapters run on it).
import type { AdapterReport } from './device.ts';
import { detectRuntime, readEnv } from './runtime.ts';

/** Bump when the kernels' block parameters change meaning, or the candidates do: older entries are then ignored.
 * 2: attention tiles and the row kernels' workgroup sizes joined the matmul blocks.
 * 3: the narrow matmul search measures 32×16×8 (instead of 16×8×8). */
export const TUNING_VERSION = 3;

export interface TuningStore {
  /** Where entries are kept, for messages. */
  readonly where: string;
  load(key: string): Promise<unknown | null>;
  save(key: string, entry: unknown): Promise<void>;
}

export async function tuningKey(report: AdapterReport): Promise<string> {
  let cpu = '';
  if (report.runtime !== 'browser') {
    const os = await import('node:os');
    cpu = ` · ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}`;
  }
  return `v${TUNING_VERSION} · ${report.runtime} · ${report.backend} · ${report.adapter}${cpu}`;
}

/** The store this runtime keeps tuning in; `folder` overrides the cache folder (tests). */
export async function defaultTuningStore(folder?: string): Promise<TuningStore> {
  if (detectRuntime() === 'browser') return localStorageStore();
  const path = await import('node:path');
  const os = await import('node:os');
  const dir = folder ?? path.join(readEnv('XDG_CACHE_HOME') || path.join(os.homedir(), '.cache'), 'gemstone');
  return fileStore(path.join(dir, 'tuning.json'));
}

function fileStore(file: string): TuningStore {
  const readAll = async (): Promise<Record<string, unknown>> => {
    const fs = await import('node:fs/promises');
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8'));
      return typeof parsed === 'object' && parsed !== null ? parsed : {};
    } catch {
      return {}; // no cache yet, or one that cannot be read: tune again
    }
  };
  return {
    where: file,
    async load(key) {
      return (await readAll())[key] ?? null;
    },
    async save(key, entry) {
      const fs = await import('node:fs/promises');
      const path = await import('node:path');
      const all = await readAll();
      all[key] = entry;
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Written aside and renamed, so a reader never sees half a file.
      const temporary = `${file}.${Math.random().toString(36).slice(2)}.tmp`;
      await fs.writeFile(temporary, `${JSON.stringify(all, null, 2)}\n`);
      await fs.rename(temporary, file);
    },
  };
}

function localStorageStore(): TuningStore {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  const prefix = 'gemstone.tuning:';
  return {
    where: 'localStorage',
    async load(key) {
      const text = storage?.getItem(prefix + key);
      if (text == null) return null;
      try {
        return JSON.parse(text);
      } catch {
        return null;
      }
    },
    async save(key, entry) {
      storage?.setItem(prefix + key, JSON.stringify(entry));
    },
  };
}
