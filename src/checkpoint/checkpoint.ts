// gemstone's checkpoint: the whole training state in one safetensors file, behind a format name and version.
//
//   __metadata__   format = "gemstone-checkpoint", format_version = "1",
//                  config (JSON ModelConfig), step (integer), rng (JSON), data_position (JSON),
//                  optimizer (JSON of AdamW hyper-parameters; only with moments), extra (free JSON; optional)
//   tensors        every parameter under its Hugging Face GPT-2 name (F32, parameterSpecs order),
//                  AdamW moments under optimizer.m.<name> and optimizer.v.<name> (F32)
//
// Parameters keep HF names, so a checkpoint's weights read like an HF GPT-2 file (but not the reverse:
// a plain HF file is no checkpoint; loadHfGpt2Weights reads those).
import { elementCount, parameterSpecs, PRESETS, validateConfig, type ModelConfig } from '../model/config.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  type DecodedTensor,
  type Safetensors,
  type Tensor,
} from './safetensors.ts';

export const CHECKPOINT_FORMAT = 'gemstone-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const MOMENT_PREFIX = { m: 'optimizer.m.', v: 'optimizer.v.' } as const;

export interface CheckpointState {
  config: ModelConfig;
  /** Optimizer steps taken. */
  step: number;
  /** The RNG state, JSON-serialisable (undefined is stored as null). */
  rng: unknown;
  /** Where the data loader is, JSON-serialisable (undefined is stored as null). */
  dataPosition: unknown;
  /** AdamW: hyper-parameters and the first (m) and second (v) moments, by parameter name. */
  optimizer?: { hyper: Record<string, number>; m: Record<string, Float32Array>; v: Record<string, Float32Array> };
  /** By Hugging Face GPT-2 name, as parameterSpecs(config). */
  parameters: Record<string, Float32Array>;
  /** Anything else the caller wants back (JSON-serialisable). */
  extra?: unknown;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

// ---------------------------------------------------------------------------------------------
// Writing

export function encodeCheckpoint(state: CheckpointState): Uint8Array {
  const where = 'encodeCheckpoint';
  const config = checkedConfig(state.config, where);
  if (!Number.isSafeInteger(state.step) || state.step < 0)
    throw new CheckpointError(`${where}: step must be a non-negative integer, got ${state.step}.`);
  const specs = parameterSpecs(config);
  checkTensors(state.parameters, specs, 'parameter', where);

  const tensors: Record<string, Tensor> = {};
  for (const { name, shape } of specs) tensors[name] = { dtype: 'F32', shape, data: state.parameters[name] };
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    config: JSON.stringify({
      vocabSize: config.vocabSize,
      contextLength: config.contextLength,
      width: config.width,
      layers: config.layers,
      heads: config.heads,
    }),
    step: String(state.step),
    rng: toJson(state.rng, 'rng', where),
    data_position: toJson(state.dataPosition, 'dataPosition', where),
  };
  if (state.optimizer !== undefined) {
    const { hyper, m, v } = state.optimizer;
    checkHyper(hyper, where);
    metadata.optimizer = JSON.stringify(hyper);
    for (const [key, moments] of [
      ['m', m],
      ['v', v],
    ] as const) {
      checkTensors(moments, specs, `optimizer.${key} moment`, where);
      for (const { name, shape } of specs)
        tensors[MOMENT_PREFIX[key] + name] = { dtype: 'F32', shape, data: moments[name] };
    }
  }
  if (state.extra !== undefined) metadata.extra = toJson(state.extra, 'extra', where);
  return encodeSafetensors(tensors, metadata);
}

// ---------------------------------------------------------------------------------------------
// Reading

