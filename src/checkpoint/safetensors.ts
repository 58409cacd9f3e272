// The safetensors format, read and written in plain TypeScript (no runtime-specific code):
//
//   [8 bytes]  N, the header length, unsigned 64-bit little-endian
//   [N bytes]  a UTF-8 JSON object {name: {dtype, shape, data_offsets: [begin, end]},
//              "__metadata__": {string: string}}, padded with spaces so that the data starts on an 8-byte boundary
//   [rest]     the tensors' raw little-endian bytes, row-major; offsets count from the start of this part
//
// Writing follows the reference implementation (huggingface/safetensors, `prepare` in tensor.rs):
// tensors sorted by descending dtype alignment then by name, compact JSON with "__metadata__" first,
// each entry's keys in the order dtype, shape, data_offsets. So the same tensors give the same bytes.
// Reading checks everything and throws one SafetensorsError naming the source and the field at fault.

export type Dtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/**
 * What each dtype decodes to. F16 and BF16 decode to Float32Array (exact: every such value is an f32);
 * to encode them, give a Float32Array/Float64Array (rounded to nearest even) or a Uint16Array of raw bits.
 */
export interface DtypeArrays {
  F64: Float64Array;
  F32: Float32Array;
  F16: Float32Array;
  BF16: Float32Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

export type TensorData = DtypeArrays[Dtype];

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData | Uint16Array | Float64Array;
}

/** A decoded tensor: `data` is always the array type of DtypeArrays[dtype], a fresh copy of the file's bytes. */
export interface DecodedTensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

export interface Safetensors {
  tensors: Record<string, DecodedTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Bytes per element, in the reference's order of increasing alignment (the order matters for writing). */
const DTYPE_SIZES: [Dtype, number][] = [
  ['BOOL', 1],
  ['U8', 1],
  ['I8', 1],
  ['I16', 2],
  ['U16', 2],
  ['F16', 2],
  ['BF16', 2],
  ['I32', 4],
  ['U32', 4],
  ['F32', 4],
  ['F64', 8],
  ['I64', 8],
  ['U64', 8],
];
const DTYPE_SIZE = new Map<string, number>(DTYPE_SIZES);
const DTYPE_RANK = new Map<string, number>(DTYPE_SIZES.map(([dtype], i) => [dtype, i]));
/**
 * Dtypes of the format that this reader does not decode, named in the error
 * so it reads as "not supported", not "garbage".
 */
const KNOWN_UNSUPPORTED = ['F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64'];

/** The reference refuses headers above 100 MB; so do we (a corrupt length would otherwise allocate wildly). */
export const MAX_HEADER_BYTES = 100_000_000;
export const METADATA_KEY = '__metadata__';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function dtypeSize(dtype: Dtype): number {
  return DTYPE_SIZE.get(dtype)!;
}

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && DTYPE_SIZE.has(value);
}

