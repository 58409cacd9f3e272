// JSONL reading with one clear error per bad line (file, line, field), and
// writing that never leaves a half-written file (see src/checkpoint/files.ts).
import type { z } from 'zod';

export class DataError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly field: string | null,
    detail: string,
  ) {
    super(`${source}:${line}${field ? `: field "${field}"` : ''}: ${detail}`);
    this.name = 'DataError';
  }
}

/** The byte-order mark some editors put before the first line; JSON.parse refuses it, so readers drop it. */
export const BYTE_ORDER_MARK = '\uFEFF';

export function withoutByteOrderMark(text: string): string {
  return text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
}

/** JSON.parse of one line; bad JSON is a DataError naming the line. */
export function parseJsonLine(text: string, source: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataError(source, line, null, `not valid JSON (${(error as Error).message})`);
  }
}

/** The first problem zod found, as a DataError naming the line and field. */
export function schemaError(error: z.ZodError, source: string, line: number, prefix = ''): DataError {
  const issue = error.issues[0];
  return new DataError(source, line, issue.path.length > 0 ? issue.path.join('.') : null, `${prefix}${issue.message}`);
}

/** Parses every non-blank line with the schema; the first bad line throws a DataError. */
export function parseJsonl<T>(text: string, source: string, schema: z.ZodType<T>): T[] {
  const records: T[] = [];
  const lines = withoutByteOrderMark(text).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const parsed = schema.safeParse(parseJsonLine(line, source, i + 1));
    if (!parsed.success) throw schemaError(parsed.error, source, i + 1);
    records.push(parsed.data);
  }
  return records;
}

/** What a file of a header line then records checks across its records (duplicates, group sizes, no records). */
export interface RecordSetCheck<R> {
  record(record: R, line: number): void;
  /** After the last record; `lastLine` is the file's last line number. */
  finish(lastLine: number): void;
}

/** How to read one kind of header-then-records JSONL file. */
export interface JsonlFormat<H, R> {
  parseHeader(text: string, line: number): H;
  parseRecord(text: string, line: number, header: H): R;
  /** Checks across records, made once the header is known. */
  check?(header: H, headerLine: number): RecordSetCheck<R>;
}

/** Reads a whole header-then-records JSONL text (the browser's and the tests' way; Node streams files). */
export function readJsonlText<H, R>(
  text: string,
  source: string,
  format: JsonlFormat<H, R>,
): { header: H; records: R[] } {
  const lines = withoutByteOrderMark(text).split('\n');
  let header: H | null = null;
  let check: RecordSetCheck<R> | undefined;
  const records: R[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (header === null) {
      header = format.parseHeader(line, i + 1);
      check = format.check?.(header, i + 1);
      continue;
    }
    const record = format.parseRecord(line, i + 1, header);
    check?.record(record, i + 1);
    records.push(record);
  }
  if (header === null) throw new DataError(source, 1, null, 'empty file: expected a header line');
  check?.finish(Math.max(lines.length - (lines[lines.length - 1] === '' ? 1 : 0), 1));
  return { header, records };
}

export function toJsonl(records: Iterable<unknown>): string {
  let out = '';
  for (const r of records) out += `${JSON.stringify(r)}\n`;
  return out;
}
