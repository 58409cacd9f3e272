// One table describes each command's options; from it come the commander flags
// (and their --help lines), the zod checks of a --config file and of the flags,
// and the defaults. Declaring an option once keeps the three from drifting.
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { TASK_NAMES } from '../src/tasks/index.ts';
import { isTaskPath } from '../src/tasks/load.ts';
import type { ProfileName } from './presets.ts';

export type Kind =
  | { type: 'int'; min: number }
  | { type: 'number'; min?: number; max?: number; positive?: boolean }
  | { type: 'string' }
  | { type: 'url' }
  | { type: 'choice'; choices: readonly string[] }
  /** Comma-separated on the command line, an array (or a comma-separated string) in a config file. */
  | { type: 'list'; choices?: readonly string[] }
  | { type: 'intList' }
  | { type: 'boolean' }
  /** An input file or folder that must exist (before any work starts). */
  | { type: 'file' }
  /** `or`: words accepted instead of a folder (e.g. --reference bundled). */
  | { type: 'dir'; or?: readonly string[] }
  /** A file or folder: either, as long as it exists. */
  | { type: 'existing' }
  /** An output path (need not exist). */
  | { type: 'path' }
  /** A built-in task's name, or the path of a module that exports a task (loaded and checked before the run). */
  | { type: 'task' };

export const int = (min = 1): Kind => ({ type: 'int', min });
export const num = (extra: Omit<Extract<Kind, { type: 'number' }>, 'type'> = {}): Kind => ({
  type: 'number',
  ...extra,
});
export const choice = (choices: readonly string[]): Kind => ({ type: 'choice', choices });

export interface DefaultContext {
  profile: ProfileName;
  /** The values given so far (config file and flags), for defaults that depend on another option. */
  given: Record<string, unknown>;
}

export interface OptionSpec {
  /** The camelCase name: config-file key and commander attribute (--sft-steps → sftSteps). */
  key: string;
  help: string;
  kind: Kind;
  /** A value, or one computed from the profile and the other options (undefined: unset). */
  default?: unknown | ((context: DefaultContext) => unknown);
  /** How --help shows the default when it is computed ("software 3000, gpu 6000"). */
  defaultHelp?: string;
  /** Placeholder in --help (default from the kind: <n>, <x>, <file>, …). */
  arg?: string;
  /** Must be given (as a flag or in the config file). */
  required?: boolean;
  /** A one-letter alias. */
  short?: string;
  /** Meta options (--config, --resume, --json, …) cannot be set from a config file. */
  cliOnly?: boolean;
  /** Output preferences, not part of the run: never written to config.json. */
  transient?: boolean;
  /** --no-<flag> form for a boolean that defaults to true. */
  negate?: boolean;
}