// ---------------------------------------------------------------------------------------------
// Writing

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = Object.entries(tensors).map(([name, tensor]) => ({ name, tensor, bytes: tensorBytes(name, tensor) }));
  // Descending dtype alignment, then name (as the reference does),
  // so every tensor's data is aligned to its element size.
  entries.sort(
    (a, b) =>
      DTYPE_RANK.get(b.tensor.dtype)! - DTYPE_RANK.get(a.tensor.dtype)! ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string')
        throw new SafetensorsError(`safetensors metadata "${key}" must be a string, got ${typeof value}.`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const { name, tensor, bytes } of entries) {
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.byteLength / 8) * 8;

  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true); // N < 2^32: the high word stays 0
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength); // spaces, as the reference pads
  let at = 8 + headerLength;
  for (const { bytes } of entries) {
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

function tensorBytes(name: string, tensor: Tensor): Uint8Array {
  const where = `safetensors: tensor "${name}"`;
  if (name === METADATA_KEY) throw new SafetensorsError(`${where}: the name is reserved for the metadata.`);
  if (!isDtype(tensor.dtype))
    throw new SafetensorsError(
      `${where}: unknown dtype ${JSON.stringify(tensor.dtype)} (known: ${DTYPE_SIZES.map(([d]) => d).join(', ')}).`,
    );
  if (!Array.isArray(tensor.shape) || !tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      `${where}: shape ${JSON.stringify(tensor.shape)} must be an array of non-negative integers.`,
    );
  }
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== count) {
    throw new SafetensorsError(
      `${where}: shape [${tensor.shape.join(', ')}] holds ${count} elements but data has ${tensor.data.length}.`,
    );
  }
  const { dtype, data } = tensor;
  let array: ArrayBufferView;
  if (dtype === 'F16' || dtype === 'BF16') {
    if (data instanceof Uint16Array) array = data;
    else if (data instanceof Float32Array || data instanceof Float64Array)
      array = (dtype === 'F16' ? toFloat16Bits : toBfloat16Bits)(data);
    else
      throw new SafetensorsError(
        `${where}: ${dtype} data must be a Float32Array, Float64Array or Uint16Array (raw bits), ` +
          `got ${data.constructor.name}.`,
      );
  } else {
    const expected = ARRAY_TYPES[dtype];
    if (!(data instanceof expected))
      throw new SafetensorsError(`${where}: ${dtype} data must be a ${expected.name}, got ${data.constructor.name}.`);
    array = data;
  }
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return LITTLE_ENDIAN ? bytes : swapBytes(new Uint8Array(bytes), dtypeSize(dtype));
}

type ArrayType = { new (buffer: ArrayBuffer): ArrayBufferView; readonly name: string };

