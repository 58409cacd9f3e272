// The rollout stage: G responses per prompt from the policy, rewarded, with
// log π_ref, one GPU batch of whole groups at a time, each batch saved as a
// chunk — so an interrupted stage resumes where it stopped and ends with the
// same rollouts as one that never stopped. Writes rollouts.jsonl (the kept groups).
import { taskRecord } from '../tasks/index.ts';
import {
  keepMixedGroups,
  ROLLOUT_FORMAT,
  ROLLOUT_VERSION,
  rolloutStats,
  type Rollout,
  type RolloutHeader,
  type RolloutStats,
} from '../data/rollouts.ts';
import { toJsonl } from '../data/jsonl.ts';
import { mineableStats, sampleRollouts, type MineableStats } from '../train/rollouts.ts';
import { runChunks } from './chunks.ts';
import type { StageHooks } from './hooks.ts';
import type { Policy } from './policy.ts';
import { ROLLOUT_SEED_START, trainingProblems } from './problems.ts';
import { writeText, type ArtifactStore } from './store.ts';

export interface RolloutStageOptions {
  prompts: number;
  group: number;
  temperature: number;
  topK: number;
  seed: number;
  /** First problem seed (default ROLLOUT_SEED_START). */
  seedStart?: number;
  /** Problem difficulty (default: the policy's). */
  difficulty?: number;
  /** Keep groups that are all right or all wrong (the paper drops them). */
  keepAll?: boolean;
  /** Sequences generated together (rounded down to whole groups). */
  batch: number;
}

export interface RolloutStageResult {
  header: RolloutHeader;
  /** The kept rollouts, as written to rollouts.jsonl. */
  rollouts: Rollout[];
  sampled: RolloutStats;
  kept: RolloutStats;
  mined: MineableStats;
  droppedGroups: number;
}

/** Scratch artifacts of the stage, removed once the face has recorded it done. */
export const ROLLOUT_SCRATCH = ['rollout-chunks'];

export async function rolloutStage(
  policy: Policy,
  options: RolloutStageOptions,
  store: ArtifactStore,
  hooks: StageHooks,
): Promise<RolloutStageResult> {
  const difficulty = options.difficulty ?? policy.difficulty;
  const seedStart = options.seedStart ?? ROLLOUT_SEED_START;
  const problems = trainingProblems(policy.task, options.prompts, difficulty, seedStart);
  hooks.log(
    `${policy.path} (step ${policy.checkpoint.step}) · ${problems.length} prompts × ${options.group} at temperature ` +
      `${options.temperature}`,
  );

  // One chunk = one GPU batch of whole groups: the same rollouts as one sampleRollouts call with that batch.
  const perChunk = Math.max(1, Math.floor(options.batch / options.group));
  const count = Math.ceil(problems.length / perChunk);
  const key = {
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
  };
  const progress = hooks.progress({ stage: hooks.stage, unit: 'responses', total: problems.length * options.group });
  let all: Rollout[][];
  try {
    all = await runChunks(
      store.at('rollout-chunks'),
      key,
      count,
      (c) =>
        sampleRollouts(policy.model, policy.tokenizer, policy.task, problems.slice(c * perChunk, (c + 1) * perChunk), {
          group: options.group,
          temperature: options.temperature,
          topK: options.topK,
          seed: (options.seed + c * 0x9e3779b1) >>> 0,
          batchRows: perChunk * options.group,
        }),
      {
        hooks,
        where: (c) => `during ${hooks.stage}, after batch ${c + 1}/${count}`,
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
    ...taskRecord(policy.task),
    tokenizer: policy.tokenizer.toJSON(),
    vocab_size: policy.model.config.vocabSize,
    context_length: policy.model.config.contextLength,
    sampling: { temperature: options.temperature, top_k: options.topK, seed: options.seed, group_size: options.group },
    policy: { checkpoint: policy.path, step: policy.checkpoint.step },
  };
  await writeText(store, 'rollouts.jsonl', toJsonl([header, ...kept]));
  // The chunks stay until the face has recorded this stage as done (ROLLOUT_SCRATCH).
  const before = rolloutStats(sampled);
  const after = rolloutStats(kept);
  hooks.log(
    `sampled: ${before.prompts} prompts, ${before.responses} responses, accuracy ` +
      `${((100 * before.positives) / Math.max(1, before.responses)).toFixed(1)}%`,
  );
  const mined = mineableStats(policy.task, new Map(problems.map((p) => [p.id, p])), kept);
  hooks.log(
    'negatives with an oracle-correct step after the first: ' +
      `${mined.negativesWithCorrectLaterStep}/${mined.negatives} ` +
      `(${((100 * mined.negativesWithCorrectLaterStep) / Math.max(1, mined.negatives)).toFixed(1)}%); characters of ` +
      `negatives in correct steps ${mined.correctChars}, in incorrect ones ${mined.incorrectChars}`,
  );
  hooks.log(
    `kept ${after.prompts} prompts (${droppedGroups} all-right or all-wrong groups dropped): ${after.responses} ` +
      `responses, ${after.negatives} negatives, ${after.tokens} tokens (${after.negativeTokens} in negatives) → ` +
      `${store.locate('rollouts.jsonl')}`,
  );
  return { header, rollouts: kept, sampled: before, kept: after, mined, droppedGroups };
}
