// The process reward model (PRM) judge: gemstone's GPT-2 reading a response
// with a step-end marker after every step; at each marker a 2-way head gives
// p_k = P(step k correct | x, steps ≤ k), and I^PRM_k = 1[p_k ≥ λ] (docs/algorithms.md §3.2).
//
// The 2-way head is the tied LM head restricted to two label tokens, as in
// Math-Shepherd: p_k = exp(z₊) / (exp(z₊) + exp(z₋)) at the marker's position.
// Training is per-step cross-entropy at the markers: the target is the label
// token; a soft label q trains q · (−log π(+)) + (1 − q) · (−log π(−)) by giving
// the same sequence twice, weighted q and 1 − q. Over the full vocabulary this
// drives every other token's probability at a marker to zero, so it becomes the
// 2-way cross-entropy (our choice; the paper does not publish its PRM recipe).
import type { Rollout } from '../data/rollouts.ts';
import type { SftRow } from '../data/sft-data.ts';
import { CharTokenizer } from '../data/tokenizer.ts';
import { defaultGenerationRows, generate } from '../model/generate.ts';
import type { Gpt2 } from '../model/gpt2.ts';
import type { Problem, StepSpan, Task } from '../tasks/task.ts';
import { Random } from '../util/random.ts';
import type { Judge, JudgeInput, StepVerdict } from './judge.ts';

export const PRM_MARKERS = { step: '\u241e', good: '\u2295', bad: '\u2296' } as const; // ␞ ⊕ ⊖: never in task text

/** π_ref's alphabet plus the step marker and the two label tokens. */
export function prmTokenizer(base: CharTokenizer): CharTokenizer {
  const alphabet = [...base.symbols.slice(3), PRM_MARKERS.step, PRM_MARKERS.good, PRM_MARKERS.bad];
  return new CharTokenizer(alphabet);
}

export interface PrmSequence {
  tokens: number[];
  /** Position of each step's marker in tokens (one per step that fits in the context). */
  markers: number[];
}

/** prompt, then each step followed by a marker; cut to T tokens (markers past the cut are dropped). */
export function prmSequence(
  tokenizer: CharTokenizer,
  prompt: string,
  response: string,
  steps: StepSpan[],
  T: number,
): PrmSequence {
  const marker = tokenizer.encode(PRM_MARKERS.step)[0];
  const tokens = tokenizer.encode(prompt);
  const markers: number[] = [];
  for (const step of steps) {
    tokens.push(...tokenizer.encode(response.slice(step.start, step.end)));
    if (tokens.length >= T) break;
    markers.push(tokens.length);
    tokens.push(marker);
  }
  return { tokens: tokens.slice(0, T), markers };
}

export interface PrmExample {
  prompt: string;
  response: string;
  steps: StepSpan[];
  /** Per step, the probability that the step is correct (1/0 for hard labels). */
  labels: number[];
}

/** Training rows for the PRM trainer: targets are label tokens at the markers, weighted by the (soft) label. */
export function prmRows(tokenizer: CharTokenizer, examples: PrmExample[], T: number): SftRow[] {
  const [good, bad] = [tokenizer.encode(PRM_MARKERS.good)[0], tokenizer.encode(PRM_MARKERS.bad)[0]];
  const rows: SftRow[] = [];
  for (const example of examples) {
    const { tokens, markers } = prmSequence(tokenizer, example.prompt, example.response, example.steps, T);
    if (markers.length === 0) continue;
    for (const [target, weightOf] of [
      [good, (q: number) => q],
      [bad, (q: number) => 1 - q],
    ] as const) {
      const row: SftRow = { tokens: new Uint32Array(T), targets: new Uint32Array(T), mask: new Float32Array(T) };
      row.tokens.set(tokens);
      markers.forEach((position, k) => {
        row.targets[position] = target;
        row.mask[position] = weightOf(example.labels[k]);
      });
      if (row.mask.some((w) => w > 0)) rows.push(row);
    }
  }
  return rows;
}

export interface MonteCarloOptions {
  /** Completions sampled from each step's prefix. */
  completions: number;
  temperature: number;
  seed: number;
  /** Sequences generated together (default: defaultGenerationRows, sized by the adapter). */
  batchRows?: number;
}

/**
 * Math-Shepherd estimation: from the prefix ending at step k, sample N completions
 * from π_ref; soft label = the fraction that reach the right answer, hard = any does.
 * The last step's label is the response's own correctness (its answer is its end).
 */
