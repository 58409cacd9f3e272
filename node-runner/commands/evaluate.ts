// `gemstone eval`: a policy's held-out accuracy as every stage measures it
// (pass@1 from samples at the evaluation temperature), greedy accuracy and pass@k.
import { describeReport } from '../../src/gpu/device.ts';
import { EVALUATION } from '../../src/pipeline/defaults.ts';
import { describeTask, taskRecord } from '../../src/tasks/index.ts';
import { describeAccuracy, evaluatePolicy } from '../../src/pipeline/evaluate.ts';
import { defineCommand } from '../command.ts';
import { loadPolicy } from '../policy.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import { int, num, taskOption, type DefaultContext } from '../spec.ts';
import { profileHelp } from './sft.ts';
import { pct } from './train.ts';

interface EvalOptions {
  checkpoint: string;
  task?: string;
  prompts: number;
  samples: number;
  k: number[];
  temperature: number;
  difficulty?: number;
  batch: number;
  seed: number;
  adapter?: string;
  out: string;
}

const P = (c: DefaultContext) => PROFILES[c.profile].pipeline;

export function evalCommand() {
  return defineCommand<EvalOptions>({
    name: 'eval',
    description: 'greedy accuracy and pass@k on held-out prompts (seeds never used for training)',
    options: [
      {
        key: 'checkpoint',
        help: 'folder (or .safetensors file) written by gemstone sft --task or gemstone train',
        kind: { type: 'existing' },
        required: true,
      },
      taskOption("the checkpoint's task (default: the one it learned; another is refused)"),
      {
        key: 'prompts',
        help: 'held-out prompts',
        kind: int(),
        default: (c: DefaultContext) => P(c).evalPrompts,
        defaultHelp: profileHelp('evalPrompts'),
      },
      {
        key: 'samples',
        help: 'samples per prompt for pass@k (0: greedy only)',
        kind: int(0),
        default: STAGE_DEFAULTS.eval.samples,
      },
      {
        key: 'k',
        help: 'comma-separated k for pass@k (those ≤ --samples are reported)',
        kind: { type: 'intList' },
        default: [...STAGE_DEFAULTS.eval.k],
      },
      {
        key: 'temperature',
        help: 'sampling temperature of pass@1 ("accuracy") and pass@k (the pipeline evaluates at this default)',
        kind: num({ positive: true }),
        default: EVALUATION.temperature,
      },
      { key: 'difficulty', help: "problem difficulty (default: the checkpoint's)", kind: int() },
      {
        key: 'batch',
        help: 'sequences generated together',
        kind: int(),
        default: (c: DefaultContext) => P(c).batch,
        defaultHelp: profileHelp('batch'),
      },
      {
        key: 'seed',
        help: 'sampling seed (the pipeline evaluates every policy with this default)',
        kind: int(),
        default: EVALUATION.seed,
      },
    ],
    examples: [
      'gemstone eval --checkpoint runs/pipeline/iteration-1/policy --prompts 500',
      'gemstone eval --checkpoint runs/ref --json | tail -1',
    ],
    run: async ({ options, reporter, task }) => {
      const policy = await loadPolicy(options.checkpoint, options.adapter, task);
      try {
        const difficulty = options.difficulty ?? policy.difficulty;
        const ks = options.samples > 0 ? options.k.filter((k) => k <= options.samples) : [];
        reporter.info(`eval · ${describeReport(policy.context.report)}`);
        reporter.info(
          `${policy.path} (step ${policy.checkpoint.step}) · ${describeTask(policy.task)}, ` +
            `difficulty ${difficulty} · ${options.prompts} held-out prompts`,
        );
        const result = await evaluatePolicy(
          { ...policy, difficulty },
          {
            prompts: options.prompts,
            samples: options.samples,
            batch: options.batch,
            ks,
            temperature: options.temperature,
            seed: options.seed,
          },
        );
        reporter.result(`held-out ${describeAccuracy(result)} ${pct(result.accuracy)}`);
        // With --samples 0 the headline accuracy is the greedy one already.
        if (options.samples > 0) reporter.result(`greedy accuracy ${pct(result.greedyAccuracy)}`);
        for (const k of ks)
          reporter.result(
            `pass@${k} ${pct(result.passAtK[k])} (${options.samples} samples at temperature ${options.temperature})`,
          );
        const { path, checkpoint } = policy;
        return { checkpoint: path, step: checkpoint.step, ...taskRecord(policy.task), difficulty, ...result };
      } finally {
        policy.model.destroy();
        policy.context.destroy();
      }
    },
  });
}
