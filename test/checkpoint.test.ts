// The safetensors format, gemstone's checkpoint on top of it, Hugging Face GPT-2 loading and atomic files.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CHECKPOINT_FORMAT,
  decodeCheckpoint,
  encodeCheckpoint,
  loadHfGpt2Weights,
  type CheckpointState,
} from '../src/checkpoint/checkpoint.ts';
import { readFileBytes, writeFileAtomic } from '../src/checkpoint/files.ts';
import {
  decodeSafetensors,
  dtypeSize,
  encodeSafetensors,
  fromBfloat16Bits,
  fromFloat16Bits,
  toBfloat16Bits,
  toFloat16Bits,
  type Dtype,
  type Tensor,
} from '../src/checkpoint/safetensors.ts';
import { elementCount, parameterSpecs, PRESETS, type ModelConfig } from '../src/model/config.ts';
import { Random } from '../src/util/random.ts';

// Lets a test make the file system fail part-way through writeFileAtomic.
const fsFault = vi.hoisted(() => ({ failAt: null as null | 'write' | 'rename' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device (simulated)'), { code: 'ENOSPC' });
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const handle = await real.open(...args);
      if (fsFault.failAt !== 'write') return handle;
      return {
        writeFile: async (data: Uint8Array) => {
          await handle.writeFile(data.subarray(0, data.length >> 1)); // half written, then the disk is full
          throw diskFull();
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
    rename: async (...args: Parameters<typeof real.rename>) => {
      if (fsFault.failAt === 'rename') throw diskFull();
      return real.rename(...args);
    },
  };
});

const fixture = (name: string) => readFileBytes(join(import.meta.dirname, 'fixtures', name));
const TINY: ModelConfig = { ...PRESETS.tiny };

function randomParameters(config: ModelConfig, seed: number): Record<string, Float32Array> {
  const random = new Random(seed);
  return Object.fromEntries(parameterSpecs(config).map((spec) => [spec.name, random.floats(elementCount(spec.shape))]));
}

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A safetensors file from a raw header (unpadded) and data, to build corrupt files by hand. */
function rawFile(header: unknown, dataBytes: number): Uint8Array {
  const json = bytesOf(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

/** Byte-for-byte equality, reporting the first difference (toEqual on large arrays is slow). */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  const at = actual.findIndex((byte, i) => byte !== expected[i]);
  if (at >= 0) throw new Error(`bytes differ first at offset ${at}: ${actual[at]} ≠ ${expected[at]}`);
}

function expectSame(actual: ArrayLike<number | bigint>, expected: ArrayLike<number | bigint>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

describe('safetensors', () => {
  it('round-trips every dtype, scalars and empty tensors', () => {
    const random = new Random(7);
    const ints = (n: number, low: number, high: number) =>
      Array.from({ length: n }, () => Math.floor(random.uniform(low, high)));
    const tensors: Record<string, Tensor> = {
      f64: { dtype: 'F64', shape: [2, 3], data: Float64Array.from([0, -0, Math.PI, -1e300, 5e-324, NaN]) },
      f32: { dtype: 'F32', shape: [3, 1, 2], data: random.floats(6) },
      f16: { dtype: 'F16', shape: [4], data: Float32Array.from([1, -0.5, 65504, 2 ** -24]) },
      bf16: { dtype: 'BF16', shape: [3], data: Float32Array.from([1, -3.5, 2 ** 100]) },
      f16bits: { dtype: 'F16', shape: [2], data: Uint16Array.from([0x3c00, 0xfc00]) },
      i64: { dtype: 'I64', shape: [3], data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, -1n]) },
      u64: { dtype: 'U64', shape: [2], data: BigUint64Array.from([0n, 2n ** 64n - 1n]) },
      i32: { dtype: 'I32', shape: [5], data: Int32Array.from(ints(5, -1e9, 1e9)) },
      u32: { dtype: 'U32', shape: [5], data: Uint32Array.from(ints(5, 0, 4e9)) },
      i16: { dtype: 'I16', shape: [3], data: Int16Array.from([-32768, 32767, 5]) },
      u16: { dtype: 'U16', shape: [3], data: Uint16Array.from([0, 65535, 5]) },
      i8: { dtype: 'I8', shape: [3], data: Int8Array.from([-128, 127, 0]) },
      u8: { dtype: 'U8', shape: [7], data: Uint8Array.from(ints(7, 0, 256)) },
      bool: { dtype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) },
      scalar: { dtype: 'F32', shape: [], data: Float32Array.from([2.5]) },
      empty: { dtype: 'I32', shape: [0, 4], data: new Int32Array(0) },
    };
    const metadata = { hello: 'world', json: '{"a": [1, 2]}', unicode: 'é—✓' };
    const bytes = encodeSafetensors(tensors, metadata);
    const decoded = decodeSafetensors(bytes, 'roundtrip.safetensors');
    expect(decoded.metadata).toEqual(metadata);
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, tensor] of Object.entries(tensors)) {
      const got = decoded.tensors[name];
      expect(got.dtype, name).toBe(tensor.dtype);
      expect(got.shape, name).toEqual(tensor.shape);
      const expected =
        tensor.data instanceof Uint16Array && (tensor.dtype === 'F16' || tensor.dtype === 'BF16')
          ? fromFloat16Bits(tensor.data)
          : tensor.data;
      expectSame(got.data, expected);
    }
    expect(decoded.tensors.f16.data).toBeInstanceOf(Float32Array);
    expect(decoded.tensors.i64.data).toBeInstanceOf(BigInt64Array);
    // Decoded tensors re-encode to the same bytes.
    expectBytes(encodeSafetensors(decoded.tensors, decoded.metadata), bytes);
  });

  it('pads the header with spaces to 8 bytes and aligns every tensor to its element size', () => {
    const tensors: Record<string, Tensor> = {
      a: { dtype: 'U8', shape: [3], data: Uint8Array.from([1, 2, 3]) },
      b: { dtype: 'F64', shape: [1], data: Float64Array.from([1]) },
      c: { dtype: 'F16', shape: [1], data: Float32Array.from([1]) },
      d: { dtype: 'I32', shape: [1], data: Int32Array.from([1]) },
    };
    const bytes = encodeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(Object.keys(header)).toEqual(['b', 'd', 'c', 'a']); // descending alignment, then name
    for (const [name, info] of Object.entries(header) as [string, { dtype: Dtype; data_offsets: number[] }][]) {
      expect((8 + n + info.data_offsets[0]) % dtypeSize(info.dtype), name).toBe(0);
    }
  });

  // Bytes pinned by the reference implementation's own tests (huggingface/safetensors, tensor.rs:
  // test_serialization, test_serialization_forced_alignement, test_empty).
  it('writes the same bytes as the reference implementation', () => {
    const floats = Float32Array.from([0, 1, 2, 3, 4, 5]);
    const f32Bytes = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];
    const le64 = (n: number) => [n, 0, 0, 0, 0, 0, 0, 0];
    const ascii = (s: string) => Array.from(bytesOf(s));

    const aligned = encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: floats } });
    expect(Array.from(aligned)).toEqual([
      ...le64(64),
      ...ascii('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'),
      ...f32Bytes,
    ]);

    const padded = encodeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: floats } });
    expect(Array.from(padded)).toEqual([
      ...le64(72),
      ...ascii('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       '),
      ...f32Bytes,
    ]);

    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(encodeSafetensors({}, { framework: 'pt' }))).toEqual([
      ...le64(40),
      ...ascii('{"__metadata__":{"framework":"pt"}}     '),
    ]);
  });

  it('reads a file written by an independent writer (numpy/PyTorch) and writes it back byte for byte', async () => {
    const bytes = await fixture('all-dtypes.safetensors'); // scripts/golden/make_safetensors_fixture.py
    const { tensors, metadata } = decodeSafetensors(bytes, 'all-dtypes.safetensors');
    expect(metadata.note).toBe('every dtype; "quoted" text, unicode é—ok');
    expectSame(tensors.i64.data, [-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n, 2n ** 53n + 1n]);
    expectSame(tensors.u64.data, [0n, 2n ** 64n - 1n, 2n ** 53n + 1n]);
    expectSame(tensors.f64.data, [0, -0, 1e300, -1.5, 5e-324, Math.PI]);
    expect(tensors.f64.shape).toEqual([2, 3]);
    expectSame(tensors.i32.data, [-(2 ** 31), 2 ** 31 - 1, -1, 7]);
    expectSame(tensors.u32.data, [0, 2 ** 32 - 1, 123456789]);
    expectSame(tensors.i16.data, [-32768, 32767, -1]);
    expectSame(tensors.u16.data, [0, 65535, 4660]);
    expectSame(tensors.i8.data, [-128, 127, -1]);
    expectSame(tensors.u8.data, [0, 255, 18, 52, 86]);
    expectSame(tensors.bool.data, [1, 0, 1]);
    expect(tensors.scalar.shape).toEqual([]);
    expectSame(tensors.scalar.data, [2.5]);
    expect(tensors.empty.shape).toEqual([0, 3]);
    // float16 rounding as numpy does it, bfloat16 as PyTorch does it, from the same f32 values.
    expectSame(tensors.f16.data, fromFloat16Bits(toFloat16Bits(tensors.f16_source.data as Float32Array)));
    expectSame(tensors.bf16.data, fromBfloat16Bits(toBfloat16Bits(tensors.bf16_source.data as Float32Array)));
    expectBytes(encodeSafetensors(tensors, metadata), bytes);
  });

  it('rounds to 16-bit floats to nearest even, with subnormals, overflow and NaN', () => {
    const h = (x: number) => toFloat16Bits([x])[0];
    expect(h(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(h(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(h(65520)).toBe(0x7c00); // rounds up to Inf
    expect(h(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal → 0
    expect(h(1.5 * 2 ** -25)).toBe(0x0001);
    expect(h(-0)).toBe(0x8000);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits([NaN]))[0])).toBe(true);
    const b = (x: number) => toBfloat16Bits([x])[0];
    expect(b(1 + 2 ** -8)).toBe(0x3f80);
    expect(b(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(fromBfloat16Bits(toBfloat16Bits([NaN]))[0])).toBe(true);
    // Every finite f16 survives f16 → f32 → f16.
    const all = Uint16Array.from({ length: 0x10000 }, (_, i) => i).filter((bits) => (bits & 0x7c00) !== 0x7c00);
    expectSame(toFloat16Bits(fromFloat16Bits(all)), all);
  });

  describe('refuses corrupt files with one clear error naming the file and the field', () => {
    const good = () =>
      encodeSafetensors({ 'h.0.ln_1.weight': { dtype: 'F32', shape: [4], data: Float32Array.from([1, 2, 3, 4]) } });
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['too short', () => new Uint8Array(5), /^bad\.safetensors: not a safetensors file: 5 bytes/],
      [
        'truncated data',
        () => good().subarray(0, good().length - 3),
        /^bad\.safetensors: tensor "h\.0\.ln_1\.weight": data_offsets end 16 exceeds the data size 13 \(file size \d+/,
      ],
      [
        'truncated header',
        () => good().subarray(0, 20),
        /header length \d+ runs past the end of the file \(file size 20\)/,
      ],
      [
        'huge header length',
        () => Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 123, 125]),
        /header length 4294967296 is over the 100000000-byte limit/,
      ],
      ['bad JSON', () => rawFile('{"a": {"dtype": "F32",', 0), /^bad\.safetensors: header is not valid JSON/],
      ['header not an object', () => rawFile('[1, 2]', 0), /header JSON must be an object/],
      [
        'invalid UTF-8',
        () => {
          const f = rawFile('{"ab":1}', 0);
          f[10] = 0xff;
          return f;
        },
        /header is not valid UTF-8/,
      ],
      [
        'overlapping offsets',
        () =>
          rawFile(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
            },
            12,
          ),
        /tensor "b": data_offsets \[4, 12\] overlap tensor "a"/,
      ],
      [
        'a gap between tensors',
        () =>
          rawFile(
            {
              a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
              b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
            },
            12,
          ),
        /tensor "b": data_offsets begin 8 leaves a gap after byte 4/,
      ],
      [
        'wrong size for dtype and shape',
        () => rawFile({ w: { dtype: 'F64', shape: [2, 2], data_offsets: [0, 16] } }, 16),
        /tensor "w": data_offsets \[0, 16\] span 16 bytes, but shape \[2, 2\] of F64 needs 4 × 8 = 32/,
      ],
      [
        'unknown dtype',
        () => rawFile({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16),
        /tensor "w": unknown dtype "F128"/,
      ],
      [
        'unsupported dtype',
        () => rawFile({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1),
        /tensor "w": dtype F8_E4M3 is not supported/,
      ],
      [
        'bad shape',
        () => rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4),
        /tensor "w": shape \[-1\] must be an array of non-negative integers/,
      ],
      [
        'bad offsets',
        () => rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4),
        /tensor "w": data_offsets \[0\] must be \[begin, end\]/,
      ],
      [
        'end before begin',
        () => rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4),
        /tensor "w": data_offsets end 0 is before begin 4/,
      ],
      [
        'trailing bytes',
        () => rawFile({ w: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, 5),
        /the tensors cover 1 bytes of data but the file has 5/,
      ],
      [
        'non-string metadata',
        () => rawFile({ __metadata__: { step: 3 } }, 0),
        /"__metadata__"\."step" must be a string, got 3/,
      ],
    ];
    for (const [name, make, message] of cases) {
      it(name, () => {
        expect(() => decodeSafetensors(make(), 'bad.safetensors')).toThrow(message);
      });
    }
    it('sanity: the uncorrupted file reads', () => {
      expect(decodeSafetensors(good()).tensors['h.0.ln_1.weight'].data).toEqual(Float32Array.from([1, 2, 3, 4]));
    });
    it('reads from a Node Buffer inside a larger pool (whose slice() is a view, not a copy)', () => {
      const bytes = good();
      const pool = Buffer.alloc(bytes.length + 64);
      pool.set(bytes, 40);
      const decoded = decodeSafetensors(pool.subarray(40, 40 + bytes.length)).tensors['h.0.ln_1.weight'].data;
      expect(decoded).toEqual(Float32Array.from([1, 2, 3, 4]));
      expect(decoded.buffer.byteLength).toBe(16);
    });
    it('reads from a Uint8Array that is a view at an unaligned offset', () => {
      const bytes = good();
      const shifted = new Uint8Array(bytes.length + 3);
      shifted.set(bytes, 3);
      expect(decodeSafetensors(shifted.subarray(3)).tensors['h.0.ln_1.weight'].data).toEqual(
        Float32Array.from([1, 2, 3, 4]),
      );
    });
  });

  it('refuses to write data that does not match its shape or dtype', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      /tensor "w": shape \[2, 2\] holds 4 elements but data has 3/,
    );
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float64Array(2) } })).toThrow(
      /tensor "w": F32 data must be a Float32Array, got Float64Array/,
    );
    expect(() => encodeSafetensors({ w: { dtype: 'X' as Dtype, shape: [1], data: new Float32Array(1) } })).toThrow(
      /unknown dtype "X"/,
    );
  });
});

