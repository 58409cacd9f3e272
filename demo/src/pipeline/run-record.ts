// What a demo run records: plain data, so the page's charts and credit view
// draw from it while training, a finished run can be saved as JSON, and the
// bundled example (demo/public/example-run.json) is one of these.
import type { AnnotatedRecord } from '../../../src/data/annotated.ts';
import type { RolloutStats } from '../../../src/data/rollouts.ts';
import type { AgreementReport } from '../../../src/judge/agreement.ts';
import type { DemoConfig } from '../config.ts';
import type { MechanismRecord } from './mechanism.ts';

export const RUN_FORMAT = 'gemstone-demo-run';
export const RUN_VERSION = 1;

export interface SftPoint {
  step: number;
  loss: number;
  lr: number;
}

export interface RlPoint {
  /** 'main' or 'compare'. */
  run: string;
  objective: string;
  iteration: number;
  step: number;
  epoch: number;
  /** The objective's named terms (objective, policyGradient, constraint, meanAbsD, betaShare, …). */
  terms: Record<string, number>;
  gradNorm: number;
}

export interface AccuracyPoint {
  run: string;
  objective: string;
  iteration: number;
  epoch: number;
  /** Epochs of training behind this policy (0 = π_ref). */
  x: number;
  /** pass@1 from samples at the evaluation temperature (greedy when the run took no samples). */
  accuracy: number;
  /** Greedy accuracy, beside it (absent in runs saved before it was recorded). */
  greedy?: number;
  /** What `accuracy` measured, in words (src/pipeline/evaluate.ts describeAccuracy). */
  measure?: string;
  prompts: number;
}

export interface IterationRecord {
  /** 1, 2, …; 0 for data imported from a CLI run. */
  iteration: number;
  source: string;
  dataset: RolloutStats & { droppedGroups: number; sampledAccuracy: number };
  annotation: { voters: string[]; consensus: string; simulated: string[] };
  agreement: AgreementReport | null;
  records: AnnotatedRecord[];
  /** log πθ of each record's response tokens after the latest epoch trained on this data; null before. */
  policyLogprobs: (number[] | null)[];
  /** The policy those log-probs come from, e.g. "bcpg-nsa, epoch 2". */
  policyLabel: string | null;
}

export interface RunRecord {
  format: typeof RUN_FORMAT;
  version: typeof RUN_VERSION;
  config: DemoConfig;
  adapter: string;
  task: string;
  tokenizer: unknown;
  contextLength: number;
  parameters: number;
  sft: SftPoint[];
  rl: RlPoint[];
  accuracy: AccuracyPoint[];
  iterations: IterationRecord[];
  /**
   * Per-step log-probs of a few wrong responses under π_ref and after every epoch of both objectives
   * (absent in runs saved before it was recorded).
   */
  mechanism?: MechanismRecord | null;
  /** GPU device losses the run recovered from. */
  resumes: number;
  seconds: number;
}

export function emptyRun(config: DemoConfig): RunRecord {
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    config,
    adapter: '',
    task: config.task,
    tokenizer: null,
    contextLength: 0,
    parameters: 0,
    sft: [],
    rl: [],
    accuracy: [],
    iterations: [],
    mechanism: null,
    resumes: 0,
    seconds: 0,
  };
}

/** Checks the shape of a run read from JSON (the bundled example or a saved run) before the page draws it. */
export function checkRunRecord(value: unknown, source: string): RunRecord {
  const run = value as Partial<RunRecord> | null;
  if (run === null || typeof run !== 'object' || run.format !== RUN_FORMAT || run.version !== RUN_VERSION) {
    throw new Error(`${source}: not a ${RUN_FORMAT} v${RUN_VERSION} file.`);
  }
  for (const key of ['sft', 'rl', 'accuracy', 'iterations'] as const) {
    if (!Array.isArray(run[key])) throw new Error(`${source}: "${key}" is missing.`);
  }
  if (typeof run.config !== 'object' || run.config === null) throw new Error(`${source}: "config" is missing.`);
  // Runs recorded before the page took solver knobs trained π_ref on the solver's defaults.
  if (typeof run.config.solver !== 'string') run.config = { ...run.config, solver: '' };
  return run as RunRecord;
}
