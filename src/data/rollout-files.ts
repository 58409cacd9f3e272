// Rollout files in Node and Deno: streamed line by line (files larger than
// memory work), written to a temporary file and renamed when complete.
import { createReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { annotatedFormat, type AnnotatedHeader, type AnnotatedRecord } from './annotated.ts';
import { DataError, type JsonlFormat, withoutByteOrderMark } from './jsonl.ts';
import type { RolloutReadOptions } from './rollout-checks.ts';
import { rolloutFormat, type Rollout, type RolloutHeader } from './rollouts.ts';

/**
 * Opens a JSONL file of a header line then records: checks the header, then
 * streams the records, checking each and, at the end, the set (format.check);
 * the first bad line throws a DataError naming file, line and field.
 */
export async function openJsonl<H, R>(
  path: string,
  format: JsonlFormat<H, R>,
): Promise<{ header: H; records: AsyncGenerator<R> }> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })[
    Symbol.asyncIterator
  ]();
  let number = 0;
  let header: H | null = null;
  while (header === null) {
    const next = await lines.next();
    if (next.done) throw new DataError(path, Math.max(number, 1), null, 'empty file: expected a header line');
    number += 1;
    const text = number === 1 ? withoutByteOrderMark(next.value) : next.value;
    if (text.trim() !== '') header = format.parseHeader(text, number);
  }
  const known = header;
  const check = format.check?.(known, number);
  async function* records(): AsyncGenerator<R> {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      number += 1;
      if (next.value.trim() === '') continue;
      const record = format.parseRecord(next.value, number, known);
      check?.record(record, number);
      yield record;
    }
    check?.finish(number);
  }
  return { header, records: records() };
}

/** Opens a rollout file (see openJsonl and RolloutSetCheck). */
export function openRollouts(
  path: string,
  options: RolloutReadOptions = {},
): Promise<{ header: RolloutHeader; records: AsyncGenerator<Rollout> }> {
  return openJsonl(path, rolloutFormat(path, options));
}

/** Reads and checks a whole rollout file; any problem is a DataError, thrown before the caller writes anything. */
export async function readRolloutFile(
  path: string,
  options: RolloutReadOptions = {},
): Promise<{ header: RolloutHeader; rollouts: Rollout[] }> {
  const { header, records } = await openRollouts(path, options);
  const rollouts: Rollout[] = [];
  for await (const r of records) rollouts.push(r);
  return { header, rollouts };
}

/**
 * Streams a header and records to `path.tmp-…`; commit() renames it into place, abort() removes it.
 * The old file stays until commit.
 */
export class JsonlFileWriter<_Header = RolloutHeader, Item = Rollout> {
  private constructor(
    private readonly path: string,
    private readonly temporary: string,
    private readonly file: FileHandle,
  ) {}

  static async create<H, R>(path: string, header: H): Promise<JsonlFileWriter<H, R>> {
    const temporary = `${path}.tmp-${process.pid}-${Math.random().toString(16).slice(2)}`;
    const file = await open(temporary, 'w');
    const writer = new JsonlFileWriter<H, R>(path, temporary, file);
    await writer.line(header);
    return writer;
  }

  private async line(value: unknown): Promise<void> {
    await this.file.write(`${JSON.stringify(value)}\n`);
  }

  async write(item: Item): Promise<void> {
    await this.line(item);
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

/** The rollout file writer. */
export const RolloutWriter = {
  create: (path: string, header: RolloutHeader) => JsonlFileWriter.create<RolloutHeader, Rollout>(path, header),
};

/** Opens an annotated file (see openJsonl). */
export function openAnnotated(
  path: string,
  options: RolloutReadOptions = {},
): Promise<{ header: AnnotatedHeader; records: AsyncGenerator<AnnotatedRecord> }> {
  return openJsonl(path, annotatedFormat(path, options));
}

export async function readAnnotatedFile(
  path: string,
  options: RolloutReadOptions = {},
): Promise<{ header: AnnotatedHeader; records: AnnotatedRecord[] }> {
  const { header, records } = await openAnnotated(path, options);
  const out: AnnotatedRecord[] = [];
  for await (const r of records) out.push(r);
  return { header, records: out };
}

/** The header line of a JSONL file, parsed as JSON but not checked (to find the task before reading the rest). */
export async function peekHeader(path: string): Promise<Record<string, unknown>> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      try {
        const value = JSON.parse(withoutByteOrderMark(line));
        return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
      } catch {
        return {}; // the reader reports it, with its line
      }
    }
    return {};
  } finally {
    lines.close();
  }
}
