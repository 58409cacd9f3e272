// `gemstone train`: offline RL (BCPG-NSA or a baseline) from π_ref on an annotated dataset.
// Resumable: <out>/resume.safetensors holds the policy, AdamW's moments, the step and the
// evaluations so far; the batch order is replayed from the seed up to that step.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { readFileBytes, writeFileAtomic } from '../../src/checkpoint/files.ts';
import type { AnnotatedRecord } from '../../src/data/annotated.ts';
import { toJsonl } from '../../src/data/jsonl.ts';
import { readAnnotatedFile } from '../../src/data/rollout-files.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { OBJECTIVE_NAMES, resolveHyper, type ObjectiveName } from '../../src/objectives/index.ts';
import { evaluate, type EvalResult } from '../../src/train/evaluate.ts';
import { OfflineRlTrainer, type RlExample } from '../../src/train/offline-rl.ts';
import { DEFAULT_ADAMW } from '../../src/train/optimizer.ts';
import { defineCommand } from '../command.ts';
import { heldOutProblems, loadPolicy, type Policy } from '../policy.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import type { StageIO } from '../reporter.ts';
import { choice, int, num, TRUST_REWARDS_OPTION, type DefaultContext, type OptionSpec } from '../spec.ts';
import { profileHelp } from './sft.ts';

