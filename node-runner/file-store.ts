// The stage library's artifact store over a folder (Node and Deno): each name
// is a file under the folder, written beside its name and renamed over it.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFileBytes, writeFileAtomic } from '../src/checkpoint/files.ts';
import type { ArtifactStore } from '../src/pipeline/store.ts';

export class FolderStore implements ArtifactStore {
  constructor(readonly dir: string) {}

  async read(name: string): Promise<Uint8Array | null> {
    const path = this.locate(name);
    return existsSync(path) ? readFileBytes(path) : null;
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    const path = this.locate(name);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, bytes);
  }

  async remove(name: string): Promise<void> {
    await rm(this.locate(name), { recursive: true, force: true });
  }

  at(prefix: string): ArtifactStore {
    return new FolderStore(join(this.dir, prefix));
  }

  locate(name: string): string {
    return name === '' ? this.dir : join(this.dir, name);
  }
}