const ARRAY_TYPES: Record<Exclude<Dtype, 'F16' | 'BF16'>, ArrayType> = {
  F64: Float64Array,
  F32: Float32Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

// ---------------------------------------------------------------------------------------------
// Reading

export function decodeSafetensors(bytes: Uint8Array, source = '<bytes>'): Safetensors {
  function fail(message: string): never {
    throw new SafetensorsError(`${source}: ${message}`);
  }
  if (bytes.byteLength < 8)
    fail(`not a safetensors file: ${bytes.byteLength} bytes, too short for the 8-byte header length.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const headerLength = high * 2 ** 32 + low;
  if (headerLength > MAX_HEADER_BYTES)
    fail(
      `header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file, or corrupt).`,
    );
  if (8 + headerLength > bytes.byteLength)
    fail(
      `header length ${headerLength} runs past the end of the file (file size ${bytes.byteLength}); ` +
        'the file is truncated or not safetensors.',
    );

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('header is not valid UTF-8.');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fail(`header is not valid JSON (${(error as Error).message}).`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail('header JSON must be an object of tensors.');

  const dataStart = 8 + headerLength;
  const dataSize = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const infos: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];

  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    // A tensor named "__proto__" would set the prototype of the result.
    if (name === '__proto__') fail('a tensor named "__proto__" is not allowed.');
    if (name === METADATA_KEY) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
        fail(`"${METADATA_KEY}" must be an object of strings.`);
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== 'string')
          fail(`"${METADATA_KEY}"."${key}" must be a string, got ${JSON.stringify(value)}.`);
        if (key === '__proto__') fail(`"${METADATA_KEY}" may not have a "__proto__" key.`);
        metadata[key] = value as string;
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      fail(`${where}: entry must be an object {dtype, shape, data_offsets}.`);
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (!isDtype(dtype)) {
      if (typeof dtype === 'string' && KNOWN_UNSUPPORTED.includes(dtype))
        fail(`${where}: dtype ${dtype} is not supported here (supported: ${DTYPE_SIZES.map(([d]) => d).join(', ')}).`);
      fail(`${where}: unknown dtype ${JSON.stringify(dtype)} (known: ${DTYPE_SIZES.map(([d]) => d).join(', ')}).`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`${where}: shape ${JSON.stringify(shape)} must be an array of non-negative integers.`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`${where}: data_offsets ${JSON.stringify(offsets)} must be [begin, end], two non-negative integers.`);
    }
    const [begin, end] = offsets as number[];
    if (end < begin) fail(`${where}: data_offsets end ${end} is before begin ${begin}.`);
    if (end > dataSize)
      fail(
        `${where}: data_offsets end ${end} exceeds the data size ${dataSize} ` +
          `(file size ${bytes.byteLength}, header ${8 + headerLength} bytes); the file is truncated.`,
      );
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = count * dtypeSize(dtype as Dtype);
    if (end - begin !== expected) {
      fail(
        `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, ` +
          `but shape [${(shape as number[]).join(', ')}] of ${dtype} ` +
          `needs ${count} × ${dtypeSize(dtype as Dtype)} = ${expected}.`,
      );
    }
    infos.push({ name, dtype: dtype as Dtype, shape: shape as number[], begin, end });
  }

  // The tensors, in file order, must tile the data exactly: no gap, no overlap, nothing after the last.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (let i = 0; i < infos.length; i++) {
    const info = infos[i];
    if (info.begin < cursor)
      fail(
        `tensor "${info.name}": data_offsets [${info.begin}, ${info.end}] ` +
          `overlap tensor "${infos[i - 1].name}" (which ends at ${cursor}).`,
      );
    if (info.begin > cursor)
      fail(
        `tensor "${info.name}": data_offsets begin ${info.begin} leaves a gap after byte ${cursor}` +
          `${i > 0 ? ` (end of tensor "${infos[i - 1].name}")` : ''}; tensors must be contiguous.`,
      );
    cursor = info.end;
  }
  if (cursor !== dataSize)
    fail(
      `the tensors cover ${cursor} bytes of data but the file has ${dataSize} after the header ` +
        `(${dataSize - cursor} unexplained bytes).`,
    );

  const tensors: Record<string, DecodedTensor> = {};
  for (const { name, dtype, shape, begin, end } of infos) {
    tensors[name] = { dtype, shape, data: decodeData(dtype, bytes.subarray(dataStart + begin, dataStart + end)) };
  }
  return { tensors, metadata };
}

function decodeData(dtype: Dtype, raw: Uint8Array): TensorData {
  // A fresh, aligned copy that owns its buffer (not raw.slice(): on a Node Buffer that is a view).
  const copy = new Uint8Array(raw);
  if (!LITTLE_ENDIAN) swapBytes(copy, dtypeSize(dtype));
  if (dtype === 'F16') return fromFloat16Bits(new Uint16Array(copy.buffer));
  if (dtype === 'BF16') return fromBfloat16Bits(new Uint16Array(copy.buffer));
  return new ARRAY_TYPES[dtype](copy.buffer) as TensorData;
}

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  if (size > 1) for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// 16-bit floats

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function fromBfloat16Bits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

/** Round to nearest even; NaN stays a (quiet) NaN. */
export function toBfloat16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    if ((x & 0x7fffffff) > 0x7f800000) out[i] = (x >>> 16) | 0x0040;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

export function fromFloat16Bits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) out[i] = sign * mantissa * 2 ** -24;
    else if (exponent === 0x1f) out[i] = mantissa === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

/**
 * Round to nearest even (from the f32 value, as PyTorch's .half() does),
 * with subnormals, overflow to ±Inf, NaN kept.
 */
export function toFloat16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exponent = (x >>> 23) & 0xff;
    const mantissa = x & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa ? 0x200 : 0);
      continue;
    }
    const e = exponent - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign; // below half the smallest subnormal: ±0
        continue;
      }
      const m = mantissa | 0x800000; // with the implicit 1
      const shift = 14 - e; // 24-bit significand down to the subnormal's 10 bits
      const half = 1 << (shift - 1);
      const rest = m & ((1 << shift) - 1);
      let h = m >>> shift;
      if (rest > half || (rest === half && h & 1)) h += 1;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mantissa >>> 13);
      const rest = mantissa & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h += 1; // a carry into the exponent is still right (up to Inf)
      out[i] = sign | h;
    }
  }
  return out;
}
