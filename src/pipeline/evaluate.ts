// The one held-out evaluation of every face: accuracy is pass@1 from `samples`
// responses per prompt at the evaluation temperature (as the paper measures
// it), greedy accuracy and pass@k beside it; greedy only when samples is 0.
import type { CharTokenizer } from '../data/tokenizer.ts';
import type { Gpt2 } from '../model/gpt2.ts';
import type { Task } from '../tasks/task.ts';
import { evaluate, type EvalResult } from '../train/evaluate.ts';
import { EVALUATION } from './defaults.ts';
import { heldOutProblems } from './problems.ts';

export type Evaluation = EvalResult & { epoch: number };

export interface EvaluationOptions {
  /** Held-out prompts (from the held-out seed range). */
  prompts: number;
  /** Samples per prompt for pass@1 and pass@samples (0: greedy only). */
  samples: number;
  /** Rows generated together. */
  batch: number;
  /** pass@k for these k (default: 1 and the sample count). */
  ks?: number[];
  /** `gemstone eval` may ask for another temperature or seed; the pipeline's faces never do. */
  temperature?: number;
  seed?: number;
  /** Each prompt's correct count too (the experiment's per-prompt paired scores). */
  perPrompt?: boolean;
}

/** The k of pass@k reported: 1 and the sample count. */
export function passKs(samples: number): number[] {
  return samples > 0 ? [...new Set([1, samples])] : [];
}

export async function evaluatePolicy(
  policy: { model: Gpt2; tokenizer: CharTokenizer; task: Task; difficulty: number },
  options: EvaluationOptions,
): Promise<EvalResult> {
  const problems = heldOutProblems(policy.task, options.prompts, policy.difficulty);
  return evaluate(policy.model, policy.tokenizer, policy.task, problems, {
    ks: options.ks ?? passKs(options.samples),
    samples: options.samples,
    temperature: options.temperature ?? EVALUATION.temperature,
    seed: options.seed ?? EVALUATION.seed,
    batchRows: options.batch,
    perPrompt: options.perPrompt,
  });
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`;
}

/** What `accuracy` measured, for the lines a person reads. */
export function describeAccuracy(e: Pick<EvalResult, 'accuracyKind' | 'samples' | 'temperature'>): string {
  return e.accuracyKind === 'sampled'
    ? `accuracy (pass@1: ${e.samples} samples at temperature ${e.temperature})`
    : 'greedy accuracy';
}

/** "accuracy 40.0% · greedy 35.0% · pass@1 40.0% · pass@8 70.0%" */
export function describeEvaluation(e: EvalResult): string {
  const passes = Object.entries(e.passAtK)
    .map(([k, v]) => ` · pass@${k} ${pct(v)}`)
    .join('');
  return `${describeAccuracy(e)} ${pct(e.accuracy)} · greedy ${pct(e.greedyAccuracy)}${passes}`;
}
