// The whole GPT-2 in plain TypeScript, float64: the twin the GPU model is
// checked against, itself checked by finite differences. Built from the same
// layer twins the kernels are tested with; the schedule mirrors src/model/gpt2.ts.
import { elementCount, parameterSpecs, type ModelConfig } from '../model/config.ts';
import { attentionBackward, attentionForward } from './attention.ts';
import { biasAdd, biasBackward } from './bias.ts';
import { encoderBackward, encoderForward } from './encoder.ts';
import { geluBackward, geluForward } from './gelu.ts';
import { layernormBackward, layernormForward } from './layernorm.ts';
import { matmulReference } from './matmul.ts';
import { outputLogprobs } from './output.ts';

export type Parameters64 = Record<string, Float64Array>;

interface LayerCache {
  input: Float64Array; // residual stream entering the block [BT, C]
  ln1: { out: Float64Array; mean: Float64Array; rstd: Float64Array };
  qkv: Float64Array; // [BT, 3C]
  atty: Float64Array; // [BT, C]
  att: Float64Array; // [B, H, T, T]
  residual2: Float64Array; // [BT, C]
  ln2: { out: Float64Array; mean: Float64Array; rstd: Float64Array };
  fch: Float64Array; // [BT, 4C]
  fchGelu: Float64Array; // [BT, 4C]
}

export interface ForwardResult {
  logits: Float64Array; // [BT, V]
  logprobs: Float64Array; // [BT]: log π(target | prefix)
  /** −Σ c · logprob: the loss whose gradient backward computes. */
  loss: number;
  dlogits: Float64Array;
  cache: {
    layers: LayerCache[];
    residualOut: Float64Array;
    lnf: { out: Float64Array; mean: Float64Array; rstd: Float64Array };
  };
}

/** y = x · W + b for x [rows, n_in], W [n_in, n_out]. */
function linear(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  rows: number,
  nIn: number,
  nOut: number,
): Float64Array {
  const y = matmulReference(x, w, new Float64Array(rows * nOut), { M: rows, N: nOut, K: nIn });
  biasAdd(y, b, rows, nOut);
  return y;
}

/** dW += xᵀ·dy, db += Σ dy, returns dx = dy · Wᵀ. */
function linearBackward(
  dy: Float64Array,
  x: Float64Array,
  w: Float64Array,
  dw: Float64Array,
  db: Float64Array,
  rows: number,
  nIn: number,
  nOut: number,
): Float64Array {
  matmulReference(x, dy, dw, { M: nIn, N: nOut, K: rows, transA: true, accumulate: true });
  biasBackward(dy, rows, nOut, db);
  return matmulReference(dy, w, new Float64Array(rows * nIn), { M: rows, N: nIn, K: nOut, transB: true });
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]);
}

export function gpt2Forward(
  config: ModelConfig,
  p: Parameters64,
  tokens: ArrayLike<number>,
  targets: ArrayLike<number>,
  coefficients: ArrayLike<number>,
  B: number,
  T: number,
): ForwardResult {
  const { width: C, heads: H, vocabSize: V } = config;
  const rows = B * T;
  let x = encoderForward(tokens, p['wte.weight'], p['wpe.weight'], B, T, C);
  const layers: LayerCache[] = [];
  for (let l = 0; l < config.layers; l++) {
    const q = (name: string) => p[`h.${l}.${name}`];
    const ln1 = layernormForward(x, q('ln_1.weight'), q('ln_1.bias'), rows, C);
    const qkv = linear(ln1.out, q('attn.c_attn.weight'), q('attn.c_attn.bias'), rows, C, 3 * C);
    const { out: atty, att } = attentionForward(qkv, B, T, C, H);
    const residual2 = add(x, linear(atty, q('attn.c_proj.weight'), q('attn.c_proj.bias'), rows, C, C));
    const ln2 = layernormForward(residual2, q('ln_2.weight'), q('ln_2.bias'), rows, C);
    const fch = linear(ln2.out, q('mlp.c_fc.weight'), q('mlp.c_fc.bias'), rows, C, 4 * C);
    const fchGelu = geluForward(fch);
    const out = add(residual2, linear(fchGelu, q('mlp.c_proj.weight'), q('mlp.c_proj.bias'), rows, 4 * C, C));
    layers.push({ input: x, ln1, qkv, atty, att, residual2, ln2, fch, fchGelu });
    x = out;
  }
  const lnf = layernormForward(x, p['ln_f.weight'], p['ln_f.bias'], rows, C);
  // Head tied to the token embedding: logits = lnf · wteᵀ.
  const logits = matmulReference(lnf.out, p['wte.weight'], new Float64Array(rows * V), {
    M: rows,
    N: V,
    K: C,
    transB: true,
  });
  const { logprobs, dlogits } = outputLogprobs(logits, targets, coefficients, rows, V);
  let loss = 0;
  for (let r = 0; r < rows; r++) loss -= coefficients[r] * logprobs[r];
  return { logits, logprobs, loss, dlogits, cache: { layers, residualOut: x, lnf } };
}

