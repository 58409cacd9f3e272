// `gemstone rollout`: G responses per prompt from π_ref, rewarded, with log π_ref, as a rollout JSONL.
// Sampling goes one GPU batch at a time, each batch saved as a chunk, so an interrupted run resumes
// where it stopped and ends with the same rollouts as one that never stopped.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RolloutStats } from '../../src/data/rollouts.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { ROLLOUT_SEED_START } from '../../src/pipeline/problems.ts';
import { ROLLOUT_SCRATCH, type RolloutStageOptions, rolloutStage } from '../../src/pipeline/rollout.ts';
import { taskRecord } from '../../src/tasks/index.ts';
import type { Task } from '../../src/tasks/task.ts';
import type { MineableStats } from '../../src/train/rollouts.ts';
import { defineCommand } from '../command.ts';
import { FolderStore } from '../file-store.ts';
import { closePolicy, loadPolicy } from '../policy.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import { stageHooks, type StageIO } from '../reporter.ts';
import { int, num, taskOption, type DefaultContext, type OptionSpec } from '../spec.ts';
import { profileHelp } from './sft.ts';

export interface RolloutCliOptions extends RolloutStageOptions {
  checkpoint: string;
  task?: string;
  /** The folder for rollouts.jsonl (and its chunks while sampling). */
  out: string;
  adapter?: string;
}

export { ROLLOUT_SEED_START };

const P = (c: DefaultContext) => PROFILES[c.profile].pipeline;

export const ROLLOUT_OPTIONS: OptionSpec[] = [
  {
    key: 'checkpoint',
    help: 'the policy π_ref: folder (or .safetensors file) written by gemstone sft --task',
    kind: { type: 'existing' },
    required: true,
  },
  taskOption("the checkpoint's task (default: the one it learned; another is refused)"),
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
    run: async ({ options, reporter, interrupt, task }) => {
      const result = await runRollout(options, { reporter, interrupt, stage: 'rollout' }, task);
      for (const name of ROLLOUT_SCRATCH) await rm(join(options.out, name), { recursive: true, force: true });
      return { ...result };
    },
  });
}

export { ROLLOUT_SCRATCH };

export interface RolloutResult {
  task: string;
  task_module?: string;
  path: string;
  sampled: RolloutStats;
  kept: RolloutStats;
  mined: MineableStats;
  droppedGroups: number;
}

/** The rollout stage (src/pipeline/rollout.ts) from a policy folder into options.out. */
export async function runRollout(
  options: RolloutCliOptions,
  io: StageIO,
  task: Task | null = null,
): Promise<RolloutResult> {
  const policy = await loadPolicy(options.checkpoint, options.adapter, task);
  try {
    io.reporter.info(`rollout · ${describeReport(policy.context.report)}`);
    const store = new FolderStore(options.out);
    const r = await rolloutStage(policy, options, store, stageHooks(io));
    return {
      ...taskRecord(policy.task),
      path: store.locate('rollouts.jsonl'),
      sampled: r.sampled,
      kept: r.kept,
      mined: r.mined,
      droppedGroups: r.droppedGroups,
    };
  } finally {
    closePolicy(policy);
  }
}