describe('gemstone checkpoint', () => {
  const state = (): CheckpointState => {
    const parameters = randomParameters(TINY, 1);
    return {
      config: TINY,
      step: 1234,
      rng: { seed: 42, state: 3735928559 },
      dataPosition: { epoch: 2, offset: 98765 },
      optimizer: {
        hyper: { learningRate: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
        m: randomParameters(TINY, 2),
        v: randomParameters(TINY, 3),
      },
      parameters,
      extra: { run: 'test', losses: [4.1, 3.9] },
    };
  };

  it('round-trips the whole training state', () => {
    const original = state();
    const bytes = encodeCheckpoint(original);
    const restored = decodeCheckpoint(bytes, 'run.ckpt.safetensors');
    expect(restored).toEqual(original);
    const { metadata, tensors } = decodeSafetensors(bytes);
    expect(metadata.format).toBe(CHECKPOINT_FORMAT);
    expect(metadata.format_version).toBe('1');
    expect(Object.keys(tensors)).toContain('optimizer.m.h.1.mlp.c_fc.weight');
    expect(Object.keys(tensors)).toContain('optimizer.v.wte.weight');
    expect(Object.keys(tensors)).toHaveLength(3 * parameterSpecs(TINY).length);
  });

  it('round-trips without an optimizer or extra (rng/data position undefined become null)', () => {
    const { optimizer: _o, extra: _e, ...rest } = state();
    const restored = decodeCheckpoint(
      encodeCheckpoint({ ...rest, rng: undefined, dataPosition: undefined }),
      'weights.safetensors',
    );
    expect(restored.optimizer).toBeUndefined();
    expect(restored.extra).toBeUndefined();
    expect(restored.rng).toBeNull();
    expect(restored.parameters).toEqual(rest.parameters);
  });

  it('names a missing or misshapen parameter or moment when writing', () => {
    const missing = state();
    delete missing.parameters['h.1.attn.c_proj.bias'];
    expect(() => encodeCheckpoint(missing)).toThrow(/missing parameter "h\.1\.attn\.c_proj\.bias"/);
    const misshapen = state();
    misshapen.parameters['ln_f.weight'] = new Float32Array(31);
    expect(() => encodeCheckpoint(misshapen)).toThrow(
      /parameter "ln_f\.weight" has 31 values, expected 32 for shape \[32\]/,
    );
    const badMoment = state();
    badMoment.optimizer!.v['wpe.weight'] = new Float32Array(5);
    expect(() => encodeCheckpoint(badMoment)).toThrow(/optimizer\.v moment "wpe\.weight" has 5 values/);
    expect(() => encodeCheckpoint({ ...state(), step: 1.5 })).toThrow(/step must be a non-negative integer/);
  });

  it('names a missing or misshapen tensor when reading', () => {
    const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(state()));
    const without = { ...tensors };
    delete without['optimizer.m.h.0.ln_2.bias'];
    expect(() => decodeCheckpoint(encodeSafetensors(without, metadata), 'run.safetensors')).toThrow(
      /^run\.safetensors: missing tensor "optimizer\.m\.h\.0\.ln_2\.bias"\.$/,
    );
    const reshaped = { ...tensors, 'wpe.weight': { ...tensors['wpe.weight'], shape: [16, 64] } };
    expect(() => decodeCheckpoint(encodeSafetensors(reshaped, metadata), 'run.safetensors')).toThrow(
      /tensor "wpe\.weight" has shape \[16, 64\], expected \[32, 32\]/,
    );
    const stray = { ...tensors, 'h.2.ln_1.weight': tensors['h.1.ln_1.weight'] };
    expect(() => decodeCheckpoint(encodeSafetensors(stray, metadata), 'run.safetensors')).toThrow(
      /unexpected tensor "h\.2\.ln_1\.weight"/,
    );
    const badConfig = { ...metadata, config: JSON.stringify({ ...TINY, heads: 3 }) };
    expect(() => decodeCheckpoint(encodeSafetensors(tensors, badConfig), 'run.safetensors')).toThrow(
      /run\.safetensors: metadata "config": Model config: width 32 is not a multiple of heads 3/,
    );
  });

  it('refuses a plain Hugging Face GPT-2 file and points to loadHfGpt2Weights', () => {
    const hf = encodeSafetensors(hfTensors(randomParameters(TINY, 4), 'transformer.'), { format: 'pt' });
    expect(() => decodeCheckpoint(hf, 'model.safetensors')).toThrow(
      new RegExp(
        /^model\.safetensors: not a gemstone checkpoint \(it has format "pt", /.source +
          /expected "gemstone-checkpoint"\)\. It looks like a Hugging Face GPT-2 weights file: /.source +
          /load its weights with loadHfGpt2Weights/.source,
      ),
    );
    expect(() => decodeCheckpoint(encodeSafetensors({}), 'empty.safetensors')).toThrow(
      /empty\.safetensors: not a gemstone checkpoint \(it has no "format" in its metadata/,
    );
  });

  it('refuses another format version', () => {
    const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(state()));
    expect(() =>
      decodeCheckpoint(encodeSafetensors(tensors, { ...metadata, format_version: '2' }), 'future.safetensors'),
    ).toThrow(
      /^future\.safetensors: gemstone checkpoint format_version "2" is not supported; this gemstone reads version 1\.$/,
    );
  });
});

