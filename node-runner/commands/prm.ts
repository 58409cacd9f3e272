// `gemstone prm`: train the process reward model judge from π_ref and its rollouts.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readRolloutFile } from '../../src/data/rollout-files.ts';
import { defineCommand } from '../command.ts';
import { problemsOf } from '../../src/pipeline/problems.ts';
import { dataTask, loadPolicy } from '../policy.ts';
import { taskRecord } from '../../src/tasks/index.ts';
import type { Task } from '../../src/tasks/task.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import { PRM_SCRATCH, trainPrm, type PrmLabelSource } from '../prm.ts';
import { choice, int, num, TRUST_REWARDS_OPTION, taskOption, type DefaultContext } from '../spec.ts';
import { profileHelp } from './sft.ts';

interface PrmCliOptions {
  checkpoint: string;
  task?: string;
  data: string;
  trustRewards?: boolean;
  labels: PrmLabelSource;
  completions: number;
  responses?: number;
  temperature: number;
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  batch: number;
  checkpointEvery: number;
  out: string;
  adapter?: string;
}

const P = (c: DefaultContext) => PROFILES[c.profile].pipeline;

export function prmCommand() {
  return defineCommand<PrmCliOptions>({
    name: 'prm',
    description:
      'train the PRM judge: π_ref’s transformer with a 2-way head at step markers, on Monte-Carlo (or another ' +
      'judge’s) step labels',
    options: [
      {
        key: 'checkpoint',
        help: 'π_ref (folder written by gemstone sft --task)',
        kind: { type: 'existing' },
        required: true,
      },
      taskOption('the task of the rollouts and the checkpoint (default: the one they record; another is refused)'),
      {
        key: 'data',
        help: 'rollout JSONL whose responses to label and learn from',
        kind: { type: 'file' },
        required: true,
      },
      TRUST_REWARDS_OPTION,
      {
        key: 'labels',
        help: 'step labels: mc (soft Monte-Carlo), mc-hard (1 if any completion is right), oracle, rule',
        kind: choice(['mc', 'mc-hard', 'oracle', 'rule']),
        default: STAGE_DEFAULTS.prm.labels,
      },
      {
        key: 'completions',
        help: 'Monte-Carlo completions per step prefix',
        kind: int(),
        default: (c: DefaultContext) => P(c).completions,
        defaultHelp: profileHelp('completions'),
      },
      { key: 'responses', help: 'learn from at most n responses (a seeded sample; default all)', kind: int() },
      {
        key: 'temperature',
        help: 'Monte-Carlo sampling temperature',
        kind: num({ positive: true }),
        default: (c: DefaultContext) => P(c).temperature,
        defaultHelp: profileHelp('temperature'),
      },
      {
        key: 'steps',
        help: 'PRM training steps',
        kind: int(),
        default: (c: DefaultContext) => P(c).prmSteps,
        defaultHelp: profileHelp('prmSteps'),
      },
      {
        key: 'batchSize',
        help: 'sequences per step',
        kind: int(),
        default: (c: DefaultContext) => P(c).prmBatchSize,
        defaultHelp: profileHelp('prmBatchSize'),
      },
      {
        key: 'lr',
        help: 'peak learning rate',
        kind: num({ positive: true }),
        default: (c: DefaultContext) => P(c).prmLr,
        defaultHelp: profileHelp('prmLr'),
      },
      { key: 'seed', help: 'seed', kind: int(), default: (c: DefaultContext) => P(c).seed, defaultHelp: '1' },
      {
        key: 'batch',
        help: 'rows generated together for Monte-Carlo labels',
        kind: int(),
        default: (c: DefaultContext) => P(c).batch,
        defaultHelp: profileHelp('batch'),
      },
      {
        key: 'checkpointEvery',
        help: 'write a resume checkpoint every n steps (also on Ctrl-C)',
        kind: int(),
        default: (c: DefaultContext) => P(c).checkpointEvery,
        defaultHelp: profileHelp('checkpointEvery'),
      },
    ],
    examples: ['gemstone prm --checkpoint runs/ref --data runs/rollouts/rollouts.jsonl --labels mc --out runs/prm'],
    prepare: async (o, given) => {
      const task = await dataTask(o.data, given);
      return { task, ...(await readRolloutFile(o.data, { trustRewards: o.trustRewards, task })) };
    },
    run: async ({ options, reporter, interrupt, prepared }) => {
      const input = prepared as Awaited<ReturnType<typeof readRolloutFile>> & { task?: Task };
      // The rollouts' task: a checkpoint of another task is refused.
      const policy = await loadPolicy(options.checkpoint, options.adapter, input.task);
      try {
        const { rollouts } = input;
        const problems = problemsOf(policy.task, rollouts);
        const result = await trainPrm(
          policy,
          policy.task,
          rollouts,
          problems,
          { ...options, maxResponses: options.responses },
          { reporter, interrupt, stage: 'prm' },
        );
        for (const name of PRM_SCRATCH) await rm(join(options.out, name), { recursive: true, force: true });
        reporter.result(`PRM trained on ${result.examples} responses (${options.labels} labels) → ${result.path}`);
        const { path, examples, correctShare } = result;
        return { ...taskRecord(policy.task), path, examples, mean_label: correctShare };
      } finally {
        policy.model.destroy();
        policy.context.destroy();
      }
    },
  });
}