/** Every parameter gradient of the loss −Σ c · logprob, by name. */
export function gpt2Backward(
  config: ModelConfig,
  p: Parameters64,
  tokens: ArrayLike<number>,
  forward: ForwardResult,
  B: number,
  T: number,
): Parameters64 {
  const { width: C, heads: H, vocabSize: V } = config;
  const rows = B * T;
  const g: Parameters64 = {};
  for (const spec of parameterSpecs(config)) g[spec.name] = new Float64Array(elementCount(spec.shape));
  const { cache, dlogits } = forward;

  // logits = lnf · wteᵀ
  matmulReference(dlogits, cache.lnf.out, g['wte.weight'], { M: V, N: C, K: rows, transA: true, accumulate: true });
  const dlnf = matmulReference(dlogits, p['wte.weight'], new Float64Array(rows * C), { M: rows, N: C, K: V });
  const dx = new Float64Array(rows * C); // gradient of the residual stream, accumulated through the blocks
  layernormBackward(
    dlnf,
    cache.residualOut,
    p['ln_f.weight'],
    cache.lnf.mean,
    cache.lnf.rstd,
    rows,
    C,
    dx,
    g['ln_f.weight'],
    g['ln_f.bias'],
  );

  for (let l = config.layers - 1; l >= 0; l--) {
    const c = cache.layers[l];
    const q = (name: string) => p[`h.${l}.${name}`];
    const dq = (name: string) => g[`h.${l}.${name}`];
    // out = residual2 + c_proj(gelu(c_fc(ln2(residual2))))
    const dfchGelu = linearBackward(
      dx,
      c.fchGelu,
      q('mlp.c_proj.weight'),
      dq('mlp.c_proj.weight'),
      dq('mlp.c_proj.bias'),
      rows,
      4 * C,
      C,
    );
    const dfch = new Float64Array(rows * 4 * C);
    geluBackward(c.fch, dfchGelu, dfch);
    const dln2 = linearBackward(
      dfch,
      c.ln2.out,
      q('mlp.c_fc.weight'),
      dq('mlp.c_fc.weight'),
      dq('mlp.c_fc.bias'),
      rows,
      C,
      4 * C,
    );
    layernormBackward(
      dln2,
      c.residual2,
      q('ln_2.weight'),
      c.ln2.mean,
      c.ln2.rstd,
      rows,
      C,
      dx,
      dq('ln_2.weight'),
      dq('ln_2.bias'),
    );
    // residual2 = input + c_proj(attention(c_attn(ln1(input))))
    const datty = linearBackward(
      dx,
      c.atty,
      q('attn.c_proj.weight'),
      dq('attn.c_proj.weight'),
      dq('attn.c_proj.bias'),
      rows,
      C,
      C,
    );
    const dqkv = new Float64Array(rows * 3 * C);
    attentionBackward(datty, c.qkv, c.att, B, T, C, H, dqkv);
    const dln1 = linearBackward(
      dqkv,
      c.ln1.out,
      q('attn.c_attn.weight'),
      dq('attn.c_attn.weight'),
      dq('attn.c_attn.bias'),
      rows,
      C,
      3 * C,
    );
    layernormBackward(
      dln1,
      c.input,
      q('ln_1.weight'),
      c.ln1.mean,
      c.ln1.rstd,
      rows,
      C,
      dx,
      dq('ln_1.weight'),
      dq('ln_1.bias'),
    );
  }
  encoderBackward(dx, tokens, B, T, C, g['wte.weight'], g['wpe.weight']);
  return g;
}
