// Rollout files in Node and Deno: streamed line by line (files larger than
// memory work), written to a temporary file and renamed when complete.
import { createReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DataError } from './jsonl.ts';
import { parseRolloutLine, type Rollout, type RolloutHeader } from './rollouts.ts';

/**
 * Opens a rollout file: reads and checks its header, then streams the records;
 * the first bad line throws a DataError naming file, line and field.
 */
export async function openRollouts(path: string): Promise<{ header: RolloutHeader; records: AsyncGenerator<Rollout> }> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })[Symbol.asyncIterator]();
  let number = 0;
  let header: RolloutHeader | null = null;
  while (header === null) {
    const next = await lines.next();
    if (next.done) throw new DataError(path, Math.max(number, 1), null, 'empty file: expected a header line');
    number += 1;
    if (next.value.trim() !== '') header = parseRolloutLine(next.value, path, number, null) as RolloutHeader;
  }
  const known = header;
  async function* records(): AsyncGenerator<Rollout> {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      number += 1;
      if (next.value.trim() !== '') yield parseRolloutLine(next.value, path, number, known) as Rollout;
    }
  }
  return { header, records: records() };
}

export async function readRolloutFile(path: string): Promise<{ header: RolloutHeader; rollouts: Rollout[] }> {
  const { header, records } = await openRollouts(path);
  const rollouts: Rollout[] = [];
  for await (const r of records) rollouts.push(r);
  return { header, rollouts };
}

/** Streams records to `path.tmp-…`; commit() renames it into place, abort() removes it. The old file stays until commit. */
export class RolloutWriter {
  private constructor(
    private readonly path: string,
    private readonly temporary: string,
    private readonly file: FileHandle,
  ) {}

  static async create(path: string, header: RolloutHeader): Promise<RolloutWriter> {
    const temporary = `${path}.tmp-${process.pid}-${Math.random().toString(16).slice(2)}`;
    const file = await open(temporary, 'w');
    const writer = new RolloutWriter(path, temporary, file);
    await writer.line(header);
    return writer;
  }

  private async line(value: unknown): Promise<void> {
    await this.file.write(`${JSON.stringify(value)}\n`);
  }

  async write(rollout: Rollout): Promise<void> {
    await this.line(rollout);
  }

  async commit(): Promise<void> {
    await this.file.sync();
    await this.file.close();
    await rename(this.temporary, this.path);
  }

  async abort(): Promise<void> {
    await this.file.close().catch(() => {});
    await rm(this.temporary, { force: true });
  }
}
