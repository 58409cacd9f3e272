// WGSL sources by name, with per-adapter block shapes substituted into
// `const NAME: type = value;` lines, and compile errors that name file and line.
import { SHADER_SOURCES } from './shader-sources.generated.ts';

export type Defines = Record<string, number | boolean>;

export function shaderFile(name: string): string {
  return `shaders/${name}.wgsl`;
}

/** Adds a WGSL module at run time (a user's own kernel, or a test's). Its errors name `shaders/<name>.wgsl`. */
export function registerShader(name: string, source: string): void {
  SHADER_SOURCES[name] = source;
}

/** Returns the WGSL text of shaders/<name>.wgsl with module constants replaced. Line numbers are kept. */
export function shaderSource(name: string, defines: Defines = {}): string {
  const source = SHADER_SOURCES[name];
  if (source === undefined) {
    throw new Error(`Unknown shader "${name}": no file ${shaderFile(name)} (known: ${Object.keys(SHADER_SOURCES).join(', ')}).`);
  }
  let text = source;
  for (const [key, value] of Object.entries(defines)) {
    const pattern = new RegExp(`^(const\\s+${key}\\s*:\\s*(\\w+)\\s*=\\s*)[^;]+;`, 'm');
    const match = pattern.exec(text);
    if (match === null) throw new Error(`${shaderFile(name)} has no line "const ${key}: <type> = <value>;" to set.`);
    const type = match[2];
    const literal = type === 'bool' ? String(Boolean(value)) : type === 'u32' ? `${Math.trunc(Number(value))}u` : type === 'i32' ? `${Math.trunc(Number(value))}i` : `${Number(value)}`;
    text = text.replace(pattern, `$1${literal};`);
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
  constructor(
    readonly file: string,
    readonly messages: GPUCompilationMessage[],
  ) {
    const first = messages[0];
    const where = first ? `${file}:${first.lineNum}:${first.linePos}` : file;
    super(`${where}: ${first?.message ?? 'WGSL compile error'}${messages.length > 1 ? ` (+${messages.length - 1} more)` : ''}`);
    this.name = 'ShaderCompileError';
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
  const pattern = /@group\(\s*0\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*<\s*(storage|uniform)\s*(?:,\s*(read_write|read))?\s*>\s*(\w+)/g;
  for (const match of source.matchAll(pattern)) {
    const kind: BindingKind = match[2] === 'uniform' ? 'uniform' : match[3] === 'read_write' ? 'storage' : 'read-only-storage';
    found.push({ binding: Number(match[1]), kind, name: match[4] });
  }
  return found.sort((a, b) => a.binding - b.binding);
}