export function decodeCheckpoint(bytes: Uint8Array, source = '<bytes>'): CheckpointState {
  const file = decodeSafetensors(bytes, source);
  const { metadata, tensors } = file;
  if (metadata.format !== CHECKPOINT_FORMAT) {
    const found =
      metadata.format === undefined
        ? 'has no "format" in its metadata'
        : `has format ${JSON.stringify(metadata.format)}`;
    const hint = looksLikeHfGpt2(file)
      ? ' It looks like a Hugging Face GPT-2 weights file: ' +
        `load its weights with loadHfGpt2Weights(bytes, ${JSON.stringify(source)}) and start training from them.`
      : '';
    throw new CheckpointError(
      `${source}: not a gemstone checkpoint (it ${found}, expected "${CHECKPOINT_FORMAT}").${hint}`,
    );
  }
  if (metadata.format_version !== String(CHECKPOINT_VERSION)) {
    throw new CheckpointError(
      `${source}: gemstone checkpoint format_version ${JSON.stringify(metadata.format_version ?? null)} ` +
        `is not supported; this gemstone reads version ${CHECKPOINT_VERSION}.`,
    );
  }
  const config = checkedConfig(parseJson(metadata, 'config', source), `${source}: metadata "config"`);
  const step = Number(metadata.step);
  if (metadata.step === undefined || !/^\d+$/.test(metadata.step) || !Number.isSafeInteger(step)) {
    throw new CheckpointError(
      `${source}: metadata "step" must be a non-negative integer, got ${JSON.stringify(metadata.step ?? null)}.`,
    );
  }
  const rng = parseJson(metadata, 'rng', source);
  const dataPosition = parseJson(metadata, 'data_position', source);
  const extra = metadata.extra === undefined ? undefined : parseJson(metadata, 'extra', source);

  const specs = parameterSpecs(config);
  const parameters = takeF32(tensors, specs, '', source);
  let optimizer: CheckpointState['optimizer'];
  if (metadata.optimizer !== undefined) {
    const hyper = parseJson(metadata, 'optimizer', source) as Record<string, number>;
    checkHyper(hyper, `${source}: metadata "optimizer"`);
    optimizer = {
      hyper,
      m: takeF32(tensors, specs, MOMENT_PREFIX.m, source),
      v: takeF32(tensors, specs, MOMENT_PREFIX.v, source),
    };
  }
  const leftover = Object.keys(tensors).filter((name) => !isExpected(name, specs, optimizer !== undefined));
  if (leftover.length > 0) {
    throw new CheckpointError(
      `${source}: unexpected tensor${leftover.length > 1 ? 's' : ''} ${list(leftover)} ` +
        `(not a parameter${optimizer ? ' or moment' : ''} of config ${JSON.stringify(config)}).`,
    );
  }
  return { config, step, rng, dataPosition, optimizer, parameters, extra };
}

function isExpected(name: string, specs: { name: string }[], withMoments: boolean): boolean {
  const base = withMoments ? name.replace(/^optimizer\.[mv]\./, '') : name;
  return specs.some((spec) => spec.name === base);
}

// ---------------------------------------------------------------------------------------------
// Hugging Face GPT-2 weights

export interface HfGpt2Weights {
  /** The config the shapes imply (heads from the given config, a matching preset, or GPT-2's head size 64). */
  config: ModelConfig;
  /** By gemstone (= HF, unprefixed) name, as parameterSpecs(config). */
  parameters: Record<string, Float32Array>;
  /** Tensors in the file that were deliberately not loaded (causal-mask buffers, the tied lm_head). */
  skipped: string[];
}

const HF_PREFIX = 'transformer.';
/** Causal-mask buffers saved by older transformers versions, and the output head, which GPT-2 ties to wte. */
const HF_SKIPPED = /(^|\.)attn\.(bias|masked_bias)$|^lm_head\.weight$/;

/**
 * Reads a Hugging Face GPT-2 safetensors file (keys with or without the "transformer." prefix; F32, F16, BF16 or F64).
 * The config's vocab, context, width and layers come from the shapes; any given in `config` must agree.
 * GPT-2 files do not record the head count: it comes from `config.heads`, else a preset of the same shape,
 * else width / 64 (every released GPT-2 uses 64-wide heads).
 */
