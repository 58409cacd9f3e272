// `gemstone rollout`: G responses per prompt from π_ref, rewarded, with log π_ref, as a rollout JSONL.
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { RolloutWriter } from '../../src/data/rollout-files.ts';
import { keepMixedGroups, ROLLOUT_FORMAT, ROLLOUT_VERSION, rolloutStats, type RolloutHeader, type RolloutStats } from '../../src/data/rollouts.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { mineableStats, sampleRollouts, type MineableStats } from '../../src/train/rollouts.ts';
import { number, positiveInteger } from '../options.ts';
import { loadPolicy, trainingProblems } from '../policy.ts';

export interface RolloutCliOptions {
  checkpoint: string;
  prompts: number;
  group: number;
  temperature: number;
  topK: number;
  seed: number;
  seedStart?: number;
  difficulty?: number;
  out: string;
  keepAll?: boolean;
  batch: number;
  adapter?: string;
}

export function rolloutCommand(): Command {
  return new Command('rollout')
    .description('sample G responses per prompt from a policy, reward them, and write a rollout JSONL')
    .requiredOption('--checkpoint <dir>', 'the policy π_ref: folder (or .safetensors file) written by gemstone sft --task')
    .option('--prompts <n>', 'prompts', positiveInteger, 256)
    .option('--group <n>', 'responses per prompt (G)', positiveInteger, 8)
    .option('--temperature <x>', 'sampling temperature', number, 0.7)
    .option('--top-k <n>', 'keep only the k most likely tokens (0: all)', (v) => Number.parseInt(v, 10), 0)
    .option('--seed <n>', 'sampling seed', positiveInteger, 1)
    .option('--seed-start <n>', 'first problem seed (default: after the seeds the SFT data used)', (v) => Number.parseInt(v, 10))
    .option('--difficulty <n>', "problem difficulty (default: the checkpoint's)", (v) => Number.parseInt(v, 10))
    .option('--keep-all', 'keep groups that are all right or all wrong (the paper drops them)')
    .option('--batch <n>', 'sequences generated together', positiveInteger, 64)
    .requiredOption('--out <file>', 'rollout JSONL to write (atomically)')
    .addOption(new Option('--adapter <name>', 'force a WebGPU adapter').choices(['gpu', 'llvmpipe', 'swiftshader']))
    .action(async (options: RolloutCliOptions) => {
      await runRollout(options);
    });
}

export async function runRollout(options: RolloutCliOptions): Promise<{ sampled: RolloutStats; kept: RolloutStats; mined: MineableStats; droppedGroups: number }> {
  const policy = await loadPolicy(options.checkpoint, options.adapter);
  const difficulty = options.difficulty ?? policy.difficulty;
  const seedStart = options.seedStart ?? 10_000_000; // above any SFT record count, below the held-out range
  const problems = trainingProblems(policy.task, options.prompts, difficulty, seedStart);
  console.log(`gemstone rollout · ${describeReport(policy.context.report)}`);
  console.log(`${policy.path} (step ${policy.checkpoint.step}) · ${problems.length} prompts × ${options.group} at temperature ${options.temperature}`);

  const bar = process.stdout.isTTY ? new cliProgress.SingleBar({ format: 'rollout |{bar}| {value}/{total} responses · ETA {eta_formatted}' }, cliProgress.Presets.shades_classic) : null;
  bar?.start(problems.length * options.group, 0);
  const all = await sampleRollouts(policy.model, policy.tokenizer, policy.task, problems, { group: options.group, temperature: options.temperature, topK: options.topK, seed: options.seed, batchRows: options.batch }, (done) => bar?.update(done));
  bar?.stop();
  const { kept, droppedGroups } = options.keepAll ? { kept: all, droppedGroups: 0 } : keepMixedGroups(all);

  const header: RolloutHeader = {
    format: ROLLOUT_FORMAT, version: ROLLOUT_VERSION, task: policy.task.name, tokenizer: policy.tokenizer.toJSON(),
    vocab_size: policy.model.config.vocabSize, context_length: policy.model.config.contextLength,
    sampling: { temperature: options.temperature, top_k: options.topK, seed: options.seed, group_size: options.group },
    policy: { checkpoint: policy.path, step: policy.checkpoint.step },
  };
  const writer = await RolloutWriter.create(options.out, header);
  try {
    for (const r of kept) await writer.write(r);
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const before = rolloutStats(all);
  const after = rolloutStats(kept);
  console.log(`sampled: ${before.prompts} prompts, ${before.responses} responses, accuracy ${(100 * before.positives / Math.max(1, before.responses)).toFixed(1)}%`);
  const mined = mineableStats(policy.task, new Map(problems.map((p) => [p.id, p])), kept);
  console.log(`negatives with an oracle-correct step after the first: ${mined.negativesWithCorrectLaterStep}/${mined.negatives} (${(100 * mined.negativesWithCorrectLaterStep / Math.max(1, mined.negatives)).toFixed(1)}%); characters of negatives in correct steps ${mined.correctChars}, in incorrect ones ${mined.incorrectChars}`);
  console.log(`kept ${after.prompts} prompts (${droppedGroups} all-right or all-wrong groups dropped): ${after.responses} responses, ${after.negatives} negatives, ${after.tokens} tokens (${after.negativeTokens} in negatives) → ${options.out}`);
  policy.model.destroy();
  policy.context.destroy();
  return { sampled: before, kept: after, mined, droppedGroups };
}
