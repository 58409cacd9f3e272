// `gemstone eval`: greedy accuracy and pass@k of a policy on held-out prompts.
import { Command, Option } from 'commander';
import { describeReport } from '../../src/gpu/device.ts';
import { evaluate } from '../../src/train/evaluate.ts';
import { number, positiveInteger } from '../options.ts';
import { heldOutProblems, loadPolicy } from '../policy.ts';

export function evalCommand(): Command {
  return new Command('eval')
    .description('greedy accuracy and pass@k on held-out prompts (seeds never used for training)')
    .requiredOption('--checkpoint <dir>', 'folder (or .safetensors file) written by gemstone sft --task')
    .option('--prompts <n>', 'held-out prompts', positiveInteger, 200)
    .option('--samples <n>', 'samples per prompt for pass@k (0: greedy only)', (v) => Number.parseInt(v, 10), 8)
    .option('--k <list>', 'comma-separated k for pass@k', (v) => v.split(',').map((x) => positiveInteger(x.trim())), [1, 4, 8])
    .option('--temperature <x>', 'sampling temperature for pass@k', number, 0.7)
    .option('--difficulty <n>', 'problem difficulty (default: the checkpoint\'s)', (v) => Number.parseInt(v, 10))
    .option('--batch <n>', 'sequences generated together', positiveInteger, 64)
    .option('--seed <n>', 'sampling seed', positiveInteger, 1)
    .addOption(new Option('--adapter <name>', 'force a WebGPU adapter').choices(['gpu', 'llvmpipe', 'swiftshader']))
    .option('--json', 'print the result as one JSON object')
    .action(async (options: { checkpoint: string; prompts: number; samples: number; k: number[]; temperature: number; difficulty?: number; batch: number; seed: number; adapter?: string; json?: boolean }) => {
      const policy = await loadPolicy(options.checkpoint, options.adapter);
      const difficulty = options.difficulty ?? policy.difficulty;
      const ks = options.samples > 0 ? options.k.filter((k) => k <= options.samples) : [];
      const problems = heldOutProblems(policy.task, options.prompts, difficulty);
      const result = await evaluate(policy.model, policy.tokenizer, policy.task, problems, { ks, samples: options.samples, temperature: options.temperature, seed: options.seed, batchRows: options.batch });
      if (options.json) {
        console.log(JSON.stringify({ checkpoint: policy.path, step: policy.checkpoint.step, task: policy.task.name, difficulty, ...result }));
      } else {
        console.log(`gemstone eval · ${describeReport(policy.context.report)}`);
        console.log(`${policy.path} (step ${policy.checkpoint.step}) · ${policy.task.name}, difficulty ${difficulty} · ${problems.length} held-out prompts`);
        console.log(`greedy accuracy ${(100 * result.greedyAccuracy).toFixed(1)}%`);
        for (const k of ks) console.log(`pass@${k} ${(100 * result.passAtK[k]).toFixed(1)}% (${options.samples} samples at temperature ${options.temperature})`);
      }
      policy.model.destroy();
      policy.context.destroy();
    });
}