export function loadHfGpt2Weights(
  bytes: Uint8Array,
  source = '<bytes>',
  config: Partial<ModelConfig> = {},
): HfGpt2Weights {
  const file = decodeSafetensors(bytes, source);
  if (file.metadata.format === CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      `${source}: this is a gemstone checkpoint, not a Hugging Face GPT-2 file; ` +
        `read it with decodeCheckpoint(bytes, ${JSON.stringify(source)}).`,
    );
  }
  const tensors: Record<string, DecodedTensor> = {};
  const skipped: string[] = [];
  for (const [key, tensor] of Object.entries(file.tensors)) {
    const name = key.startsWith(HF_PREFIX) ? key.slice(HF_PREFIX.length) : key;
    if (HF_SKIPPED.test(name)) {
      skipped.push(key);
      continue;
    }
    if (name in tensors)
      throw new CheckpointError(`${source}: tensor "${name}" appears both with and without the "${HF_PREFIX}" prefix.`);
    tensors[name] = tensor;
  }

  const wte = tensors['wte.weight'];
  const wpe = tensors['wpe.weight'];
  if (wte === undefined || wpe === undefined) {
    throw new CheckpointError(
      `${source}: not a GPT-2 weights file: no ${wte === undefined ? '"wte.weight"' : '"wpe.weight"'} tensor ` +
        `(with or without the "${HF_PREFIX}" prefix).`,
    );
  }
  if (wte.shape.length !== 2 || wpe.shape.length !== 2) {
    throw new CheckpointError(
      `${source}: wte.weight [${wte.shape.join(', ')}] and wpe.weight [${wpe.shape.join(', ')}] must both be matrices.`,
    );
  }
  const layerIndices = Object.keys(tensors)
    .map((name) => /^h\.(\d+)\./.exec(name)?.[1])
    .filter((index): index is string => index !== undefined)
    .map(Number);
  const inferred = {
    vocabSize: wte.shape[0],
    contextLength: wpe.shape[0],
    width: wte.shape[1],
    layers: layerIndices.length === 0 ? 0 : Math.max(...layerIndices) + 1,
  };
  for (const key of ['vocabSize', 'contextLength', 'width', 'layers'] as const) {
    if (config[key] !== undefined && config[key] !== inferred[key]) {
      throw new CheckpointError(
        `${source}: the file's ${key} is ${inferred[key]} (from the tensor shapes) ` +
          `but the given config says ${config[key]}.`,
      );
    }
  }
  if (inferred.layers === 0) throw new CheckpointError(`${source}: no transformer blocks (no "h.<n>." tensors).`);
  const heads = config.heads ?? presetHeads(inferred) ?? (inferred.width % 64 === 0 ? inferred.width / 64 : undefined);
  if (heads === undefined) {
    throw new CheckpointError(
      `${source}: cannot tell the number of heads for width ${inferred.width} ` +
        "(not a preset's shape, not a multiple of 64): pass config.heads.",
    );
  }
  const full = checkedConfig({ ...inferred, heads }, source);
  const specs = parameterSpecs(full);
  const parameters = takeF32(tensors, specs, '', source);
  const leftover = Object.keys(tensors).filter((name) => !specs.some((spec) => spec.name === name));
  if (leftover.length > 0)
    throw new CheckpointError(
      `${source}: unexpected tensor${leftover.length > 1 ? 's' : ''} ${list(leftover)} (not a GPT-2 parameter).`,
    );
  return { config: full, parameters, skipped };
}

function presetHeads(shape: Omit<ModelConfig, 'heads'>): number | undefined {
  return Object.values(PRESETS).find(
    (p) =>
      p.vocabSize === shape.vocabSize &&
      p.contextLength === shape.contextLength &&
      p.width === shape.width &&
      p.layers === shape.layers,
  )?.heads;
}

function looksLikeHfGpt2(file: Safetensors): boolean {
  return 'wte.weight' in file.tensors || `${HF_PREFIX}wte.weight` in file.tensors;
}

// ---------------------------------------------------------------------------------------------
// Checks shared by reading and writing

function checkedConfig(config: unknown, where: string): ModelConfig {
  if (config === null || typeof config !== 'object')
    throw new CheckpointError(`${where}: config must be an object, got ${JSON.stringify(config)}.`);
  try {
    return validateConfig(config as ModelConfig);
  } catch (error) {
    throw new CheckpointError(`${where}: ${(error as Error).message}`);
  }
}

