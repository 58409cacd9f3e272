// Checkpoint files in Node and Deno (through node: imports, which Deno supports).
// A checkpoint is written beside its final name and renamed over it, so a crash or a full disk
// mid-write leaves the previous checkpoint whole rather than a torn file.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import process from 'node:process';

/** Writes `bytes` to `path.tmp-<pid>-<random>`, flushes it to disk, then renames it onto `path`. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const random = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(4)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  const temporary = `${path}.tmp-${process.pid}-${random}`;
  let renamed = false;
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    renamed = true;
    await syncDirectory(dirname(path));
  } finally {
    if (!renamed) await unlink(temporary).catch(() => {});
  }
}

/** The whole file as a Uint8Array. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Makes the rename durable where the platform allows fsync on a directory (not on Windows: skipped). */
async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Directories cannot be opened or synced everywhere; the data itself is already synced.
  } finally {
    await handle?.close().catch(() => {});
  }
}
