// `gemstone train`: offline RL (BCPG-NSA or a baseline) from π_ref on an annotated dataset.
// Resumable: <out>/resume.safetensors holds the policy, AdamW's moments, the step and the
// evaluations so far; the batch order is replayed from the seed up to that step.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readAnnotatedFile } from '../../src/data/rollout-files.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { OBJECTIVE_NAMES, type ObjectiveName } from '../../src/objectives/index.ts';
import { describeAccuracy, pct, type Evaluation } from '../../src/pipeline/evaluate.ts';
import { offlineRlStage, RL_SCRATCH, rlExamples } from '../../src/pipeline/offline-rl.ts';
import { checkSameTask, taskRecord } from '../../src/tasks/index.ts';
import type { Task } from '../../src/tasks/task.ts';
import { defineCommand } from '../command.ts';
import { FolderStore } from '../file-store.ts';
import { closePolicy, dataTask, loadPolicy, type Policy } from '../policy.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import { stageHooks, type StageIO } from '../reporter.ts';
import { choice, int, num, TRUST_REWARDS_OPTION, taskOption, type DefaultContext, type OptionSpec } from '../spec.ts';
import { profileHelp } from './sft.ts';

export interface TrainCliOptions {
  data: string;
  trustRewards?: boolean;
  checkpoint: string;
  task?: string;
  objective: ObjectiveName;
  beta: number;
  tau: number;
  epochs: number;
  groupsPerBatch: number;
  lr: number;
  adamEps: number;
  seed: number;
  evalPrompts: number;
  /** Samples per prompt for pass@k at each evaluation (0: greedy only). */
  samples: number;
  out: string;
  adapter?: string;
  logEvery: number;
  batch: number;
  checkpointEvery: number;
}

const P = (c: DefaultContext) => PROFILES[c.profile].pipeline;

/** The RL options, shared with `pipeline`. */
export const RL_OPTIONS: OptionSpec[] = [
  {
    key: 'objective',
    help: `objective: ${OBJECTIVE_NAMES.join(', ')}`,
    kind: choice(OBJECTIVE_NAMES),
    default: (c: DefaultContext) => P(c).objective,
    defaultHelp: profileHelp('objective'),
  },
  {
    key: 'beta',
    help: 'β of Eq. 7: the weight on mined tokens of negatives (BCPG-NSA; 1 = BCPG)',
    kind: num({ min: 0 }),
    default: (c: DefaultContext) => P(c).beta,
    defaultHelp: profileHelp('beta'),
  },
  {
    key: 'tau',
    help: 'τ of Eq. 6: the squared log-ratio constraint (the paper: 1e-3 at lr 5e-7 on 14B; README, Results)',
    kind: num({ min: 0 }),
    default: (c: DefaultContext) => P(c).tau,
    defaultHelp: profileHelp('tau'),
  },
  {
    key: 'epochs',
    help: 'passes over the annotated data',
    kind: int(),
    default: (c: DefaultContext) => P(c).epochs,
    defaultHelp: profileHelp('epochs'),
  },
  {
    key: 'lr',
    help: 'RL learning rate (constant after a short warmup)',
    kind: num({ positive: true }),
    default: (c: DefaultContext) => P(c).lr,
    defaultHelp: profileHelp('lr'),
  },
  {
    key: 'adamEps',
    help:
      "ε of the RL step's AdamW: far above the gradient's root-mean-square (e.g. 1e-2) the step scales with the " +
      'gradient, as SGD with momentum at lr/ε',
    kind: num({ positive: true }),
    default: (c: DefaultContext) => P(c).adamEps,
    defaultHelp: profileHelp('adamEps'),
  },
  {
    key: 'groupsPerBatch',
    help: 'whole groups per optimizer step',
    kind: int(),
    default: (c: DefaultContext) => P(c).groupsPerBatch,
    defaultHelp: profileHelp('groupsPerBatch'),
  },
  {
    key: 'evalPrompts',
    help: 'held-out prompts for greedy accuracy before training and after each epoch (0: skip)',
    kind: int(0),
    default: (c: DefaultContext) => P(c).evalPrompts,
    defaultHelp: profileHelp('evalPrompts'),
  },
];

