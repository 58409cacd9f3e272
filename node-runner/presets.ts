// Every default of every command, in one place, per profile.
//
// A profile is a set of defaults sized for the machine: `software` for a
// software WebGPU adapter (llvmpipe, lavapipe, SwiftShader: a few CPU cores),
// `gpu` for a real GPU. The adapter picks the profile unless --profile says
// otherwise; flags and --config values always win over a profile. Change a
// default here and every command, the help text and `doctor` follow.
import type { AdapterReport } from '../src/gpu/device.ts';

export const PROFILE_NAMES = ['software', 'gpu'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Defaults of `gemstone pipeline` (and of the stages it runs). */
export interface PipelineDefaults {
  /** π_ref's model size (src/model/config.ts PRESETS). */
  preset: string;
  /**
   * Where π_ref comes from: 'bundled' (assets/pi-ref-small, when the preset is
   * small), 'train' (SFT here), or a folder.
   */
  reference: string;
  /** Noisy-solver traces π_ref learns from. */
  records: number;
  sftSteps: number;
  sftLr: number;
  sftBatchSize: number;
  sftWarmup: number;
  prompts: number;
  group: number;
  temperature: number;
  judges: string[];
  consensus: string;
  prmSteps: number;
  prmResponses: number;
  prmLr: number;
  prmBatchSize: number;
  completions: number;
  objective: string;
  beta: number;
  tau: number;
  epochs: number;
  lr: number;
  groupsPerBatch: number;
  iterations: number;
  evalPrompts: number;
  /** Samples per held-out prompt for pass@k at each evaluation. */
  evalSamples: number;
  seed: number;
  workers: number;
  /** Rows generated together on the GPU (rollouts, evaluation, Monte-Carlo labels). */
  batch: number;
  /** Training stages write a checkpoint every this many steps (and on Ctrl-C, and at the end). */
  checkpointEvery: number;
}

export interface Profile {
  name: ProfileName;
  /** One line for `doctor` and the help text. */
  description: string;
  pipeline: PipelineDefaults;
}

// The software profile: the values measured in README "Results" (π_ref: small,
// 3000 steps, lr 2e-3, batch 16, 20000 traces; RL: lr 1e-4, τ 0.05, β 0.5,
// 2 epochs). NOTE: on a 2-core machine its π_ref stage alone takes ~35–50 min;
// the lead engineer is choosing the values that finish in minutes.
const SOFTWARE: PipelineDefaults = {
  preset: 'small',
  // Training π_ref takes ~40 min on 2 cores: start from the bundled one (trained by the same SFT).
  reference: 'bundled',
  records: 20000,
  sftSteps: 3000,
  sftLr: 2e-3,
  sftBatchSize: 16,
  sftWarmup: 20,
  prompts: 128,
  group: 8,
  temperature: 0.7,
  judges: ['llm', 'prm'],
  consensus: 'and',
  prmSteps: 300,
  prmResponses: 256,
  prmLr: 1e-3,
  prmBatchSize: 16,
  completions: 4,
  objective: 'bcpg-nsa',
  beta: 0.5,
  tau: 0.05,
  epochs: 2,
  lr: 1e-4,
  groupsPerBatch: 4,
  iterations: 1,
  evalPrompts: 200,
  evalSamples: 8,
  seed: 1,
  workers: 2,
  batch: 64,
  checkpointEvery: 100,
};

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

export const PROFILES: Record<ProfileName, Profile> = {
  software: { name: 'software', description: 'a software adapter (CPU cores): smaller runs', pipeline: SOFTWARE },
  gpu: { name: 'gpu', description: 'a real GPU: more data, steps and evaluation prompts', pipeline: GPU },
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
  annotate: { chunk: 32, llmNoise: 0.1, prmThreshold: 0.5, minChars: 8, maxSteps: 64, llmModel: 'gpt-4o-mini' },
  train: { logEvery: 5 },
} as const;

/** Which profile an adapter gets, and a sentence saying why. */
export function chooseProfile(report: Pick<AdapterReport, 'kind' | 'fallback' | 'adapter'>): {
  profile: ProfileName;
  reason: string;
} {
  if (report.fallback || report.kind !== 'gpu') {
    return {
      profile: 'software',
      reason: `the adapter (${report.kind}) is a software adapter: its work runs on CPU cores`,
    };
  }
  return { profile: 'gpu', reason: `the adapter (${report.adapter}) is a hardware GPU` };
}
