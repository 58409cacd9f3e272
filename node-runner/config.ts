// Resolving a command's options: defaults (by profile) < --config file (or the
// saved config of --resume) < flags. Every problem is found before any work
// starts and reported in one error that names the file, line and key (or flag).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type ParseError, parse as parseJsonc } from 'jsonc-parser';
import { withoutByteOrderMark } from '../src/data/jsonl.ts';
import { checkValue, closest, flagOf, isWord, type OptionSpec } from './spec.ts';
import type { ProfileName } from './presets.ts';

/** A bad option or config file: one message, exit status 2, nothing done yet. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Source {
  /** Where a value came from, for messages: "run.json:4" or "--batch-size". */
  where: string;
  value: unknown;
}

export interface ConfigFile {
  path: string;
  values: Record<string, Source>;
  /** The "command" key, when the file names one. */
  command?: string;
}

const PATH_KINDS = new Set(['file', 'dir', 'existing', 'path', 'task']);

/**
 * Reads a JSON config file: a flat object of options, keys as in --help without
 * the dashes, camelCase ("sftSteps") or kebab-case ("sft-steps"). Relative paths
 * in it are relative to the file's folder (as in tsconfig.json or vite.config).
 */
export function readConfigFile(path: string, specs: OptionSpec[], command: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ConfigError(
      code === 'ENOENT' ? `--config: no such file: ${path}` : `--config ${path}: ${(error as Error).message}`,
    );
  }
  return parseConfigText(text, path, specs, command);
}

/** readConfigFile on the file's text; a byte-order mark (some editors write one) is accepted. */
export function parseConfigText(raw: string, path: string, specs: OptionSpec[], command: string): ConfigFile {
  const text = withoutByteOrderMark(raw);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `${path}${jsonErrorLine(text, error as Error)}: not valid JSON (${(error as Error).message}).`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new ConfigError(`${path}:1: expected a JSON object of options, like {"seed": 2}.`);
  const object = json as Record<string, unknown>;
  const byKey = new Map(specs.map((s) => [s.key, s]));
  const values: Record<string, Source> = {};
  let named: string | undefined;
  for (const [rawKey, value] of Object.entries(object)) {
    const where = `${path}:${keyLine(text, rawKey)}`;
    if (rawKey === '$schema' || rawKey === 'comment') continue;
    if (rawKey === 'command') {
      if (typeof value !== 'string') throw new ConfigError(`${where}: "command" must be a string.`);
      if (value !== command)
        throw new ConfigError(`${where}: this config is for "gemstone ${value}", not "gemstone ${command}".`);
      named = value;
      continue;
    }
    const key = rawKey.includes('-') ? rawKey.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) : rawKey;
    const spec = byKey.get(key);
    if (spec === undefined || spec.cliOnly) {
      const known = specs.filter((s) => !s.cliOnly).map((s) => s.key);
      const hint = spec?.cliOnly ? ` (${flagOf(spec)} is given on the command line only)` : closestHint(key, known);
      throw new ConfigError(`${where}: unknown key "${rawKey}" for gemstone ${command}${hint}.`);
    }
    if (values[key] !== undefined)
      throw new ConfigError(`${where}: "${rawKey}" is given twice (as camelCase and kebab-case).`);
    const resolved =
      PATH_KINDS.has(spec.kind.type) &&
      typeof value === 'string' &&
      value !== '' &&
      !isWord(spec.kind, value) &&
      !isAbsolute(value)
        ? resolve(dirname(path), value)
        : value;
    values[key] = { where: `${where}: "${rawKey}"`, value: resolved };
  }
  return { path, values, command: named };
}

function closestHint(key: string, known: string[]): string {
  const guess = closest(key, known);
  return guess ? ` (did you mean "${guess}"?)` : ` (known keys: ${known.join(', ')})`;
}

/** The 1-based line where "key": appears first in the text (good enough for flat files). */
function keyLine(text: string, key: string): number {
  const at = text.search(new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`));
  return at < 0 ? 1 : text.slice(0, at).split('\n').length;
}

/**
 * ":line" of a JSON.parse error. V8 gives a position for most errors but not all ("Unexpected
 * token 'é', … is not valid JSON"), so jsonc-parser (strict: no comments, no trailing commas) finds it.
 */
function jsonErrorLine(text: string, error: Error): string {
  const position = /position (\d+)/.exec(error.message);
  let offset = position ? Number(position[1]) : text.trimEnd().length;
  if (!position) {
    const errors: ParseError[] = [];
    parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false });
    offset = errors[0]?.offset ?? offset;
  }
  return `:${text.slice(0, offset).split('\n').length}`;
}

/** Flags the user typed, as sources ("--batch-size"). */
export function flagSources(
  specs: OptionSpec[],
  values: Record<string, unknown>,
  given: (key: string) => boolean,
): Record<string, Source> {
  const out: Record<string, Source> = {};
  for (const spec of specs) {
    if (!given(spec.key)) continue;
    const value = values[spec.key];
    const resolvedValue =
      PATH_KINDS.has(spec.kind.type) && typeof value === 'string' && !isWord(spec.kind, value) ? resolve(value) : value;
    out[spec.key] = { where: flagOf(spec), value: resolvedValue };
  }
  return out;
}

/**
 * Checks every given value (type, range, paths that must exist) and fills the
 * defaults of the profile. Throws one ConfigError listing every problem found.
 */
export function resolveOptions(
  specs: OptionSpec[],
  given: Record<string, Source>,
  profile: ProfileName,
): Record<string, unknown> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    const source = given[spec.key];
    if (source === undefined) continue;
    const problem = checkValue(spec, source.value, { checkPaths: true });
    if (problem) problems.push(`${source.where}: ${problem.message}`);
    else
      values[spec.key] =
        spec.kind.type === 'list' && typeof source.value === 'string'
          ? source.value
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : source.value;
  }
  for (const spec of specs) {
    if (spec.required && given[spec.key] === undefined)
      problems.push(`${flagOf(spec)} is required (or "${spec.key}" in the --config file)`);
  }
  if (problems.length > 0)
    throw new ConfigError(
      problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`,
    );
  const given0 = { ...values };
  for (const spec of specs) {
    if (values[spec.key] !== undefined || spec.default === undefined) continue;
    values[spec.key] =
      typeof spec.default === 'function'
        ? (spec.default as (c: { profile: ProfileName; given: Record<string, unknown> }) => unknown)({
            profile,
            given: given0,
          })
        : spec.default;
  }
  return values;
}
