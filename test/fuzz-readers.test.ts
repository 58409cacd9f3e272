// Fuzzing every reader with damaged lines: bytes flipped, fields dropped, types
// swapped, numbers pushed out of range, lines cut. A reader either accepts the
// file or throws the project's own error naming a line of it — never a
// TypeError, a RangeError or a message without a line. Seeded and deterministic.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { annotatedHeaderFrom, parseAnnotatedText } from '../src/data/annotated.ts';
import { DataError } from '../src/data/jsonl.ts';
import { parseRolloutText } from '../src/data/rollouts.ts';
import { readPromptCompletions } from '../src/data/sft-data.ts';
import { CharTokenizer } from '../src/data/tokenizer.ts';
import { annotateRollout } from '../src/judge/annotate.ts';
import { OracleJudge } from '../src/judge/oracle-judge.ts';
import { RuleJudge } from '../src/judge/rule-judge.ts';
import { defaultSegmenter } from '../src/segment/index.ts';
import { arithmetic } from '../src/tasks/arithmetic.ts';
import { ConfigError, parseConfigText, resolveOptions } from '../node-runner/config.ts';
import type { OptionSpec } from '../node-runner/spec.ts';
import { rolloutText, validRollouts } from './util/rollout-data.ts';

/** Mutated lines per reader. */
const LINES_PER_READER = 10_000;

/** mulberry32: a small seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_CHARS = [
  '"',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\\',
  '0',
  '9',
  '-',
  'e',
  ' ',
  '\u0000',
  '\uFEFF',
  'é',
  '😀',
  'x',
];
const ODD_VALUES: unknown[] = [null, true, 'x', '', 0, -1, 1.5, [], {}, [1, 2], { a: 1 }, 'NaN'];
const OUT_OF_RANGE = ['-1', '1e999', '-1e999', '1.5', '9007199254740993', '1e308', '-0', '5', '4294967296', '-2.5e-7'];

/** Every [container, key] inside a JSON value, so a mutation can reach any depth. */
function slots(value: unknown, out: [Record<string | number, unknown>, string | number][] = []) {
  if (value !== null && typeof value === 'object')
    for (const key of Object.keys(value)) {
      const k = Array.isArray(value) ? Number(key) : key;
      out.push([value as Record<string | number, unknown>, k]);
      slots((value as Record<string | number, unknown>)[k], out);
    }
  return out;
}

type Mutation = (line: string, next: () => number) => string;
const pick = <T>(items: readonly T[], next: () => number): T => items[Math.floor(next() * items.length)];

const MUTATIONS: Record<string, Mutation> = {
  'byte flipped': (line, next) => {
    const at = Math.floor(next() * line.length);
    return line.slice(0, at) + pick(ODD_CHARS, next) + line.slice(at + 1);
  },
  'line cut': (line, next) => line.slice(0, Math.floor(next() * line.length)),
  'field dropped': (line, next) => {
    const value = JSON.parse(line);
    const all = slots(value);
    if (all.length === 0) return line;
    const [container, key] = pick(all, next);
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key];
    return JSON.stringify(value);
  },
  'type swapped': (line, next) => {
    const value = JSON.parse(line);
    const all = slots(value);
    if (all.length === 0) return JSON.stringify(pick(ODD_VALUES, next));
    const [container, key] = pick(all, next);
    container[key] = pick(ODD_VALUES, next);
    return JSON.stringify(value);
  },
  'number out of range': (line, next) => {
    const numbers = [...line.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/g)];
    if (numbers.length === 0) return line;
    const m = pick(numbers, next);
    return line.slice(0, m.index) + pick(OUT_OF_RANGE, next) + line.slice(m.index + m[0].length);
  },
};

interface Reader {
  /** Whole-file lines (JSONL: one record a line; config: the pretty-printed object). */
  lines: string[];
  read(text: string, source: string): void;
  /** The project's error for this reader. */
  errorClass: new (
    ...args: never[]
  ) => Error;
  /** Which line numbers do not depend on a JSON line being whole (config lines are parts of one object). */
  jsonLines: boolean;
}

async function annotatedLines(): Promise<string[]> {
  const { header, rollouts } = validRollouts(2, 2);
  const tokenizer = CharTokenizer.fromJSON(header.tokenizer);
  const segmenter = defaultSegmenter(arithmetic);
  const judges = [new OracleJudge(arithmetic), new RuleJudge({ task: arithmetic })];
  const records: unknown[] = [];
  for (const r of rollouts) {
    const problem = arithmetic.generate(Number(r.prompt_id.split('-').at(-1)), 1);
    records.push({ ...r, ...(await annotateRollout(r, problem, tokenizer, segmenter, judges, 'and')) });
  }
  const annotated = annotatedHeaderFrom(header, {
    voters: ['oracle', 'rule'],
    consensus: 'and',
    segmenter: 'default',
    oracle: true,
    simulated: [],
  });
  return [annotated, ...records].map((r) => JSON.stringify(r));
}