export interface TrainCliOptions {
  data: string;
  trustRewards?: boolean;
  checkpoint: string;
  objective: ObjectiveName;
  beta: number;
  tau: number;
  epochs: number;
  groupsPerBatch: number;
  lr: number;
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
    prepare: (o) => readAnnotatedFile(o.data, { trustRewards: o.trustRewards }),
    run: async ({ options, reporter, interrupt, prepared }) => {
      const policy = await loadPolicy(options.checkpoint, options.adapter);
      try {
        const result = await runTrain(
          policy,
          options,
          { reporter, interrupt, stage: 'train' },
          prepared as Awaited<ReturnType<typeof readAnnotatedFile>>,
        );
        for (const name of TRAIN_SCRATCH) await rm(join(options.out, name), { force: true });
        const [first, last] = [result.evaluations.find((e) => e.epoch === 0), result.evaluations.at(-1)];
        if (first && last)
          reporter.result(
            `held-out ${describeAccuracy(first)} ${pct(first.accuracy)} → ${pct(last.accuracy)}${first.accuracyKind === 'sampled' ? ` · greedy ${pct(first.greedyAccuracy)} → ${pct(last.greedyAccuracy)}` : ''} (${options.objective})`,
          );
        return {
          accuracy_before: result.accuracyBefore,
          accuracy_after: result.accuracyAfter,
          evaluations: result.evaluations,
          steps: result.steps,
          checkpoint: result.path,
        };
      } finally {
        policy.model.destroy();
        policy.context.destroy();
      }
    },
  });
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`;
}

export function rlExamples(records: AnnotatedRecord[]): RlExample[] {
  return records.map((r) => ({
    group: r.prompt_id,
    promptTokens: r.prompt_tokens,
    responseTokens: r.response_tokens,
    refLogprobs: r.logprobs_ref,
    reward: r.reward,
    betaMask: r.beta_mask,
  }));
}

/** Files a finished train stage no longer needs (remove them once the stage is marked done). */
export const TRAIN_SCRATCH = ['resume.safetensors'];

export type Evaluation = EvalResult & { epoch: number };

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
  const { reporter, interrupt } = io;
  const { header, records } = input ?? (await readAnnotatedFile(options.data));
  await mkdir(options.out, { recursive: true });
  const hyper = resolveHyper(options.objective, { beta: options.beta, tau: options.tau });
  const trainer = new OfflineRlTrainer(policy.model, rlExamples(records), {
    objective: options.objective,
    hyper,
    groupsPerBatch: options.groupsPerBatch,
    seed: options.seed,
    adamw: { ...DEFAULT_ADAMW, weightDecay: 0 },
    schedule: { maxLr: options.lr, minLr: options.lr, warmupSteps: 5, totalSteps: 1 },
  });
  const resumePath = join(options.out, 'resume.safetensors');
  const metricsPath = join(options.out, 'metrics.jsonl');
  let evaluations: Evaluation[] = [];
  let metrics: Record<string, unknown>[] = [];
  if (existsSync(resumePath)) {
    const state = decodeCheckpoint(await readFileBytes(resumePath), resumePath);
    // The trainer's batch order is a function of (seed, step): replay it to the saved step.
    for (let s = 0; s < state.step; s++) trainer.nextBatch();
    policy.model.loadParameters(state.parameters);
    for (const spec of policy.model.specs) {
      trainer.optimizer.m.upload(spec.name, state.optimizer!.m[spec.name]);
      trainer.optimizer.v.upload(spec.name, state.optimizer!.v[spec.name]);
    }
    trainer.optimizer.step = state.step;
    evaluations = (state.extra as { evaluations?: Evaluation[] }).evaluations ?? [];
    if (existsSync(metricsPath))
      metrics = (await readFile(metricsPath, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((m) => (m.step as number) <= state.step);
  }
  reporter.info(`train · ${describeReport(policy.context.report)}`);
  reporter.info(
    `${options.objective} (β ${hyper.beta}, τ ${hyper.tau}) from ${policy.path} on ${records.length} responses (${header.annotation.voters.join(' + ')}, ${header.annotation.consensus}); ${trainer.stepsPerEpoch} steps an epoch${trainer.step > 0 ? `; resuming at step ${trainer.step}` : ''}`,
  );

  const saveState = async () => {
    await writeFileAtomic(resumePath, encodeCheckpoint(await trainer.checkpointState({ evaluations })));
  };
  const problems = options.evalPrompts > 0 ? heldOutProblems(policy.task, options.evalPrompts, policy.difficulty) : [];
  const evalNow = async (epoch: number) => {
    if (problems.length === 0 || evaluations.some((e) => e.epoch === epoch)) return;
    const samples = options.samples;
    const ks = samples > 0 ? [...new Set([1, samples])] : [];
    const result = await evaluate(policy.model, policy.tokenizer, policy.task, problems, {
      ks,
      samples,
      temperature: 0.7,
      seed: 0,
      batchRows: options.batch,
    });
    evaluations.push({ ...result, epoch });
    const passes = ks.map((k) => ` · pass@${k} ${(100 * result.passAtK[k]).toFixed(1)}%`).join('');
    reporter.info(
      `epoch ${epoch}: held-out ${describeAccuracy(result)} ${(100 * result.accuracy).toFixed(1)}% · greedy ${(100 * result.greedyAccuracy).toFixed(1)}%${passes} on ${problems.length} prompts`,
    );
    reporter.event('evaluation', { stage: io.stage, epoch, ...result });
    await saveState();
  };

  const total = trainer.stepsPerEpoch * options.epochs;
  // Positions one step processes (whole groups, padded to the context), for tokens/s.
  const groupSizes = new Map<string, number>();
  for (const r of records) groupSizes.set(r.prompt_id, (groupSizes.get(r.prompt_id) ?? 0) + 1);
  const tokensPerStep =
    Math.min(options.groupsPerBatch, groupSizes.size) * Math.max(...groupSizes.values()) * trainer.T;
  const progress = reporter.progress({ stage: io.stage, unit: 'steps', total, start: trainer.step });
  try {
    // At step 0, or resumed exactly at the end of an epoch whose evaluation was not saved yet.
    if (trainer.step % trainer.stepsPerEpoch === 0) await evalNow(trainer.step / trainer.stepsPerEpoch);
    interrupt.check(`during ${io.stage}, after an evaluation`);
    while (trainer.step < total) {
      const read = (trainer.step + 1) % options.logEvery === 0 || trainer.step + 1 === total;
      const result = await trainer.trainStep({ readTerms: read });
      const epoch = Math.ceil(result.step / trainer.stepsPerEpoch);
      const t = result.terms;
      if (read && t) {
        metrics.push({ step: result.step, epoch, lr: result.lr, grad_norm: result.gradNorm, ...t });
        await writeFileAtomic(metricsPath, new TextEncoder().encode(toJsonl(metrics)));
      }
      progress.update(result.step, {
        tokens: tokensPerStep,
        metrics: t
          ? { J: t.objective, constraint: t.constraint, '|D|': t.meanAbsD, 'β-share': t.betaShare }
          : undefined,
        log: read,
      });
      if (result.step % trainer.stepsPerEpoch === 0) {
        await saveState();
        await evalNow(epoch);
      } else if (result.step % options.checkpointEvery === 0 || interrupt.requested) {
        await saveState();
      }
      interrupt.check(`during ${io.stage}, at step ${result.step}/${total}`);
    }
  } catch (error) {
    progress.stop();
    trainer.destroy();
    throw error;
  }
  progress.stop();
  const accuracyBefore = evaluations.find((e) => e.epoch === 0)?.accuracy ?? null;
  const accuracyAfter = evaluations.length > 1 ? evaluations.at(-1)!.accuracy : null;
  const path = join(options.out, 'checkpoint.safetensors');
  const refExtra = (policy.checkpoint.extra ?? {}) as Record<string, unknown>;
  const state = await trainer.checkpointState({
    ...refExtra,
    kind: 'policy',
    objective: options.objective,
    hyper,
    data: options.data,
    reference: policy.path,
  });
  await writeFileAtomic(path, encodeCheckpoint(state));
  // resume.safetensors stays until the caller has recorded this stage as done (TRAIN_SCRATCH).
  const steps = trainer.step;
  trainer.destroy();
  reporter.info(`trained policy → ${path}`);
  return { accuracyBefore, accuracyAfter, evaluations, steps, path };
}

/** What `accuracy` measured, for the lines a person reads. */
export function describeAccuracy(e: Pick<EvalResult, 'accuracyKind' | 'samples' | 'temperature'>): string {
  return e.accuracyKind === 'sampled'
    ? `accuracy (pass@1: ${e.samples} samples at temperature ${e.temperature})`
    : 'greedy accuracy';
}
