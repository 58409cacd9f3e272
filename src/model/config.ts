// GPT-2's architecture: configuration, presets, and the parameter layout with
// Hugging Face GPT-2 safetensors names and shapes, so such a checkpoint loads as it is.
// Linear weights are stored [in, out] as in HF's Conv1D: y = x · W + b.

export interface ModelConfig {
  /** Vocabulary size V. */
  vocabSize: number;
  /** Context length T (learned positions). */
  contextLength: number;
  /** Width C (n_embd). */
  width: number;
  /** Number of blocks L. */
  layers: number;
  /** Number of heads H; width must be a multiple of it. */
  heads: number;
}

export const PRESETS = {
  /** For tests: well under 100k parameters. */
  tiny: { vocabSize: 64, contextLength: 32, width: 32, layers: 2, heads: 2 },
  /** The demo default: about 1M parameters. */
  small: { vocabSize: 64, contextLength: 128, width: 128, layers: 5, heads: 4 },
  /** GPT-2 small (124M), for real GPUs. */
  'gpt2-124m': { vocabSize: 50257, contextLength: 1024, width: 768, layers: 12, heads: 12 },
} as const satisfies Record<string, ModelConfig>;

export type PresetName = keyof typeof PRESETS;

export const LAYER_NORM_EPS = 1e-5;

export function presetConfig(name: string, overrides: Partial<ModelConfig> = {}): ModelConfig {
  const preset = (PRESETS as Record<string, ModelConfig>)[name];
  if (preset === undefined) throw new Error(`Unknown preset "${name}" (known: ${Object.keys(PRESETS).join(', ')}).`);
  return validateConfig({ ...preset, ...overrides });
}

export function validateConfig(config: ModelConfig): ModelConfig {
  for (const key of ['vocabSize', 'contextLength', 'width', 'layers', 'heads'] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`Model config: ${key} must be a positive integer, got ${value}.`);
  }
  if (config.width % config.heads !== 0)
    throw new Error(`Model config: width ${config.width} is not a multiple of heads ${config.heads}.`);
  return config;
}

export interface ParameterSpec {
  /** Hugging Face GPT-2 name, e.g. "h.0.attn.c_attn.weight". */
  name: string;
  shape: number[];
  /** AdamW weight decay applies to matrices (embeddings and linear weights), not to biases or LayerNorm. */
  decay: boolean;
}

/** Every parameter in a fixed order (the order of the parameter arena). */
export function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  const { vocabSize: V, contextLength: T, width: C, layers: L } = config;
  const specs: ParameterSpec[] = [
    { name: 'wte.weight', shape: [V, C], decay: true },
    { name: 'wpe.weight', shape: [T, C], decay: true },
  ];
  for (let l = 0; l < L; l++) {
    const p = `h.${l}.`;
    specs.push(
      { name: `${p}ln_1.weight`, shape: [C], decay: false },
      { name: `${p}ln_1.bias`, shape: [C], decay: false },
      { name: `${p}attn.c_attn.weight`, shape: [C, 3 * C], decay: true },
      { name: `${p}attn.c_attn.bias`, shape: [3 * C], decay: false },
      { name: `${p}attn.c_proj.weight`, shape: [C, C], decay: true },
      { name: `${p}attn.c_proj.bias`, shape: [C], decay: false },
      { name: `${p}ln_2.weight`, shape: [C], decay: false },
      { name: `${p}ln_2.bias`, shape: [C], decay: false },
      { name: `${p}mlp.c_fc.weight`, shape: [C, 4 * C], decay: true },
      { name: `${p}mlp.c_fc.bias`, shape: [4 * C], decay: false },
      { name: `${p}mlp.c_proj.weight`, shape: [4 * C, C], decay: true },
      { name: `${p}mlp.c_proj.bias`, shape: [C], decay: false },
    );
  }
  specs.push({ name: 'ln_f.weight', shape: [C], decay: false }, { name: 'ln_f.bias', shape: [C], decay: false });
  return specs;
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function parameterCount(config: ModelConfig): number {
  return parameterSpecs(config).reduce((sum, spec) => sum + elementCount(spec.shape), 0);
}
