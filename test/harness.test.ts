// The kernel harness: shader loading, compile errors, pipeline cache, arenas,
// bytes in use, and GPU errors surfacing as exceptions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../src/gpu/arena.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { NoAdapterError } from '../src/gpu/device.ts';
import { parseBindings, registerShader, shaderSource } from '../src/gpu/shaders.ts';

describe('shader sources', () => {
  it('substitutes block-shape constants without moving lines', () => {
    const original = shaderSource('matmul_nn');
    const tuned = shaderSource('matmul_nn', { TM: 8, TN: 12, WG: 4 });
    expect(tuned).toMatch(/^const TM: u32 = 8u;/m);
    expect(tuned).toMatch(/^const TN: u32 = 12u;/m);
    expect(tuned.split('\n').length).toBe(original.split('\n').length);
  });

  it('refuses unknown shaders and constants by name', () => {
    expect(() => shaderSource('no_such_kernel')).toThrow(/no file shaders\/no_such_kernel\.wgsl/);
    expect(() => shaderSource('matmul_nn', { NOPE: 1 })).toThrow(/shaders\/matmul_nn\.wgsl has no line "const NOPE/);
  });

  it('reads bindings from the WGSL source', () => {
    expect(parseBindings(shaderSource('elementwise'))).toEqual([
      { binding: 0, kind: 'read-only-storage', name: 'x' },
      { binding: 1, kind: 'read-only-storage', name: 'y' },
      { binding: 2, kind: 'storage', name: 'out' },
      { binding: 3, kind: 'uniform', name: 'params' },
    ]);
  });
});

describe('no adapter', () => {
  it('says what to install in one sentence', () => {
    const error = new NoAdapterError(['llvmpipe: no adapter']);
    expect(error.message).toMatch(/^No WebGPU adapter found: install .*chromium.*mesa-vulkan-drivers/);
    expect(error.message).toContain('llvmpipe: no adapter');
  });

  it('rejects an unknown forced adapter by name', async () => {
    await expect(GpuContext.create({ adapter: 'voodoo' })).rejects.toThrow(
      /GEMSTONE_ADAPTER="voodoo" is not one of: gpu, llvmpipe, swiftshader/,
    );
  });
});

describe('GPU harness (llvmpipe)', () => {
  let context: GpuContext;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: process.env.GEMSTONE_TEST_HARNESS_ADAPTER ?? 'llvmpipe' });
  });
  afterAll(() => context?.destroy());

  it('reports runtime, backend, adapter, fallback and limits', () => {
    const r = context.report;
    expect(r.runtime).toBe('node');
    expect(r.backend).toBe('opengles');
    expect(r.kind).toBe('llvmpipe');
    expect(r.fallback).toBe(true);
    expect(r.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(r.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
  });

  it('turns a WGSL compile error into an exception naming file and line', async () => {
    registerShader(
      'broken_for_test',
      '// a comment\n@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_name;\n}\n',
    );
    await expect(context.pipeline({ shader: 'broken_for_test' })).rejects.toThrow(
      /^shaders\/broken_for_test\.wgsl:4:\d+: .*undefined_name/,
    );
  });

  it('caches pipelines by shader, entry point, defines and constants', async () => {
    const a = await context.pipeline({ shader: 'matmul_nn', defines: { TM: 4, TN: 8, WG: 4 } });
    const b = await context.pipeline({ shader: 'matmul_nn', defines: { WG: 4, TN: 8, TM: 4 } });
    const c = await context.pipeline({ shader: 'matmul_nn', defines: { TM: 8, TN: 8, WG: 4 } });
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(a.pipeline.label).toContain('matmul_nn');
  });

  it('reuses a bind group for the same buffers, with each dispatch its own uniform', async () => {
    const x = context.tensor('bg.x', Float32Array.from([1, 2, 3, 4]));
    const y = context.tensor('bg.y', Float32Array.from([10, 20, 30, 40]));
    const out = context.tensor('bg.out', 4);
    const scaled = async (s: number, input = x) => {
      const uniform = new ArrayBuffer(16); // Params { n: u32, alpha: f32, … }
      new Uint32Array(uniform)[0] = 4;
      new Float32Array(uniform)[1] = s;
      await context.run({
        kernel: { shader: 'elementwise', entryPoint: 'scale' },
        buffers: { x: input, y: input, out },
        uniform,
        workgroups: [1],
      });
      return Array.from(await context.read(out));
    };
    const before = context.bindGroupsMade;
    const first = await scaled(2);
    const second = await scaled(3);
    expect(context.bindGroupsMade - before).toBe(1);
    expect(second.map((v, i) => v / first[i])).toEqual([1.5, 1.5, 1.5, 1.5]);
    await scaled(2, y);
    expect(context.bindGroupsMade - before).toBe(2);
    // A destroyed buffer takes its bind groups with it; a new buffer gets a new one.
    context.destroyBuffer(x.buffer);
    const z = context.tensor('bg.z', Float32Array.from([1, 1, 1, 1]));
    expect(await scaled(5, z)).toEqual([5, 5, 5, 5]);
    expect(context.bindGroupsMade - before).toBe(3);
    for (const v of [y, z, out]) context.destroyBuffer(v.buffer);
  });

  it('keeps named tensors in one arena and counts bytes in use', async () => {
    const before = context.bytesInUse;
    const arena = new Arena(context, 'params', {
      'wte.weight': 10,
      'ln_f.bias': 3,
      empty: 0,
      'h.0.mlp.c_fc.weight': 7,
    });
    expect(context.bytesInUse - before).toBe(Math.ceil(arena.bytes / 16) * 16);
    const align = context.device.limits.minStorageBufferOffsetAlignment / 4;
    for (const entry of arena.entries.values()) expect(entry.offset % align).toBe(0);
    arena.upload('ln_f.bias', Float32Array.from([1, 2, 3]));
    arena.upload('h.0.mlp.c_fc.weight', Float32Array.from([7, 6, 5, 4, 3, 2, 1]));
    expect(Array.from(await arena.read('ln_f.bias'))).toEqual([1, 2, 3]);
    expect(Array.from(await arena.read('h.0.mlp.c_fc.weight'))).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(() => arena.upload('ln_f.bias', new Float32Array(4))).toThrow(/holds 3 values, got 4/);
    expect(() => arena.view('nope')).toThrow(/has no tensor "nope"/);
    arena.destroy();
    expect(context.bytesInUse).toBe(before);
  });

  it('surfaces a GPU validation error as an exception at the next read', async () => {
    const small = context.tensor('small', 4);
    const out = context.tensor('out', 4);
    // A view that claims more bytes than the buffer has: invalid bind group.
    await context.run({
      kernel: { shader: 'elementwise', entryPoint: 'add' },
      buffers: { x: { ...small, size: 4096 }, y: small, out },
      uniform: new Uint32Array([4, 0, 0, 0]),
      workgroups: [1],
    });
    await expect(context.read(out)).rejects.toThrow(/GPU error/);
    // The context stays usable after reporting it.
    context.upload(out, Float32Array.from([1, 2, 3, 4]));
    expect(Array.from(await context.read(out))).toEqual([1, 2, 3, 4]);
    context.destroyBuffer(small.buffer);
    context.destroyBuffer(out.buffer);
  });
});

describe('views into one arena (llvmpipe)', () => {
  let context: GpuContext;
  beforeAll(async () => {
    context = await GpuContext.create({ adapter: 'llvmpipe' });
  });
  afterAll(() => context?.destroy());

  it('reads and writes views of one buffer in one dispatch, and copies between views', async () => {
    const arena = new Arena(context, 'acts', { a: 5, b: 5, sum: 5, copy: 5 });
    arena.upload('a', Float32Array.from([1, 2, 3, 4, 5]));
    arena.upload('b', Float32Array.from([10, 20, 30, 40, 50]));
    const { add } = await import('../src/kernels/elementwise.ts');
    await add(context, 5, arena.view('a'), arena.view('b'), arena.view('sum'));
    await context.copy(arena.view('sum'), arena.view('copy'));
    const other = context.tensor('other', 5);
    await context.copy(arena.view('b'), other);
    expect(Array.from(await context.read(other))).toEqual([10, 20, 30, 40, 50]);
    expect(Array.from(await arena.read('sum'))).toEqual([11, 22, 33, 44, 55]);
    expect(Array.from(await arena.read('copy'))).toEqual([11, 22, 33, 44, 55]);
    arena.destroy();
  });
});