/** Every spec present (name = prefix + spec name) as F32 (F16/BF16/F64 converted) of the spec's shape. */
function takeF32(
  tensors: Record<string, DecodedTensor>,
  specs: { name: string; shape: number[] }[],
  prefix: string,
  source: string,
): Record<string, Float32Array> {
  const missing = specs.map((spec) => prefix + spec.name).filter((name) => !(name in tensors));
  if (missing.length > 0)
    throw new CheckpointError(`${source}: missing tensor${missing.length > 1 ? 's' : ''} ${list(missing)}.`);
  const out: Record<string, Float32Array> = {};
  for (const spec of specs) {
    const name = prefix + spec.name;
    const tensor = tensors[name];
    if (!sameShape(tensor.shape, spec.shape)) {
      throw new CheckpointError(
        `${source}: tensor "${name}" has shape [${tensor.shape.join(', ')}], expected [${spec.shape.join(', ')}].`,
      );
    }
    const { data } = tensor;
    if (data instanceof Float32Array) out[spec.name] = data;
    else if (data instanceof Float64Array) out[spec.name] = Float32Array.from(data);
    else
      throw new CheckpointError(
        `${source}: tensor "${name}" has dtype ${tensor.dtype}; expected a float (F32, F16, BF16 or F64).`,
      );
  }
  return out;
}

function checkTensors(
  arrays: Record<string, Float32Array> | undefined,
  specs: { name: string; shape: number[] }[],
  what: string,
  where: string,
): void {
  if (arrays === null || typeof arrays !== 'object')
    throw new CheckpointError(`${where}: ${what}s must be an object of Float32Array by name.`);
  const missing = specs.filter((spec) => !(spec.name in arrays)).map((spec) => spec.name);
  if (missing.length > 0)
    throw new CheckpointError(`${where}: missing ${what}${missing.length > 1 ? 's' : ''} ${list(missing)}.`);
  for (const spec of specs) {
    const data = arrays[spec.name];
    const count = elementCount(spec.shape);
    if (!(data instanceof Float32Array))
      throw new CheckpointError(`${where}: ${what} "${spec.name}" must be a Float32Array, got ${describe(data)}.`);
    if (data.length !== count)
      throw new CheckpointError(
        `${where}: ${what} "${spec.name}" has ${data.length} values, ` +
          `expected ${count} for shape [${spec.shape.join(', ')}].`,
      );
  }
  const known = new Set(specs.map((spec) => spec.name));
  const extra = Object.keys(arrays).filter((name) => !known.has(name));
  if (extra.length > 0)
    throw new CheckpointError(
      `${where}: unknown ${what}${extra.length > 1 ? 's' : ''} ${list(extra)} (not in parameterSpecs of the config).`,
    );
}

function checkHyper(hyper: unknown, where: string): void {
  if (hyper === null || typeof hyper !== 'object' || Array.isArray(hyper))
    throw new CheckpointError(`${where}: optimizer hyper-parameters must be an object of numbers.`);
  for (const [key, value] of Object.entries(hyper)) {
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new CheckpointError(
        `${where}: optimizer hyper-parameter "${key}" must be a finite number, got ${JSON.stringify(value)}.`,
      );
  }
}

function toJson(value: unknown, field: string, where: string): string {
  try {
    return JSON.stringify(value ?? null);
  } catch (error) {
    throw new CheckpointError(`${where}: ${field} is not JSON-serialisable (${(error as Error).message}).`);
  }
}

function parseJson(metadata: Record<string, string>, key: string, source: string): unknown {
  const text = metadata[key];
  if (text === undefined) throw new CheckpointError(`${source}: metadata "${key}" is missing.`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`${source}: metadata "${key}" is not valid JSON (${(error as Error).message}).`);
  }
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function describe(value: unknown): string {
  return value === null || value === undefined ? String(value) : ((value as object).constructor?.name ?? typeof value);
}

function list(names: string[], max = 8): string {
  const shown = names
    .slice(0, max)
    .map((n) => `"${n}"`)
    .join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
