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

/** Parses every non-blank line with the schema; the first bad line throws a DataError. */
export function parseJsonl<T>(text: string, source: string, schema: z.ZodType<T>): T[] {
  const records: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new DataError(source, i + 1, null, `not valid JSON (${(error as Error).message})`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DataError(source, i + 1, issue.path.length > 0 ? issue.path.join('.') : null, issue.message);
    }
    records.push(parsed.data);
  }
  return records;
}

export function toJsonl(records: Iterable<unknown>): string {
  let out = '';
  for (const r of records) out += `${JSON.stringify(r)}\n`;
  return out;
}