export async function monteCarloLabels(
  policy: Gpt2,
  tokenizer: CharTokenizer,
  task: Task,
  items: { problem: Problem; response: string; steps: StepSpan[] }[],
  options: MonteCarloOptions,
): Promise<{ soft: number[]; hard: (0 | 1)[] }[]> {
  const prefixes: { item: number; step: number; tokens: number[] }[] = [];
  items.forEach((it, i) => {
    const prompt = tokenizer.encode(it.problem.prompt);
    it.steps.forEach((step, k) => {
      if (k === it.steps.length - 1) return;
      const tokens = [...prompt, ...tokenizer.encode(it.response.slice(0, step.end))];
      if (tokens.length < policy.config.contextLength) prefixes.push({ item: i, step: k, tokens });
    });
  });
  const rows = prefixes.flatMap((p) => Array.from({ length: options.completions }, () => p));
  const right = new Map<string, number>();
  const batchRows = options.batchRows ?? defaultGenerationRows(policy);
  for (let start = 0, batch = 0; start < rows.length; start += batchRows, batch++) {
    const chunk = rows.slice(start, start + batchRows);
    const longest = Math.max(...chunk.map((r) => r.tokens.length));
    const out = await generate(policy, {
      prompts: chunk.map((r) => r.tokens),
      maxNewTokens: policy.config.contextLength - longest,
      temperature: options.temperature,
      topK: 0,
      seed: (options.seed + batch * 0x9e3779b1) >>> 0,
      eos: tokenizer.eos,
    });
    chunk.forEach((row, j) => {
      const it = items[row.item];
      const text = it.response.slice(0, it.steps[row.step].end) + tokenizer.decode(out.tokens[j]);
      const key = `${row.item}:${row.step}`;
      right.set(key, (right.get(key) ?? 0) + (task.verify(it.problem, text) ? 1 : 0));
    });
  }
  return items.map((it, i) => {
    const soft = it.steps.map((_, k) => {
      if (k === it.steps.length - 1) return task.verify(it.problem, it.response) ? 1 : 0;
      const hits = right.get(`${i}:${k}`);
      return hits === undefined ? 0 : hits / options.completions;
    });
    return { soft, hard: soft.map((q) => (q > 0 ? 1 : 0) as 0 | 1) };
  });
}

/** P(correct) at every marker of each sequence, from one forward over the batch. */
export async function prmScores(model: Gpt2, tokenizer: CharTokenizer, sequences: PrmSequence[]): Promise<number[][]> {
  const T = model.config.contextLength;
  const V = model.config.vocabSize;
  const [good, bad] = [tokenizer.encode(PRM_MARKERS.good)[0], tokenizer.encode(PRM_MARKERS.bad)[0]];
  const B = sequences.length;
  const tokens = new Uint32Array(B * T);
  sequences.forEach((s, b) => tokens.set(s.tokens.slice(0, T), b * T));
  await model.forward(
    { tokens, targets: new Uint32Array(B * T), coefficients: new Float32Array(B * T), B, T },
    { keepLogits: true },
  );
  const logits = await model.readLogits();
  return sequences.map((s, b) =>
    s.markers.map((position) => {
      const row = (b * T + position) * V;
      return 1 / (1 + Math.exp(logits[row + bad] - logits[row + good])); // σ(z₊ − z₋)
    }),
  );
}

export interface PrmJudgeOptions {
  /** I^PRM = 1[p ≥ λ]; the paper's λ is unknown, 0.5 is our default. */
  threshold: number;
  /** Sequences scored together. */
  batchRows: number;
}

export class PrmJudge implements Judge {
  readonly name = 'prm';

  constructor(
    private readonly model: Gpt2,
    private readonly tokenizer: CharTokenizer,
    readonly options: PrmJudgeOptions = { threshold: 0.5, batchRows: 32 },
  ) {}

  async judge(input: JudgeInput): Promise<StepVerdict[]> {
    return (await this.judgeMany([input]))[0];
  }

  /** Scores many responses in GPU batches. Steps past the context abstain. */
  async judgeMany(inputs: JudgeInput[]): Promise<StepVerdict[][]> {
    const T = this.model.config.contextLength;
    const out: StepVerdict[][] = [];
    for (let start = 0; start < inputs.length; start += this.options.batchRows) {
      const chunk = inputs.slice(start, start + this.options.batchRows);
      const sequences = chunk.map((i) => prmSequence(this.tokenizer, i.problem.prompt, i.response, i.steps, T));
      const scores = await prmScores(this.model, this.tokenizer, sequences);
      chunk.forEach((input, i) => {
        out.push(
          input.steps.map((_, k) => {
            const p = scores[i][k];
            if (p === undefined) return { label: null, reason: 'step lies past the PRM context' };
            return {
              label: p >= this.options.threshold ? 1 : 0,
              score: p,
              reason: `p = ${p.toFixed(3)} ${p >= this.options.threshold ? '≥' : '<'} λ = ${this.options.threshold}`,
            };
          }),
        );
      });
    }
    return out;
  }
}

/** PRM examples from rollouts and their per-step labels (e.g. Monte-Carlo estimates or another judge's). */
export function prmExamples(rollouts: Rollout[], steps: StepSpan[][], labels: number[][]): PrmExample[] {
  return rollouts.map((r, i) => ({ prompt: r.prompt, response: r.response, steps: steps[i], labels: labels[i] }));
}

/** The PRM starts from π_ref: the same weights, with rows for the three new tokens drawn small. */
export function prmInitialParameters(
  reference: Record<string, Float32Array>,
  referenceVocab: number,
  width: number,
  seed: number,
): Record<string, Float32Array> {
  const out = { ...reference };
  const wte = new Float32Array((referenceVocab + 3) * width);
  wte.set(reference['wte.weight']);
  const random = new Random(seed);
  for (let i = referenceVocab * width; i < wte.length; i++) wte[i] = 0.02 * random.normal();
  out['wte.weight'] = wte;
  return out;
}
