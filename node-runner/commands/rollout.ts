// `gemstone rollout`: G responses per prompt from π_ref, rewarded, with log π_ref, as a rollout JSONL.
// Sampling goes one GPU batch at a time, each batch saved as a chunk, so an interrupted run resumes
// where it stopped and ends with the same rollouts as one that never stopped.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RolloutWriter } from '../../src/data/rollout-files.ts';
import {
  keepMixedGroups,
  ROLLOUT_FORMAT,
  ROLLOUT_VERSION,
  rolloutStats,
  type Rollout,
  type RolloutHeader,
  type RolloutStats,
} from '../../src/data/rollouts.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { mineableStats, sampleRollouts, type MineableStats } from '../../src/train/rollouts.ts';
import { chunkStore, runChunks } from '../chunks.ts';
import { defineCommand } from '../command.ts';
import { loadPolicy, trainingProblems } from '../policy.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import type { StageIO } from '../reporter.ts';
import { int, num, type DefaultContext, type OptionSpec } from '../spec.ts';
import { profileHelp } from './sft.ts';

export interface RolloutCliOptions {
  checkpoint: string;
  prompts: number;
  group: number;
  temperature: number;
  topK: number;
  seed: number;
  seedStart?: number;
  difficulty?: number;
  /** The folder for rollouts.jsonl (and its chunks while sampling). */
  out: string;
  keepAll?: boolean;
  batch: number;
  adapter?: string;
}

/** First problem seed of rollouts: above any SFT record count, below the held-out range. */
export const ROLLOUT_SEED_START = 10_000_000;

const P = (c: DefaultContext) => PROFILES[c.profile].pipeline;

export const ROLLOUT_OPTIONS: OptionSpec[] = [
  {
    key: 'checkpoint',
    help: 'the policy π_ref: folder (or .safetensors file) written by gemstone sft --task',
    kind: { type: 'existing' },
    required: true,
  },
  { key: 'prompts', help: 'prompts', kind: int(), default: STAGE_DEFAULTS.rollout.prompts },
  {
    key: 'group',
    help: 'responses per prompt (G)',
    kind: int(),
    default: (c: DefaultContext) => P(c).group,
    defaultHelp: profileHelp('group'),
  },
  {
    key: 'temperature',
    help: 'sampling temperature',
    kind: num({ positive: true }),
    default: (c: DefaultContext) => P(c).temperature,
    defaultHelp: profileHelp('temperature'),
  },
  {
    key: 'topK',
    help: 'keep only the k most likely tokens (0: all)',
    kind: int(0),
    default: STAGE_DEFAULTS.rollout.topK,
  },
  { key: 'seed', help: 'sampling seed', kind: int(), default: (c: DefaultContext) => P(c).seed, defaultHelp: '1' },
  {
    key: 'seedStart',
    help: `first problem seed (default ${ROLLOUT_SEED_START}: after the seeds SFT data uses)`,
    kind: int(0),
  },
  { key: 'difficulty', help: "problem difficulty (default: the checkpoint's)", kind: int() },
  {
    key: 'keepAll',
    help: 'keep groups that are all right or all wrong (the paper drops them)',
    kind: { type: 'boolean' },
  },
  {
    key: 'batch',
    help: 'sequences generated together (rounded down to whole groups)',
    kind: int(),
    default: (c: DefaultContext) => P(c).batch,
    defaultHelp: profileHelp('batch'),
  },
];

export function rolloutCommand() {
  return defineCommand<RolloutCliOptions>({
    name: 'rollout',
    description: 'sample G responses per prompt from a policy, reward them, and write <out>/rollouts.jsonl',
    options: ROLLOUT_OPTIONS,
    examples: ['gemstone rollout --checkpoint runs/ref --prompts 128 --group 8 --out runs/rollouts'],
    run: async ({ options, reporter, interrupt }) => {
      const result = await runRollout(options, { reporter, interrupt, stage: 'rollout' });
      for (const name of ROLLOUT_SCRATCH) await rm(join(options.out, name), { recursive: true, force: true });
      return { ...result };
    },
  });
}

/** Files a finished rollout stage no longer needs (remove them once the stage is marked done). */
export const ROLLOUT_SCRATCH = ['rollout-chunks'];

export interface RolloutResult {
  path: string;
  sampled: RolloutStats;
  kept: RolloutStats;
  mined: MineableStats;
  droppedGroups: number;
}