/** HF GPT-2 layout: optional prefix, causal-mask buffers per block, a tied lm_head. */
function hfTensors(
  parameters: Record<string, Float32Array>,
  prefix: string,
  dtype: 'F32' | 'F16' = 'F32',
): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const spec of parameterSpecs(TINY))
    tensors[prefix + spec.name] = { dtype, shape: spec.shape, data: parameters[spec.name] };
  for (let l = 0; l < TINY.layers; l++) {
    const T = TINY.contextLength;
    tensors[`${prefix}h.${l}.attn.bias`] = { dtype: 'F32', shape: [1, 1, T, T], data: new Float32Array(T * T).fill(1) };
    tensors[`${prefix}h.${l}.attn.masked_bias`] = { dtype: 'F32', shape: [], data: Float32Array.from([-1e4]) };
  }
  tensors['lm_head.weight'] = { dtype, shape: [TINY.vocabSize, TINY.width], data: parameters['wte.weight'] };
  return tensors;
}

describe('Hugging Face GPT-2 weights', () => {
  it('loads a "transformer."-prefixed file, skipping the mask buffers and the tied head', () => {
    const parameters = randomParameters(TINY, 5);
    const loaded = loadHfGpt2Weights(
      encodeSafetensors(hfTensors(parameters, 'transformer.'), { format: 'pt' }),
      'model.safetensors',
    );
    expect(loaded.config).toEqual(TINY); // heads from the tiny preset
    expect(loaded.parameters).toEqual(parameters);
    expect(loaded.skipped.sort()).toEqual([
      'lm_head.weight',
      'transformer.h.0.attn.bias',
      'transformer.h.0.attn.masked_bias',
      'transformer.h.1.attn.bias',
      'transformer.h.1.attn.masked_bias',
    ]);
  });

  it('loads an unprefixed F16 file as Float32Array', () => {
    const parameters = randomParameters(TINY, 6);
    const loaded = loadHfGpt2Weights(encodeSafetensors(hfTensors(parameters, '', 'F16')), 'half.safetensors', {
      heads: 4,
    });
    expect(loaded.config).toEqual({ ...TINY, heads: 4 });
    const wte = loaded.parameters['wte.weight'];
    expect(wte).toBeInstanceOf(Float32Array);
    expectSame(wte, fromFloat16Bits(toFloat16Bits(parameters['wte.weight'])));
  });

  it("checks a given config against the shapes and infers heads from GPT-2's head size", () => {
    const bytes = encodeSafetensors(hfTensors(randomParameters(TINY, 7), 'transformer.'));
    expect(() => loadHfGpt2Weights(bytes, 'model.safetensors', { contextLength: 1024 })).toThrow(
      /model\.safetensors: the file's contextLength is 32 \(from the tensor shapes\) but the given config says 1024/,
    );
    expect(() => loadHfGpt2Weights(bytes, 'model.safetensors', { heads: 5 })).toThrow(
      /width 32 is not a multiple of heads 5/,
    );
    // Not a preset's shape and width not a multiple of 64: heads must be given.
    const odd = hfTensors(randomParameters(TINY, 7), '');
    odd['wpe.weight'] = { dtype: 'F32', shape: [8, 32], data: new Float32Array(8 * 32) };
    expect(() => loadHfGpt2Weights(encodeSafetensors(odd), 'odd.safetensors')).toThrow(
      /cannot tell the number of heads for width 32.*pass config\.heads/,
    );
    expect(loadHfGpt2Weights(encodeSafetensors(odd), 'odd.safetensors', { heads: 2 }).config).toEqual({
      ...TINY,
      contextLength: 8,
    });
  });

  it('names what is missing, and refuses a gemstone checkpoint', () => {
    const tensors = hfTensors(randomParameters(TINY, 8), 'transformer.');
    delete tensors['transformer.h.1.mlp.c_proj.weight'];
    expect(() => loadHfGpt2Weights(encodeSafetensors(tensors), 'model.safetensors')).toThrow(
      /missing tensor "h\.1\.mlp\.c_proj\.weight"/,
    );
    const checkpoint = encodeCheckpoint({
      config: TINY,
      step: 0,
      rng: null,
      dataPosition: null,
      parameters: randomParameters(TINY, 9),
    });
    expect(() => loadHfGpt2Weights(checkpoint, 'run.safetensors')).toThrow(
      /this is a gemstone checkpoint, not a Hugging Face GPT-2 file; read it with decodeCheckpoint/,
    );
  });

  const goldenFixtureTitle =
    'reads the golden GPT-2 fixture (scripts/golden/make_gpt2_fixture.py) and writes it back byte for byte';
  it(goldenFixtureTitle, async () => {
    const bytes = await fixture('gpt2-tiny-golden.safetensors');
    const { tensors, metadata } = decodeSafetensors(bytes, 'gpt2-tiny-golden.safetensors');
    expect(JSON.parse(metadata.config)).toEqual(TINY);
    for (const spec of parameterSpecs(TINY)) {
      expect(tensors[spec.name].shape, spec.name).toEqual(spec.shape);
      expect(tensors[`expected.grad.${spec.name}`].shape, spec.name).toEqual(spec.shape);
    }
    expect(tensors['inputs.tokens']).toMatchObject({ dtype: 'I32', shape: [2, 7] });
    expect(tensors['expected.logits'].shape).toEqual([2, 7, 64]);
    expect(tensors['expected.loss'].data[0]).toBeCloseTo(Number(metadata.loss_float64), 6);
    expectBytes(encodeSafetensors(tensors, metadata), bytes);
    // Its parameters alone are an HF GPT-2 file.
    const weightsOnly = Object.fromEntries(parameterSpecs(TINY).map((spec) => [spec.name, tensors[spec.name]]));
    expect(loadHfGpt2Weights(encodeSafetensors(weightsOnly), 'golden').config).toEqual(TINY);
  });
});