const CONFIG_SPECS: OptionSpec[] = [
  { key: 'judges', help: '', kind: { type: 'list', choices: ['oracle', 'rule', 'llm', 'prm'] } },
  { key: 'consensus', help: '', kind: { type: 'choice', choices: ['and', 'or', 'majority'] } },
  { key: 'workers', help: '', kind: { type: 'int', min: 1 } },
  { key: 'llmNoise', help: '', kind: { type: 'number', min: 0, max: 1 } },
  { key: 'llmUrl', help: '', kind: { type: 'url' } },
  { key: 'stepwise', help: '', kind: { type: 'boolean' } },
  { key: 'llmModel', help: '', kind: { type: 'string' } },
];

async function readers(): Promise<Record<string, Reader>> {
  const { header, rollouts } = validRollouts(2, 2);
  const sft = readFileSync(new URL('../examples/arithmetic-sft.jsonl', import.meta.url), 'utf8').split('\n');
  const config = {
    judges: 'oracle,rule',
    consensus: 'and',
    workers: 2,
    'llm-noise': 0.1,
    llmUrl: 'http://localhost:1/v1',
    stepwise: true,
    llmModel: 'm',
  };
  return {
    rollouts: {
      lines: rolloutText(header, rollouts).trimEnd().split('\n'),
      read: (text, source) => parseRolloutText(text, source),
      errorClass: DataError,
      jsonLines: true,
    },
    annotated: {
      lines: await annotatedLines(),
      read: (text, source) => parseAnnotatedText(text, source),
      errorClass: DataError,
      jsonLines: true,
    },
    'SFT data': {
      lines: sft.slice(0, 6),
      read: (text, source) => readPromptCompletions(text, source),
      errorClass: DataError,
      jsonLines: true,
    },
    config: {
      lines: JSON.stringify(config, null, 2).split('\n'),
      read: (text, source) => {
        const { values } = parseConfigText(text, source, CONFIG_SPECS, 'annotate');
        resolveOptions(CONFIG_SPECS, values, 'software');
      },
      errorClass: ConfigError,
      jsonLines: false,
    },
  };
}

const READERS = await readers();

describe('fuzzing the readers', () => {
  for (const [name, reader] of Object.entries(READERS)) {
    it(`${name}: ${LINES_PER_READER} damaged lines give the project's error naming a line, or are accepted`, () => {
      const source = `/data/${name.replace(' ', '-')}.jsonl`;
      expect(() => reader.read(reader.lines.join('\n'), source)).not.toThrow();
      const next = random(0x5eed + name.length);
      const names = Object.keys(MUTATIONS);
      const seen = { accepted: 0, refused: 0 };
      for (let i = 0; i < LINES_PER_READER; i++) {
        const at = Math.floor(next() * reader.lines.length);
        const kind = names[i % names.length];
        let mutated: string;
        try {
          mutated = MUTATIONS[kind](reader.lines[at], next);
        } catch {
          mutated = MUTATIONS['byte flipped'](reader.lines[at], next); // a config line alone is not JSON
        }
        const lines = reader.lines.slice();
        lines[at] = mutated;
        try {
          reader.read(lines.join('\n'), source);
          seen.accepted += 1;
        } catch (error) {
          seen.refused += 1;
          const where = `${kind} on line ${at + 1}: ${JSON.stringify(mutated).slice(0, 200)}`;
          expect(error, where).toBeInstanceOf(reader.errorClass);
          const message = (error as Error).message;
          // Names the file and a line of it.
          const named = [...message.matchAll(new RegExp(`${source.replace(/[.]/g, '\\.')}:(\\d+)`, 'g'))];
          expect(named.length, `${where}\n${message}`).toBeGreaterThan(0);
          for (const m of named) expect(Number(m[1]), `${where}\n${message}`).toBeLessThanOrEqual(lines.length);
          if (error instanceof DataError) {
            expect(message.startsWith(`${source}:${error.line}`), message).toBe(true);
            // A damaged record is blamed on its own line (a duplicate names both of its lines).
            // A line cut to nothing is a line removed: what is missing shows elsewhere (a short group).
            const removed = mutated.trim() === '';
            if (reader.jsonLines && at > 0 && !removed && name !== 'SFT data')
              expect(error.line === at + 1 || message.includes(`line ${at + 1}`), `${where}\n${message}`).toBe(true);
            if (name === 'SFT data' && !removed) expect(error.line, `${where}\n${message}`).toBe(at + 1);
          }
        }
      }
      // The mutations really damage: most lines are refused, and both outcomes happen.
      expect(seen.refused).toBeGreaterThan(LINES_PER_READER / 2);
      expect(seen.accepted + seen.refused).toBe(LINES_PER_READER);
    });
  }
});