export function trainCommand() {
  return defineCommand<TrainCliOptions>({
    name: 'train',
    description:
      'offline RL from π_ref on an annotated rollout set: BCPG-NSA or a baseline (bcpg, grpo-offline, topr, dpo, rft)',
    options: [
      {
        key: 'data',
        help: 'annotated JSONL from gemstone annotate (<run>/annotated.jsonl)',
        kind: { type: 'file' },
        required: true,
      },
      TRUST_REWARDS_OPTION,
      {
        key: 'checkpoint',
        help: 'π_ref: the policy that made the rollouts (training starts from it)',
        kind: { type: 'existing' },
        required: true,
      },
      taskOption('the task of the data and the checkpoint (default: the one they record; another is refused)'),
      ...RL_OPTIONS,
      {
        key: 'samples',
        help: 'samples per held-out prompt for pass@1 and pass@n at each evaluation (0: greedy only)',
        kind: int(0),
        default: (c: DefaultContext) => P(c).evalSamples,
        defaultHelp: profileHelp('evalSamples'),
      },
      {
        key: 'seed',
        help: 'seed of the batch order',
        kind: int(),
        default: (c: DefaultContext) => P(c).seed,
        defaultHelp: '1',
      },
      {
        key: 'logEvery',
        help: 'read the objective terms back (and log a line) every n steps',
        kind: int(),
        default: STAGE_DEFAULTS.train.logEvery,
      },
      {
        key: 'batch',
        help: 'rows generated together when evaluating',
        kind: int(),
        default: (c: DefaultContext) => P(c).batch,
        defaultHelp: profileHelp('batch'),
      },
      {
        key: 'checkpointEvery',
        help: 'write a resume checkpoint every n steps (also at each epoch and on Ctrl-C)',
        kind: int(),
        default: (c: DefaultContext) => P(c).checkpointEvery,
        defaultHelp: profileHelp('checkpointEvery'),
      },
    ],
    examples: [
      'gemstone train --data runs/annotated/annotated.jsonl --checkpoint runs/ref --objective bcpg-nsa --out runs/rl',
    ],
    prepare: async (o, given) => {
      const task = await dataTask(o.data, given);
      return { task, ...(await readAnnotatedFile(o.data, { trustRewards: o.trustRewards, task })) };
    },
    run: async ({ options, reporter, interrupt, prepared }) => {
      const input = prepared as Awaited<ReturnType<typeof readAnnotatedFile>> & { task?: Task };
      // The data's task: a checkpoint of another task is refused.
      const policy = await loadPolicy(options.checkpoint, options.adapter, input.task);
      try {
        const result = await runTrain(policy, options, { reporter, interrupt, stage: 'train' }, input);
        for (const name of TRAIN_SCRATCH) await rm(join(options.out, name), { force: true });
        const [first, last] = [result.evaluations.find((e) => e.epoch === 0), result.evaluations.at(-1)];
        if (first && last)
          reporter.result(
            `held-out ${describeAccuracy(first)} ${pct(first.accuracy)} → ${pct(last.accuracy)}` +
              (first.accuracyKind === 'sampled'
                ? ` · greedy ${pct(first.greedyAccuracy)} → ${pct(last.greedyAccuracy)}`
                : '') +
              ` (${options.objective})`,
          );
        return {
          ...taskRecord(policy.task),
          accuracy_before: result.accuracyBefore,
          accuracy_after: result.accuracyAfter,
          evaluations: result.evaluations,
          steps: result.steps,
          checkpoint: result.path,
        };
      } finally {
        closePolicy(policy);
      }
    },
  });
}

export { describeAccuracy, pct, rlExamples, type Evaluation };

/** Files a finished train stage no longer needs (remove them once the stage is marked done). */
export const TRAIN_SCRATCH = RL_SCRATCH;

export interface TrainSummary {
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  evaluations: Evaluation[];
  steps: number;
  path: string;
}

/** Trains policy.model in place (it starts as π_ref) and writes <out>/checkpoint.safetensors and metrics.jsonl. */
export async function runTrain(
  policy: Policy,
  options: TrainCliOptions,
  io: StageIO,
  input?: Awaited<ReturnType<typeof readAnnotatedFile>>,
): Promise<TrainSummary> {
  const { header, records } = input ?? (await readAnnotatedFile(options.data, { task: policy.task }));
  checkSameTask(options.data, header.task, policy.task);
  const store = new FolderStore(options.out);
  io.reporter.info(`train · ${describeReport(policy.context.report)}`);
  const r = await offlineRlStage(
    policy,
    records,
    { ...options, evalSamples: options.samples, extra: { data: options.data } },
    store,
    stageHooks(io),
    ` (${header.annotation.voters.join(' + ')}, ${header.annotation.consensus})`,
  );
  const path = store.locate('checkpoint.safetensors');
  io.reporter.info(`trained policy → ${path}`);
  return {
    accuracyBefore: r.accuracyBefore,
    accuracyAfter: r.accuracyAfter,
    evaluations: r.evaluations,
    steps: r.steps,
    path,
  };
}