describe('checkpoint files', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'gemstone-checkpoint-'));
    fsFault.failAt = null;
  });
  afterEach(async () => {
    fsFault.failAt = null;
    await rm(directory, { recursive: true, force: true });
  });

  it('writes atomically, replaces the old file and leaves no temporary file', async () => {
    const path = join(directory, 'run.safetensors');
    await writeFile(path, 'old');
    const bytes = encodeCheckpoint({
      config: TINY,
      step: 3,
      rng: null,
      dataPosition: null,
      parameters: randomParameters(TINY, 10),
    });
    await writeFileAtomic(path, bytes);
    expect(await readdir(directory)).toEqual(['run.safetensors']);
    const back = await readFileBytes(path);
    expectBytes(back, bytes);
    expect(decodeCheckpoint(back, path).step).toBe(3);
  });

  for (const failAt of ['write', 'rename'] as const) {
    it(`keeps the old file and removes the temporary one when the ${failAt} fails`, async () => {
      const path = join(directory, 'run.safetensors');
      await writeFile(path, 'previous checkpoint');
      fsFault.failAt = failAt;
      await expect(writeFileAtomic(path, new Uint8Array(1000).fill(7))).rejects.toThrow(/ENOSPC/);
      fsFault.failAt = null;
      expect(await readdir(directory)).toEqual(['run.safetensors']);
      expect(await readFile(path, 'utf8')).toBe('previous checkpoint');
    });
  }
});