export function flagOf(spec: OptionSpec): string {
  return `--${spec.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function placeholder(spec: OptionSpec): string {
  if (spec.arg) return spec.arg;
  switch (spec.kind.type) {
    case 'int':
      return '<n>';
    case 'number':
      return '<x>';
    case 'file':
      return '<file>';
    case 'dir':
      return spec.kind.or ? `<dir|${spec.kind.or.join('|')}>` : '<dir>';
    case 'existing':
      return '<path>';
    case 'path':
      return '<path>';
    case 'task':
      return '<name|path>';
    case 'url':
      return '<url>';
    case 'list':
    case 'intList':
      return '<list>';
    case 'choice':
      return '<name>';
    default:
      return '<value>';
  }
}

function describeDefault(spec: OptionSpec): string {
  if (spec.defaultHelp !== undefined) return spec.defaultHelp;
  if (spec.default === undefined || typeof spec.default === 'function') return '';
  if (spec.kind.type === 'boolean') return spec.default === true ? 'on' : '';
  return Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
}

/** The commander option of a spec. Commander fills no defaults: a value present in the parse came from the user. */
export function commanderOption(spec: OptionSpec): Option {
  const short = spec.short ? `-${spec.short}, ` : '';
  const def = describeDefault(spec);
  const help = spec.required ? `${spec.help} (required)` : def ? `${spec.help} (default: ${def})` : spec.help;
  if (spec.kind.type === 'boolean') {
    return new Option(`${short}${spec.negate ? flagOf(spec).replace(/^--/, '--no-') : flagOf(spec)}`, help);
  }
  const option = new Option(`${short}${flagOf(spec)} ${placeholder(spec)}`, help);
  if (spec.kind.type === 'choice') option.choices(spec.kind.choices as string[]);
  else option.argParser((value: string) => parseFlag(spec, value));
  return option;
}

/**
 * A flag's text → its value, or commander's one-line error.
 * Existence of paths is checked later, with the config file's.
 */
function parseFlag(spec: OptionSpec, text: string): unknown {
  let value: unknown = text;
  const kind = spec.kind;
  if (kind.type === 'int' || kind.type === 'number') value = text.trim() === '' ? Number.NaN : Number(text);
  if (kind.type === 'list')
    value = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (kind.type === 'intList') value = text.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)));
  // A URL is checked with the config (resolveOptions), whose message never echoes it: commander's would.
  if (kind.type === 'url') return value;
  const problem = checkValue(spec, value, { checkPaths: false });
  if (problem !== null) throw new InvalidArgumentError(`${problem.message}.`);
  return normalise(spec, value);
}

/** Array or comma-separated string in a config file → array. */
function normalise(spec: OptionSpec, value: unknown): unknown {
  if (spec.kind.type === 'list' && typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return value;
}

const schemas = new Map<Kind, z.ZodType>();

/** The zod schema of a kind, with messages a person can act on. */
export function schemaOf(kind: Kind): z.ZodType {
  const known = schemas.get(kind);
  if (known) return known;
  let schema: z.ZodType;
  switch (kind.type) {
    case 'int': {
      const what =
        kind.min === 1 ? 'a positive integer' : kind.min === 0 ? 'a non-negative integer' : `an integer ≥ ${kind.min}`;
      schema = z
        .number({ error: `must be ${what}` })
        .refine((n) => Number.isInteger(n) && n >= kind.min, { error: `must be ${what}` });
      break;
    }
    case 'number': {
      const bounds = [
        kind.positive ? '> 0' : null,
        kind.min !== undefined ? `≥ ${kind.min}` : null,
        kind.max !== undefined ? `≤ ${kind.max}` : null,
      ]
        .filter(Boolean)
        .join(' and ');
      const what = bounds ? `a number ${bounds}` : 'a number';
      schema = z
        .number({ error: `must be ${what}` })
        .refine(
          (n) =>
            Number.isFinite(n) &&
            (!kind.positive || n > 0) &&
            (kind.min === undefined || n >= kind.min) &&
            (kind.max === undefined || n <= kind.max),
          { error: `must be ${what}` },
        );
      break;
    }
    case 'string':
    case 'file':
    case 'dir':
    case 'existing':
    case 'path':
      schema = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });
      break;
    case 'task':
      schema = z.string({ error: 'must be a string' }).refine((s) => isTaskPath(s) || TASK_NAMES.includes(s), {
        error: `must be a built-in task (${TASK_NAMES.join(', ')}) or the path of a task module (e.g. ./my-task.ts)`,
      });
      break;
    case 'url':
      // No credentials in a URL: options are logged and saved; the key goes in GEMSTONE_LLM_API_KEY.
      schema = z
        .string({ error: 'must be a URL string' })
        .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), { error: 'must be an http(s) URL' })
        .refine((s) => !URL.canParse(s) || (new URL(s).username === '' && new URL(s).password === ''), {
          error: 'must not hold credentials (put the key in env GEMSTONE_LLM_API_KEY)',
        });
      break;
    case 'choice':
      schema = z.enum(kind.choices as [string, ...string[]], { error: `must be one of ${kind.choices.join(', ')}` });
      break;
    case 'list': {
      const item = kind.choices
        ? z.enum(kind.choices as [string, ...string[]], { error: `must list only ${kind.choices.join(', ')}` })
        : z.string();
      schema = z
        .array(item, { error: 'must be a list (an array, or a comma-separated string)' })
        .min(1, { error: 'must not be empty' });
      break;
    }
    case 'intList':
      schema = z
        .array(z.number().int().positive(), { error: 'must be a list of positive integers' })
        .min(1, { error: 'must not be empty' });
      break;
    case 'boolean':
      schema = z.boolean({ error: 'must be true or false' });
      break;
  }
  schemas.set(kind, schema);
  return schema;
}

export interface ValueProblem {
  message: string;
}

/** null when the value fits its option; else what is wrong ("must be a positive integer, got -4"). */
export function checkValue(
  spec: OptionSpec,
  raw: unknown,
  { checkPaths }: { checkPaths: boolean },
): ValueProblem | null {
  const value = normalise(spec, raw);
  const parsed = schemaOf(spec.kind).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // A URL with credentials is not echoed back.
    const shown = spec.kind.type === 'url' ? 'that URL' : (JSON.stringify(raw) ?? String(raw));
    return { message: `${issue.message}, got ${shown}` };
  }
  if (checkPaths && typeof value === 'string' && !isWord(spec.kind, value)) {
    const kind = spec.kind.type;
    if ((kind === 'file' || kind === 'dir' || kind === 'existing' || kind === 'task') && !existsSync(value))
      return {
        message: `no such ${kind === 'dir' ? 'folder' : kind === 'existing' ? 'file or folder' : 'file'}: ${value}`,
      };
    if ((kind === 'file' || kind === 'task') && !statSync(value).isFile())
      return { message: `is a folder, not a file: ${value}` };
    if (kind === 'dir' && !statSync(value).isDirectory()) return { message: `is a file, not a folder: ${value}` };
  }
  return null;
}

/** The closest known key to a misspelt one (edit distance ≤ 3), for "did you mean". */
export function closest(word: string, known: string[]): string | null {
  let best: string | null = null;
  let bestDistance = 4;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** Whether a path option's value is one of the words it takes instead of a path. */
export function isWord(kind: Kind, value: unknown): boolean {
  if (kind.type === 'task') return typeof value === 'string' && !isTaskPath(value);
  return kind.type === 'dir' && typeof value === 'string' && (kind.or ?? []).includes(value);
}

/**
 * `--task NAME|PATH`: a built-in task or a module that exports one; a relative path is read from the working
 * folder (or the --config file's folder). The task is checked (checkTask) before any run folder is made.
 */
export function taskOption(help: string, defaultTask?: string): OptionSpec {
  return {
    key: 'task',
    help: `${help}: a built-in task (${TASK_NAMES.join(', ')}) or the path of a module that exports one`,
    kind: { type: 'task' },
    ...(defaultTask !== undefined ? { default: defaultTask } : {}),
  };
}

/** For the commands that read rollout or annotated files: their rewards are checked against the task's verifier. */
export const TRUST_REWARDS_OPTION: OptionSpec = {
  key: 'trustRewards',
  help: "keep the file's rewards where the task's verifier disagrees (they are your own); else such a line is refused",
  kind: { type: 'boolean' },
};
