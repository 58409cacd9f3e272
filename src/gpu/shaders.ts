// WGSL sources by name, with per-adapter block shapes substituted into
// `const NAME: type = value;` lines, and compile errors that name file and line.
// Includes are expanded when shaders/ is packed (scripts/pack-shaders.mjs); a kernel's
// line runs map its packed lines back to the file (under shaders/) and line they came from.
import { SHADER_LINE_MAPS, SHADER_SOURCES } from './shader-sources.generated.ts';

export type Defines = Record<string, number | boolean>;

/** Runs of [first packed line, file under shaders/, its line], as scripts/wgsl-pack.mjs writes them. */
export type LineRuns = [number, string, number][];

export function shaderFile(name: string): string {
  return `shaders/${name}.wgsl`;
}

/**
 * Adds a WGSL module at run time (a user's own kernel, or a test's). Its errors name `shaders/<name>.wgsl`,
 * or, given the line runs of a packed module, the file and line each packed line came from.
 */
export function registerShader(name: string, source: string, lines?: LineRuns): void {
  SHADER_SOURCES[name] = source;
  if (lines === undefined) delete SHADER_LINE_MAPS[name];
  else SHADER_LINE_MAPS[name] = lines;
}

/** Where line `line` (1-based) of kernel `name` as packed was written: a file under the repository and its line. */
export function sourceLocation(name: string, line: number): { file: string; line: number } {
  const runs = SHADER_LINE_MAPS[name];
  if (runs === undefined || line < 1) return { file: shaderFile(name), line };
  let run = runs[0];
  for (const candidate of runs) {
    if (candidate[0] > line) break;
    run = candidate;
  }
  return { file: `shaders/${run[1]}`, line: run[2] + (line - run[0]) };
}

/**
 * Returns the WGSL text of shaders/<name>.wgsl, includes expanded, with module constants replaced in place
 * (packed line numbers are kept, so sourceLocation still applies).
 * `promote` names read-only storage bindings to declare read_write: WebGPU forbids binding one buffer
 * both read-only and writable in a dispatch, which views into one arena would otherwise do.
 */
export function shaderSource(name: string, defines: Defines = {}, promote: readonly string[] = []): string {
  const source = SHADER_SOURCES[name];
  if (source === undefined) {
    throw new Error(
      `Unknown shader "${name}": no file ${shaderFile(name)} (known: ${Object.keys(SHADER_SOURCES).join(', ')}).`,
    );
  }
  let text = source;
  for (const [key, value] of Object.entries(defines)) {
    const pattern = new RegExp(`^(const\\s+${key}\\s*:\\s*(\\w+)\\s*=\\s*)[^;]+;`, 'm');
    const match = pattern.exec(text);
    if (match === null) throw new Error(`${shaderFile(name)} has no line "const ${key}: <type> = <value>;" to set.`);
    const type = match[2];
    const literal =
      type === 'bool'
        ? String(Boolean(value))
        : type === 'u32'
          ? `${Math.trunc(Number(value))}u`
          : type === 'i32'
            ? `${Math.trunc(Number(value))}i`
            : `${Number(value)}`;
    text = text.replace(pattern, `$1${literal};`);
  }
  for (const binding of promote) {
    text = text.replace(
      new RegExp(`var\\s*<\\s*storage\\s*,\\s*read\\s*>\\s*${binding}\\b`),
      `var<storage, read_write> ${binding}`,
    );
  }
  return text;
}

export function definesKey(defines: Defines = {}): string {
  return Object.keys(defines)
    .sort()
    .map((k) => `${k}=${defines[k]}`)
    .join(',');
}

export class ShaderCompileError extends Error {
  /** The file the first error is in (an included file's when the error is inside an included part). */
  readonly file: string;
  /** Each message's file, line and column in the original sources. */
  readonly locations: { file: string; line: number; column: number; message: string }[];

  constructor(
    readonly shader: string,
    readonly messages: GPUCompilationMessage[],
  ) {
    const locations = messages.map((m) => {
      const { file, line } = sourceLocation(shader, m.lineNum);
      return { file, line, column: m.linePos, message: m.message };
    });
    const first = locations[0];
    const where = first && first.line > 0 ? `${first.file}:${first.line}:${first.column}` : shaderFile(shader);
    super(
      `${where}: ${first?.message ?? 'WGSL compile error'}` +
        `${messages.length > 1 ? ` (+${messages.length - 1} more)` : ''}`,
    );
    this.name = 'ShaderCompileError';
    this.file = first?.file ?? shaderFile(shader);
    this.locations = locations;
  }
}

export type BindingKind = 'read-only-storage' | 'storage' | 'uniform';
export interface BindingInfo {
  name: string;
  binding: number;
  kind: BindingKind;
}

/** The group-0 bindings a WGSL module declares, read from its source (so no byte offsets are kept by hand). */
export function parseBindings(source: string): BindingInfo[] {
  const found: BindingInfo[] = [];
  const pattern = new RegExp(
    String.raw`@group\(\s*0\s*\)\s*@binding\(\s*(\d+)\s*\)\s*` +
      String.raw`var\s*<\s*(storage|uniform)\s*(?:,\s*(read_write|read))?\s*>\s*(\w+)`,
    'g',
  );
  for (const match of source.matchAll(pattern)) {
    const kind: BindingKind =
      match[2] === 'uniform' ? 'uniform' : match[3] === 'read_write' ? 'storage' : 'read-only-storage';
    found.push({ binding: Number(match[1]), kind, name: match[4] });
  }
  return found.sort((a, b) => a.binding - b.binding);
}

/** Function bodies by name, found by brace matching. */
function functionBodies(source: string): Map<string, string> {
  const bodies = new Map<string, string>();
  const pattern = /\bfn\s+(\w+)\s*\(/g;
  for (const match of source.matchAll(pattern)) {
    let i = source.indexOf('{', match.index);
    if (i < 0) continue;
    let depth = 0;
    const _start = i;
    for (; i < source.length; i++) {
      if (source[i] === '{') depth++;
      else if (source[i] === '}' && --depth === 0) break;
    }
    bodies.set(match[1], source.slice(match.index, i + 1));
  }
  return bodies;
}

/** The names an entry point (and every function it calls) mentions: its bindings in use are among them. */
export function entryPointIdentifiers(source: string, entryPoint: string | undefined): Set<string> {
  const bodies = functionBodies(source.replace(/\/\/.*$/gm, ''));
  let entry = entryPoint;
  if (entry === undefined) {
    const match = /@compute[\s\S]*?\bfn\s+(\w+)/.exec(source);
    entry = match?.[1];
  }
  const seen = new Set<string>();
  const identifiers = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const body = bodies.get(name);
    if (body === undefined) return;
    for (const id of body.matchAll(/\b[A-Za-z_]\w*\b/g)) {
      identifiers.add(id[0]);
      if (bodies.has(id[0])) visit(id[0]);
    }
  };
  if (entry !== undefined) visit(entry);
  return identifiers;
}
