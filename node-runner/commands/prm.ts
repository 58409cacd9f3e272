// `gemstone prm`: train the process reward model judge from π_ref and its rollouts.
import { mkdir } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { readRolloutFile } from '../../src/data/rollout-files.ts';
import type { Problem } from '../../src/tasks/task.ts';
import { number, positiveInteger } from '../options.ts';
import { loadPolicy, problemFromId } from '../policy.ts';
import { trainPrm, type PrmLabelSource } from '../prm.ts';

export function prmCommand(): Command {
  return new Command('prm')
    .description('train the PRM judge: π_ref’s transformer with a 2-way head at step markers, on Monte-Carlo (or another judge’s) step labels')
    .requiredOption('--checkpoint <dir>', 'π_ref (folder written by gemstone sft --task)')
    .requiredOption('--data <file>', 'rollout JSONL whose responses to label and learn from')
    .addOption(new Option('--labels <source>', 'step labels: mc (soft Monte-Carlo), mc-hard (1 if any completion is right), oracle, rule').choices(['mc', 'mc-hard', 'oracle', 'rule']).default('mc'))
    .option('--completions <n>', 'Monte-Carlo completions per step prefix', positiveInteger, 4)
    .option('--responses <n>', 'learn from at most n responses (a seeded sample)', positiveInteger)
    .option('--temperature <x>', 'Monte-Carlo sampling temperature', number, 0.7)
    .option('--steps <n>', 'PRM training steps', positiveInteger, 300)
    .option('--batch-size <n>', 'sequences per step', positiveInteger, 16)
    .option('--lr <x>', 'peak learning rate', number, 1e-3)
    .option('--seed <n>', 'seed', positiveInteger, 1)
    .requiredOption('--out <dir>', 'folder for the PRM checkpoint')
    .addOption(new Option('--adapter <name>', 'force a WebGPU adapter').choices(['gpu', 'llvmpipe', 'swiftshader']))
    .action(async (options: { checkpoint: string; data: string; labels: PrmLabelSource; completions: number; temperature: number; steps: number; batchSize: number; lr: number; seed: number; out: string; adapter?: string; responses?: number }) => {
      const policy = await loadPolicy(options.checkpoint, options.adapter);
      const { rollouts } = await readRolloutFile(options.data);
      const problems = new Map<string, Problem>();
      for (const r of rollouts) if (!problems.has(r.prompt_id)) problems.set(r.prompt_id, problemFromId(policy.task, r.prompt_id, r.prompt));
      await mkdir(options.out, { recursive: true });
      const result = await trainPrm(policy, policy.task, rollouts, problems, { ...options, maxResponses: options.responses, log: (l) => console.log(l) });
      console.log(`PRM trained on ${result.examples} responses (${options.labels} labels) → ${result.path}`);
      policy.model.destroy();
      policy.context.destroy();
    });
}
