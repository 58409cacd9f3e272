// Every default of the pipeline and its stages, in one place, per profile, for
// every face (the CLI, the experiment runner, the page): runtime-neutral.
//
// A profile is a set of defaults sized for the machine: `software` for a
// software WebGPU adapter (llvmpipe, lavapipe, SwiftShader: a few CPU cores),
// `gpu` for a real GPU. The option types of the faces are derived from these
// tables, so a default is written once and its type with it.
import type { ConsensusMode } from '../judge/consensus.ts';
import type { ObjectiveName } from '../objectives/index.ts';

export const PROFILE_NAMES = ['software', 'gpu'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

// The software profile: the values measured in README "Results" (π_ref: small,
// 3000 steps, lr 2e-3, batch 16, 20000 traces; RL: lr 3e-4 with AdamW's ε 1e-2,
// τ 0.05, β 0.5, 2 epochs).
const SOFTWARE = {
  /** π_ref's model size (src/model/config.ts PRESETS). */
  preset: 'small',
  /** Where π_ref comes from: 'bundled' (assets/pi-ref-small, small preset), 'train' (SFT here), or a folder. */
  reference: 'bundled',
  /** Noisy-solver traces π_ref learns from. */
  records: 20000,
  sftSteps: 3000,
  sftLr: 2e-3,
  sftBatchSize: 16,
  sftWarmup: 20,
  prompts: 128,
  group: 8,
  /** Rollout (and Monte-Carlo label) temperature. */
  temperature: 0.7,
  judges: ['llm', 'prm'] as string[],
  consensus: 'and' as ConsensusMode,
  prmSteps: 300,
  prmResponses: 256,
  prmLr: 1e-3,
  prmBatchSize: 16,
  completions: 4,
  objective: 'bcpg-nsa' as ObjectiveName,
  beta: 0.5,
  tau: 0.05,
  epochs: 2,
  /** With adamEps 1e-2: raised pass@1 without lowering greedy accuracy or pass@8 (docs/greedy-regression.md). */
  lr: 3e-4,
  /**
   * ε of the RL stage's AdamW (docs/algorithms.md §1, step 5). Far above √v, as here, it makes the step scale with
   * the gradient, as SGD with momentum at lr/ε would, instead of about lr on every parameter (ε 1e-8, lr 1e-4
   * before: pass@1 +5.3 but greedy −15, docs/greedy-regression.md).
   */
  adamEps: 1e-2,
  groupsPerBatch: 4,
  iterations: 1,
  evalPrompts: 200,
  /** Samples per held-out prompt for pass@1 and pass@k at each evaluation (0: greedy only). */
  evalSamples: 8,
  seed: 1,
  workers: 2,
  /** Rows generated together on the GPU (rollouts, evaluation, Monte-Carlo labels). */
  batch: 64,
  /** Training stages write a checkpoint every this many steps (and on Ctrl-C, and at the end). */
  checkpointEvery: 100,
};

/** Defaults of `gemstone pipeline` (and of the stages it runs) that depend on the profile. */
export type PipelineDefaults = typeof SOFTWARE;

// The GPU profile: more data and evaluation where a real GPU makes them cheap.
// Not yet measured (no GPU was lent to the sessions that built this).
const GPU: PipelineDefaults = {
  ...SOFTWARE,
  reference: 'train',
  records: 50000,
  sftSteps: 6000,
  sftBatchSize: 32,
  prompts: 512,
  prmResponses: 1024,
  prmSteps: 600,
  evalPrompts: 1000,
  batch: 256,
  workers: 4,
  checkpointEvery: 250,
};

export interface Profile {
  name: ProfileName;
  /** One line for `doctor` and the help text. */
  description: string;
  pipeline: PipelineDefaults;
}

export const PROFILES: Record<ProfileName, Profile> = {
  software: { name: 'software', description: 'a software adapter (CPU cores): smaller runs', pipeline: SOFTWARE },
  gpu: { name: 'gpu', description: 'a real GPU: more data, steps and evaluation prompts', pipeline: GPU },
};

/** Annotation defaults, the same on every profile. */
export const ANNOTATE_DEFAULTS = {
  chunk: 32,
  /** Label noise of the SIMULATED LLM judge. */
  llmNoise: 0.1,
  /** A PRM step is correct when p ≥ this. */
  prmThreshold: 0.5,
  /** Segmenter: merge steps shorter than this. */
  minChars: 8,
  /** Segmenter: cap on steps per response. */
  maxSteps: 64,
  llmModel: 'gpt-4o-mini',
};

/** Held-out evaluation: pass@1 from samples at this temperature is "accuracy" (greedy and pass@k beside it). */
export const EVALUATION = {
  temperature: 0.7,
  /** The same for every policy, so differences are not sampling noise of the evaluation. */
  seed: 0,
};

/** Offline RL's fixed choices. */
export const RL_DEFAULTS = {
  /** Steps of linear warmup before the constant learning rate. */
  warmupSteps: 5,
  /** Read the objective terms back (and log a line) every n steps in the pipeline. */
  logEvery: 10,
  weightDecay: 0,
};

/** PRM training's fixed choices. */
export const PRM_DEFAULTS = {
  /** Read the loss back every n steps. */
  logEvery: 25,
  /** Warmup: at most this many steps (fewer when training is shorter). */
  maxWarmup: 20,
  /** Responses per saved chunk of Monte-Carlo labels. */
  labelChunk: 16,
  /** Rows the PRM judge scores together. */
  judgeRows: 32,
};

/** Defaults of the single-stage commands that do not come from the pipeline's. */
export const STAGE_DEFAULTS = {
  sft: {
    /** `sft --data FILE`: your own records on a tiny model (a quick start, not a recipe). */
    data: { preset: 'tiny', steps: 200, batchSize: 8, lr: 3e-3, warmup: 10, logEvery: 5 },
    /** `sft --task NAME`: π_ref on a built-in task (the pipeline's reference stage). */
    taskLogEvery: 50,
    microBatches: 1,
    weightDecay: 0.1,
    maxGradNorm: 1,
    samples: 3,
  },
  rollout: { prompts: 256, topK: 0 },
  eval: { samples: 8, k: [1, 4, 8] },
  prm: { labels: 'mc' },
  annotate: ANNOTATE_DEFAULTS,
  train: { logEvery: 5 },
} as const;

/** What `gemstone pipeline` takes: the profile's defaults, the annotation defaults, and what has no default. */
export type PipelineOptions = PipelineDefaults &
  typeof ANNOTATE_DEFAULTS & {
    /** The task: a built-in name or a module's path (the CLI loads it; the stage library takes the Task). */
    task?: string;
    /** π_ref's traces: the task solver's knobs as text, "slipWhere=late,catchRate=0.8" (unset: its defaults). */
    solver?: string;
    llmUrl?: string;
    keepAll?: boolean;
    out: string;
    adapter?: string;
  };
