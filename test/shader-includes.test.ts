// WGSL includes: the packer expands `//#include "…"` lines, refuses a missing include and a cycle,
// the committed module is what it packs, and a compile error inside an included part names the
// included file and its line.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandIncludes, lineRuns, packShaders } from '../scripts/wgsl-pack.mjs';
import { GpuContext } from '../src/gpu/context.ts';
import { registerShader, ShaderCompileError, shaderSource, sourceLocation } from '../src/gpu/shaders.ts';

const SHADERS = join(import.meta.dirname, '..', 'shaders');

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'gemstone-wgsl-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the shader packer', () => {
  const roots: string[] = [];
  const make = (files: Record<string, string>) => {
    const root = tree(files);
    roots.push(root);
    return root;
  };
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('expands nested includes in place and keeps where every line came from', () => {
    const root = make({
      'main.wgsl': 'a1\n//#include "common/one.wgsl"\na3\n',
      'common/one.wgsl': 'o1\n  //#include "common/two.wgsl"\no3\n',
      'common/two.wgsl': 't1\nt2\n',
    });
    const { text, origins } = expandIncludes(root, 'main.wgsl');
    expect(text).toBe('a1\no1\nt1\nt2\no3\na3\n');
    expect(origins.slice(0, 6)).toEqual([
      ['main.wgsl', 1],
      ['common/one.wgsl', 1],
      ['common/two.wgsl', 1],
      ['common/two.wgsl', 2],
      ['common/one.wgsl', 3],
      ['main.wgsl', 3],
    ]);
    expect(lineRuns('main.wgsl', origins)).toEqual([
      [1, 'main.wgsl', 1],
      [2, 'common/one.wgsl', 1],
      [3, 'common/two.wgsl', 1],
      [5, 'common/one.wgsl', 3],
      [6, 'main.wgsl', 3],
    ]);
  });

  it('leaves a file without includes as it is, with no line map', () => {
    const root = make({ 'plain.wgsl': 'x\n// #include "not/a/directive.wgsl" is prose\ny\n' });
    const { text, origins } = expandIncludes(root, 'plain.wgsl');
    expect(text).toBe(readFileSync(join(root, 'plain.wgsl'), 'utf8'));
    expect(lineRuns('plain.wgsl', origins)).toBeUndefined();
  });

  it('refuses a missing include, naming the including file and line', () => {
    const root = make({ 'main.wgsl': 'a\nb\n//#include "common/nope.wgsl"\n' });
    expect(() => expandIncludes(root, 'main.wgsl')).toThrow(
      'shaders/main.wgsl:3: included file shaders/common/nope.wgsl does not exist.',
    );
  });

  it('refuses an include cycle, naming the chain', () => {
    const root = make({
      'main.wgsl': '//#include "common/a.wgsl"\n',
      'common/a.wgsl': 'a\n//#include "common/b.wgsl"\n',
      'common/b.wgsl': '//#include "common/a.wgsl"\n',
    });
    expect(() => expandIncludes(root, 'main.wgsl')).toThrow(
      'shaders/common/b.wgsl:1: include cycle: shaders/main.wgsl → shaders/common/a.wgsl → ' +
        'shaders/common/b.wgsl → shaders/common/a.wgsl.',
    );
  });

  it('refuses a path that leaves shaders/', () => {
    const root = make({ 'main.wgsl': '//#include "../secret.wgsl"\n' });
    expect(() => expandIncludes(root, 'main.wgsl')).toThrow(
      /shaders\/main\.wgsl:1: include "\.\.\/secret\.wgsl" must be/,
    );
  });

  it('packs only the top-level kernels, and the committed module is up to date', () => {
    const { text } = packShaders(SHADERS);
    expect(text).toBe(readFileSync(join(SHADERS, '..', 'src/gpu/shader-sources.generated.ts'), 'utf8'));
    expect(shaderSource('softmax')).toContain('fn reduce_sum(local: u32, value: f32) -> f32 {');
    expect(shaderSource('softmax')).not.toContain('#include');
    expect(() => shaderSource('common/reduce')).toThrow(/Unknown shader/);
  });

  it('maps packed lines back to the included file and to the kernel after it', () => {
    const packed = shaderSource('softmax').split('\n');
    const helper = readFileSync(join(SHADERS, 'common/reduce.wgsl'), 'utf8').split('\n');
    const kernel = readFileSync(join(SHADERS, 'softmax.wgsl'), 'utf8').split('\n');
    for (let line = 1; line <= packed.length; line++) {
      const { file, line: original } = sourceLocation('softmax', line);
      const lines = file === 'shaders/common/reduce.wgsl' ? helper : kernel;
      expect([file, lines[original - 1]]).toEqual([expect.stringMatching(/^shaders\//), packed[line - 1]]);
    }
  });

  it('names the included file in a compile error inside it', () => {
    const packed = shaderSource('output_logprob').split('\n');
    const line = packed.findIndex((l) => l.startsWith('fn reduce_sum')) + 1;
    const error = new ShaderCompileError('output_logprob', [
      { lineNum: line, linePos: 4, message: 'boom', type: 'error' } as GPUCompilationMessage,
    ]);
    const helperLine = readFileSync(join(SHADERS, 'common/reduce.wgsl'), 'utf8')
      .split('\n')
      .indexOf(packed[line - 1]);
    expect(error.message).toBe(`shaders/common/reduce.wgsl:${helperLine + 1}:4: boom`);
    expect(error.file).toBe('shaders/common/reduce.wgsl');
  });
});

describe('compile errors in included helpers (llvmpipe)', () => {
  let context: GpuContext;
  let root: string;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: process.env.GEMSTONE_TEST_HARNESS_ADAPTER ?? 'llvmpipe' });
    root = mkdtempSync(join(tmpdir(), 'gemstone-wgsl-'));
    cpSync(SHADERS, root, { recursive: true });
  });
  afterAll(() => {
    context?.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  /** Packs `kernel` from a copy of shaders/ whose `file` has `from` replaced by `to` on one line. */
  function breakLine(kernel: string, file: string, from: string, to: string): number {
    const lines = readFileSync(join(SHADERS, file), 'utf8').split('\n');
    const index = lines.findIndex((l) => l.includes(from));
    expect(index).toBeGreaterThanOrEqual(0);
    lines[index] = lines[index].replace(from, to);
    writeFileSync(join(root, file), lines.join('\n'));
    const { text, origins } = expandIncludes(root, `${kernel}.wgsl`);
    registerShader(`${kernel}_broken_for_test`, text, lineRuns(`${kernel}.wgsl`, origins));
    return index + 1;
  }

  it('names the included file and its line', async () => {
    const line = breakLine('softmax', 'common/reduce.wgsl', 'let result = partial[0];', 'let result = missing_helper;');
    await expect(context.pipeline({ shader: 'softmax_broken_for_test', entryPoint: 'forward' })).rejects.toThrow(
      new RegExp(`^shaders/common/reduce\\.wgsl:${line}:\\d+: .*missing_helper`),
    );
  });

  it('names the kernel file and its own line for an error after an include', async () => {
    cpSync(join(SHADERS, 'common'), join(root, 'common'), { recursive: true });
    const line = breakLine('matmul_tn', 'matmul_tn.wgsl', 'k += 4u;', 'k += missing_step;');
    await expect(context.pipeline({ shader: 'matmul_tn_broken_for_test' })).rejects.toThrow(
      new RegExp(`^shaders/matmul_tn\\.wgsl:${line}:\\d+: .*missing_step`),
    );
  });
});