export async function runRollout(options: RolloutCliOptions, io: StageIO): Promise<RolloutResult> {
  const { reporter, interrupt } = io;
  const policy = await loadPolicy(options.checkpoint, options.adapter);
  try {
    const difficulty = options.difficulty ?? policy.difficulty;
    const seedStart = options.seedStart ?? ROLLOUT_SEED_START;
    const problems = trainingProblems(policy.task, options.prompts, difficulty, seedStart);
    const path = join(options.out, 'rollouts.jsonl');
    reporter.info(`rollout · ${describeReport(policy.context.report)}`);
    reporter.info(
      `${policy.path} (step ${policy.checkpoint.step}) · ${problems.length} prompts × ${options.group} at temperature ${options.temperature}`,
    );

    // One chunk = one GPU batch of whole groups: the same rollouts as one sampleRollouts call with that batch.
    const perChunk = Math.max(1, Math.floor(options.batch / options.group));
    const count = Math.ceil(problems.length / perChunk);
    const store = await chunkStore<Rollout[]>(join(options.out, 'rollout-chunks'), {
      checkpoint: policy.path,
      step: policy.checkpoint.step,
      prompts: options.prompts,
      group: options.group,
      temperature: options.temperature,
      topK: options.topK,
      seed: options.seed,
      seedStart,
      difficulty,
      perChunk,
    });
    const progress = reporter.progress({ stage: io.stage, unit: 'responses', total: problems.length * options.group });
    let all: Rollout[][];
    try {
      all = await runChunks(
        store,
        count,
        (c) =>
          sampleRollouts(
            policy.model,
            policy.tokenizer,
            policy.task,
            problems.slice(c * perChunk, (c + 1) * perChunk),
            {
              group: options.group,
              temperature: options.temperature,
              topK: options.topK,
              seed: (options.seed + c * 0x9e3779b1) >>> 0,
              batchRows: perChunk * options.group,
            },
          ),
        {
          interrupt,
          where: (c) => `during ${io.stage}, after batch ${c + 1}/${count}`,
          onChunk: (c, part, reused) =>
            progress.update(Math.min((c + 1) * perChunk, problems.length) * options.group, {
              tokens: reused ? 0 : part.reduce((s, r) => s + r.response_tokens.length, 0),
              log: true,
            }),
        },
      );
    } finally {
      progress.stop();
    }
    const sampled = all.flat();
    const { kept, droppedGroups } = options.keepAll ? { kept: sampled, droppedGroups: 0 } : keepMixedGroups(sampled);

    const header: RolloutHeader = {
      format: ROLLOUT_FORMAT,
      version: ROLLOUT_VERSION,
      task: policy.task.name,
      tokenizer: policy.tokenizer.toJSON(),
      vocab_size: policy.model.config.vocabSize,
      context_length: policy.model.config.contextLength,
      sampling: {
        temperature: options.temperature,
        top_k: options.topK,
        seed: options.seed,
        group_size: options.group,
      },
      policy: { checkpoint: policy.path, step: policy.checkpoint.step },
    };
    const writer = await RolloutWriter.create(path, header);
    try {
      for (const r of kept) await writer.write(r);
      await writer.commit();
    } catch (error) {
      await writer.abort();
      throw error;
    }
    // The chunks stay until the caller has recorded this stage as done (ROLLOUT_SCRATCH).
    const before = rolloutStats(sampled);
    const after = rolloutStats(kept);
    reporter.info(
      `sampled: ${before.prompts} prompts, ${before.responses} responses, accuracy ${((100 * before.positives) / Math.max(1, before.responses)).toFixed(1)}%`,
    );
    const mined = mineableStats(policy.task, new Map(problems.map((p) => [p.id, p])), kept);
    reporter.info(
      `negatives with an oracle-correct step after the first: ${mined.negativesWithCorrectLaterStep}/${mined.negatives} (${((100 * mined.negativesWithCorrectLaterStep) / Math.max(1, mined.negatives)).toFixed(1)}%); characters of negatives in correct steps ${mined.correctChars}, in incorrect ones ${mined.incorrectChars}`,
    );
    reporter.info(
      `kept ${after.prompts} prompts (${droppedGroups} all-right or all-wrong groups dropped): ${after.responses} responses, ${after.negatives} negatives, ${after.tokens} tokens (${after.negativeTokens} in negatives) → ${path}`,
    );
    return { path, sampled: before, kept: after, mined, droppedGroups };
  } finally {
    policy.model.destroy();
    policy.context.destroy();
  }
}
