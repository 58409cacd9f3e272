// Evaluation on held-out prompts: greedy accuracy and pass@k.
import type { CharTokenizer } from '../data/tokenizer.ts';
import type { Gpt2 } from '../model/gpt2.ts';
import type { Problem, Task } from '../tasks/task.ts';
import { sampleRollouts } from './rollouts.ts';

/** Unbiased pass@k from n samples with c correct (Chen et al. 2021): 1 − C(n−c, k)/C(n, k). */
export function passAtK(n: number, c: number, k: number): number {
  if (k > n) throw new Error(`pass@${k} needs at least ${k} samples, got ${n}.`);
  if (n - c < k) return 1;
  let ratio = 1;
  for (let i = n - c + 1; i <= n; i++) ratio *= 1 - k / i;
  return 1 - ratio;
}

export interface EvalResult {
  prompts: number;
  /**
   * The headline accuracy, as the paper measures it: the mean correctness of
   * responses sampled at the temperature (pass@1 from `samples` per prompt;
   * R1-style evaluation samples, it does not decode greedily). Greedy accuracy
   * when samples is 0.
   */
  accuracy: number;
  accuracyKind: 'sampled' | 'greedy';
  /** Fraction of prompts whose greedy response is right. */
  greedyAccuracy: number;
  /** pass@k for each k asked, from `samples` responses per prompt at the temperature. */
  passAtK: Record<number, number>;
  samples: number;
  temperature: number;
  /** With options.perPrompt: correct samples of each problem in order (greedy 0/1 when samples is 0). */
  correctByPrompt?: number[];
}

export async function evaluate(
  model: Gpt2,
  tokenizer: CharTokenizer,
  task: Task,
  problems: Problem[],
  options: {
    ks: number[];
    samples: number;
    temperature: number;
    seed: number;
    /** Sequences generated together (default: sized by the adapter). */
    batchRows?: number;
    /** Also return each problem's correct count (the experiment's paired per-prompt scores). */
    perPrompt?: boolean;
  },
): Promise<EvalResult> {
  const greedy = await sampleRollouts(model, tokenizer, task, problems, {
    group: 1,
    temperature: 1,
    topK: 1,
    seed: options.seed,
    batchRows: options.batchRows,
  });
  const greedyAccuracy = greedy.filter((r) => r.reward === 1).length / Math.max(1, problems.length);
  const result: EvalResult = {
    prompts: problems.length,
    accuracy: greedyAccuracy,
    accuracyKind: 'greedy',
    greedyAccuracy,
    passAtK: {},
    samples: options.samples,
    temperature: options.temperature,
  };
  if (options.perPrompt) {
    const right = new Set(greedy.filter((r) => r.reward === 1).map((r) => r.prompt_id));
    result.correctByPrompt = problems.map((p) => (right.has(p.id) ? 1 : 0));
  }
  if (options.samples > 0) {
    const sampled = await sampleRollouts(model, tokenizer, task, problems, {
      group: options.samples,
      temperature: options.temperature,
      topK: 0,
      seed: options.seed + 1,
      batchRows: options.batchRows,
    });
    const correct = new Map<string, number>();
    for (const r of sampled) correct.set(r.prompt_id, (correct.get(r.prompt_id) ?? 0) + r.reward);
    result.accuracy = sampled.filter((r) => r.reward === 1).length / Math.max(1, sampled.length);
    result.accuracyKind = 'sampled';
    if (options.perPrompt) result.correctByPrompt = problems.map((p) => correct.get(p.id) ?? 0);
    for (const k of options.ks) {
      let sum = 0;
      for (const p of problems) sum += passAtK(options.samples, correct.get(p.id) ?? 0, k);
      result.passAtK[k] = sum / Math.max(1, problems.length);
    }
  }
  return result;
}
