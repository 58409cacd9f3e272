// `gemstone pipeline`: every stage with defaults — SFT of π_ref on the built-in
// task, rollouts, (PRM training,) annotation, offline RL, evaluation — for N
// iterations (the trained policy becomes the next π_ref), then summary.json.
//
// Each stage is recorded in state.json once complete; an interrupted run
// resumes at the first incomplete stage, which itself resumes from its own
// last checkpoint or chunk, so the summary is the one an uninterrupted run
// with the same seed and adapter writes.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readRolloutFile } from '../../src/data/rollout-files.ts';
import type { ConsensusMode } from '../../src/judge/consensus.ts';
import type { ObjectiveName } from '../../src/objectives/index.ts';
import { PRESETS } from '../../src/model/config.ts';
import { describeReport } from '../../src/gpu/device.ts';
import type { Problem } from '../../src/tasks/task.ts';
import { DEFAULT_DIFFICULTY } from '../../src/tasks/arithmetic.ts';
import { defineCommand, shown, type RunContext } from '../command.ts';
import { ConfigError } from '../config.ts';
import { loadPolicy, problemFromId } from '../policy.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import { PRM_SCRATCH, trainPrm } from '../prm.ts';
import type { StageIO } from '../reporter.ts';
import { choice, int, num, type DefaultContext, type OptionSpec } from '../spec.ts';
import { JUDGE_OPTIONS, runAnnotate, type AnnotateResult } from './annotate.ts';
import { ROLLOUT_SCRATCH, ROLLOUT_SEED_START, runRollout, type RolloutResult } from './rollout.ts';
import { profileHelp, runSft, type SftResult } from './sft.ts';
import { REFERENCE_MODES, referenceProblem, resolveReference } from '../bundled-reference.ts';
import { describeAccuracy, pct, RL_OPTIONS, runTrain, TRAIN_SCRATCH, type Evaluation } from './train.ts';

export interface PipelineOptions {
  preset: string;
  reference: string;
  records: number;
  sftSteps: number;
  sftLr: number;
  sftBatchSize: number;
  sftWarmup: number;
  prompts: number;
  group: number;
  temperature: number;
  judges: string[];
  consensus: ConsensusMode;
  llmUrl?: string;
  llmModel: string;
  llmNoise: number;
  prmThreshold: number;
  minChars: number;
  maxSteps: number;
  workers: number;
  chunk: number;
  prmSteps: number;
  prmResponses: number;
  prmLr: number;
  prmBatchSize: number;
  completions: number;
  objective: ObjectiveName;
  beta: number;
  tau: number;
  epochs: number;
  lr: number;
  groupsPerBatch: number;
  evalPrompts: number;
  evalSamples: number;
  iterations: number;
  seed: number;
  keepAll?: boolean;
  batch: number;
  checkpointEvery: number;
  out: string;
  adapter?: string;
}

const P = (c: DefaultContext) => PROFILES[c.profile].pipeline;
/** An option whose default is the profile's value of the same name. */
const fromProfile = (
  key: keyof (typeof PROFILES)['software']['pipeline'],
  help: string,
  kind: OptionSpec['kind'],
): OptionSpec => ({
  key,
  help,
  kind,
  default: (c: DefaultContext) => P(c)[key],
  defaultHelp: profileHelp(key),
});

export const PIPELINE_OPTIONS: OptionSpec[] = [
  fromProfile('preset', 'model size of π_ref', choice(Object.keys(PRESETS))),
  fromProfile(
    'reference',
    `π_ref: "bundled" (the small preset's, trained by gemstone; assets/pi-ref-small), "train" (SFT here with the options below), or a folder from gemstone sft --task`,
    { type: 'dir', or: REFERENCE_MODES },
  ),
  fromProfile('records', 'noisy-solver traces π_ref learns from', int()),
  fromProfile('sftSteps', 'π_ref SFT steps', int()),
  fromProfile('sftLr', 'π_ref SFT peak learning rate', num({ positive: true })),
  fromProfile('sftBatchSize', 'π_ref SFT sequences per step', int()),
  fromProfile('sftWarmup', 'π_ref SFT warmup steps', int(0)),
  fromProfile('prompts', 'rollout prompts per iteration', int()),
  fromProfile('group', 'responses per prompt (G)', int()),
  fromProfile('temperature', 'rollout (and Monte-Carlo label) temperature', num({ positive: true })),
  ...JUDGE_OPTIONS,
  fromProfile('prmSteps', 'PRM training steps', int()),
  fromProfile('prmResponses', 'responses the PRM learns from (Monte-Carlo labels are the costly part)', int()),
  fromProfile('prmLr', 'PRM peak learning rate', num({ positive: true })),
  fromProfile('prmBatchSize', 'PRM sequences per step', int()),
  fromProfile('completions', 'Monte-Carlo completions per step prefix for PRM labels', int()),
  ...RL_OPTIONS,
  fromProfile(
    'evalSamples',
    'samples per held-out prompt for pass@1 and pass@n at each evaluation (0: greedy only)',
    int(0),
  ),
  fromProfile('iterations', 'rollout → annotate → train rounds (the trained policy becomes the next π_ref)', int()),
  fromProfile('seed', 'seed of every stage', int()),
  {
    key: 'keepAll',
    help: 'keep all-right and all-wrong groups (they carry no advantage; for smoke runs of a weak π_ref)',
    kind: { type: 'boolean' },
  },
  fromProfile('batch', 'rows generated together (rollouts, evaluation, Monte-Carlo labels)', int()),
  fromProfile(
    'checkpointEvery',
    'training stages write a checkpoint every n steps (also on Ctrl-C and at the end)',
    int(),
  ),
];

export function pipelineCommand() {
  return defineCommand<PipelineOptions>({
    name: 'pipeline',
    description:
      "the whole BCPG-NSA pipeline on the built-in task: π_ref SFT → rollouts → PRM → judges + consensus → offline RL → evaluation; prints accuracy before and after and the judges' agreement",
    options: PIPELINE_OPTIONS,
    examples: [
      'gemstone pipeline',
      'gemstone pipeline --reference runs/ref --out runs/pipeline',
      'gemstone pipeline --preset tiny --sft-steps 20 --keep-all      # a one-minute smoke run',
      'gemstone pipeline --resume runs/pipeline',
      'gemstone pipeline --config run.json --json | jq -c \'select(.event == "done")\'',
    ],
    validate: (o) => {
      const problem = referenceProblem(o.reference, (dir) => existsSync(join(dir, 'checkpoint.safetensors')));
      if (problem !== null) {
        throw new ConfigError(problem);
      }
    },
    run: runPipeline,
  });
}

interface TrainStageResult {
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  evaluations: Evaluation[];
  steps: number;
  adapter: string;
}

export async function runPipeline({
  options,
  folder,
  reporter,
  interrupt,
}: RunContext<PipelineOptions>): Promise<Record<string, unknown>> {
  const io = (stage: string): StageIO => ({ reporter, interrupt, stage });
  const before = (stage: string) => interrupt.check(`before the ${stage} stage`);
  const skipped = (title: string) => () => reporter.info(`(${title}: done in an earlier leg of this run)`);

  let reference = resolveReference(options.reference, options.preset, (line) => reporter.info(line));
  let referenceAccuracy: number | null = null;
  if (reference === 'train') {
    const title = `π_ref: SFT of the ${options.preset} preset on noisy-solver traces`;
    reporter.stage('reference', title);
    before('reference');
    reference = folder.path('reference');
    await folder.stage<SftResult>(
      'reference',
      () =>
        runSft(
          {
            preset: options.preset,
            task: 'arithmetic',
            records: options.records,
            difficulty: DEFAULT_DIFFICULTY,
            evalPrompts: options.evalPrompts,
            out: reference,
            steps: options.sftSteps,
            batchSize: options.sftBatchSize,
            microBatches: STAGE_DEFAULTS.sft.microBatches,
            lr: options.sftLr,
            warmup: options.sftWarmup,
            weightDecay: STAGE_DEFAULTS.sft.weightDecay,
            maxGradNorm: STAGE_DEFAULTS.sft.maxGradNorm,
            seed: options.seed,
            logEvery: STAGE_DEFAULTS.sft.taskLogEvery,
            checkpointEvery: options.checkpointEvery,
            adapter: options.adapter,
            samples: 0,
          },
          io('reference'),
        ),
      skipped(title),
    );
    // π_ref's accuracy is taken from the train stage's epoch-0 evaluation: the same protocol as after.
  }

  const iterations: Record<string, unknown>[] = [];
  let policyDir = reference;
  let first: { rollout: RolloutResult; annotate: AnnotateResult } | null = null;
  let lastTrain: TrainStageResult | null = null;
  for (let it = 1; it <= options.iterations; it++) {
    const name = `iteration-${it}`;
    const dir = await folder.folder(name);

    let title = `${name}: rollouts from ${relative(folder.dir, policyDir) || policyDir}`;
    reporter.stage(`${name}/rollout`, title);
    before(`${name}/rollout`);
    const rollout = await folder.stage<RolloutResult>(
      `${name}/rollout`,
      () =>
        runRollout(
          {
            checkpoint: policyDir,
            prompts: options.prompts,
            group: options.group,
            temperature: options.temperature,
            topK: 0,
            seed: options.seed + it,
            seedStart: ROLLOUT_SEED_START + (it - 1) * options.prompts,
            out: dir,
            batch: options.batch,
            adapter: options.adapter,
            keepAll: options.keepAll,
          },
          io(`${name}/rollout`),
        ),
      skipped(title),
    );
    await cleanScratch(folder.path(name), ROLLOUT_SCRATCH);
    if (rollout.kept.responses === 0)
      throw new Error(
        `${name}: every group was all right or all wrong; nothing to learn from (train π_ref longer, raise --group, or pass --keep-all).`,
      );

    let prmDir: string | undefined;
    if (options.judges.includes('prm')) {
      title = `${name}: PRM from Monte-Carlo labels (${options.completions} completions per step prefix)`;
      reporter.stage(`${name}/prm`, title);
      before(`${name}/prm`);
      prmDir = await folder.folder(name, 'prm');
      await folder.stage(
        `${name}/prm`,
        async () => {
          const policy = await loadPolicy(policyDir, options.adapter);
          try {
            const { rollouts } = await readRolloutFile(rollout.path);
            const problems = new Map<string, Problem>();
            for (const r of rollouts)
              if (!problems.has(r.prompt_id))
                problems.set(r.prompt_id, problemFromId(policy.task, r.prompt_id, r.prompt));
            return await trainPrm(
              policy,
              policy.task,
              rollouts,
              problems,
              {
                labels: 'mc',
                completions: options.completions,
                temperature: options.temperature,
                steps: options.prmSteps,
                batchSize: options.prmBatchSize,
                lr: options.prmLr,
                seed: options.seed,
                out: prmDir!,
                maxResponses: options.prmResponses,
                batch: options.batch,
                checkpointEvery: options.checkpointEvery,
              },
              io(`${name}/prm`),
            );
          } finally {
            policy.model.destroy();
            policy.context.destroy();
          }
        },
        skipped(title),
      );
      await cleanScratch(prmDir, PRM_SCRATCH);
    }

    title = `${name}: annotation (${options.judges.join(' + ')}, ${options.consensus})`;
    reporter.stage(`${name}/annotate`, title);
    before(`${name}/annotate`);
    const annotate = await folder.stage<AnnotateResult>(
      `${name}/annotate`,
      () =>
        runAnnotate(
          {
            data: rollout.path,
            judges: options.judges,
            consensus: options.consensus,
            out: dir,
            workers: options.workers,
            chunk: options.chunk,
            llmUrl: options.llmUrl,
            llmModel: options.llmModel,
            llmNoise: options.llmNoise,
            prm: prmDir,
            prmThreshold: options.prmThreshold,
            minChars: options.minChars,
            maxSteps: options.maxSteps,
            adapter: options.adapter,
          },
          io(`${name}/annotate`),
        ),
      skipped(title),
    );
    first ??= { rollout, annotate };

    title = `${name}: ${options.objective} from ${relative(folder.dir, policyDir) || policyDir}`;
    reporter.stage(`${name}/train`, title);
    before(`${name}/train`);
    const policyOut = folder.path(name, 'policy');
    const train = await folder.stage<TrainStageResult>(
      `${name}/train`,
      async () => {
        const policy = await loadPolicy(policyDir, options.adapter);
        try {
          const r = await runTrain(
            policy,
            {
              data: annotate.path,
              checkpoint: policyDir,
              objective: options.objective,
              beta: options.beta,
              tau: options.tau,
              epochs: options.epochs,
              groupsPerBatch: options.groupsPerBatch,
              lr: options.lr,
              seed: options.seed,
              evalPrompts: options.evalPrompts,
              samples: options.evalSamples,
              out: policyOut,
              adapter: options.adapter,
              logEvery: 10,
              batch: options.batch,
              checkpointEvery: options.checkpointEvery,
            },
            io(`${name}/train`),
          );
          return {
            accuracyBefore: r.accuracyBefore,
            accuracyAfter: r.accuracyAfter,
            evaluations: r.evaluations,
            steps: r.steps,
            adapter: describeReport(policy.context.report),
          };
        } finally {
          policy.model.destroy();
          policy.context.destroy();
        }
      },
      skipped(title),
    );
    await cleanScratch(policyOut, TRAIN_SCRATCH);
    lastTrain = train;
    if (it === 1 && referenceAccuracy === null) referenceAccuracy = train.accuracyBefore;
    iterations.push({
      iteration: it,
      dataset: datasetOf(rollout),
      mined: rollout.mined,
      accuracy_before: train.accuracyBefore,
      accuracy_after: train.accuracyAfter,
      evaluations: train.evaluations,
      judges: annotate.judges,
    });
    policyDir = policyOut;
  }

  const firstEval = (lastTrain && iterations.length > 0 ? (iterations[0].evaluations as Evaluation[]) : []).find(
    (e) => e.epoch === 0,
  );
  const lastEval = lastTrain?.evaluations.at(-1);
  const summary = {
    accuracy_before: referenceAccuracy,
    accuracy_after: lastTrain?.accuracyAfter ?? null,
    accuracy_measure: firstEval ? describeAccuracy(firstEval) : null,
    greedy_accuracy_before: firstEval?.greedyAccuracy ?? null,
    greedy_accuracy_after: lastEval && lastEval.epoch > 0 ? lastEval.greedyAccuracy : null,
    pass_at_k_before: firstEval?.passAtK ?? null,
    pass_at_k_after: lastEval && lastEval.epoch > 0 ? lastEval.passAtK : null,
    eval_prompts: options.evalPrompts,
    dataset: first ? datasetOf(first.rollout) : null,
    judges: Object.fromEntries(
      (first?.annotate.judges ?? []).map((j) => [j.name, { precision: j.precision, recall: j.recall, f1: j.f1 }]),
    ),
    judges_simulated: options.judges.includes('llm') && options.llmUrl === undefined ? ['llm'] : [],
    objective: options.objective,
    beta: options.beta,
    tau: options.tau,
    seed: options.seed,
    adapter: lastTrain?.adapter ?? null,
    seconds: folder.seconds,
    iterations,
    reference: relative(folder.dir, reference) || reference,
    policy: relative(folder.dir, policyDir),
  };
  printResult(reporter, summary, options);
  reporter.result(`summary: ${shown(join(folder.dir, 'summary.json'))} · ${summary.seconds.toFixed(0)} s`);
  return summary;
}

function datasetOf(r: RolloutResult): Record<string, number> {
  return { prompts: r.kept.prompts, responses: r.kept.responses, negatives: r.kept.negatives, tokens: r.kept.tokens };
}

async function cleanScratch(dir: string, names: string[]): Promise<void> {
  const { rm } = await import('node:fs/promises');
  for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
}

/** The lines a person reads at the end: accuracy before and after, and how well the judges agreed with the oracle. */
function printResult(
  reporter: StageIO['reporter'],
  s: {
    accuracy_before: number | null;
    accuracy_after: number | null;
    accuracy_measure: string | null;
    greedy_accuracy_before: number | null;
    greedy_accuracy_after: number | null;
    pass_at_k_before: Record<number, number> | null;
    pass_at_k_after: Record<number, number> | null;
    judges: Record<string, { precision: number; recall: number }>;
    judges_simulated: string[];
    eval_prompts: number;
    objective: string;
  },
  options: PipelineOptions,
): void {
  const passes = (p: Record<number, number> | null) =>
    p
      ? Object.entries(p)
          .map(([k, v]) => `pass@${k} ${pct(v)}`)
          .join(', ')
      : '';
  reporter.result('');
  reporter.result(
    `held-out ${s.accuracy_measure ?? 'accuracy'} on ${s.eval_prompts} prompts: π_ref ${pct(s.accuracy_before)} → ${s.objective} ${pct(s.accuracy_after)}`,
  );
  reporter.result(
    `  greedy ${pct(s.greedy_accuracy_before)} → ${pct(s.greedy_accuracy_after)}${s.pass_at_k_before && s.pass_at_k_after ? ` · ${passes(s.pass_at_k_before)} → ${passes(s.pass_at_k_after)}` : ''}`,
  );
  const judges = Object.entries(s.judges).map(
    ([name, j]) =>
      `${name}${s.judges_simulated.includes(name) ? ' (SIMULATED)' : ''} ${pct(j.precision)} / ${pct(j.recall)}`,
  );
  if (judges.length > 0) reporter.result(`judge agreement with the oracle, precision / recall: ${judges.join(' · ')}`);
  if (options.iterations > 1)
    reporter.result(`(${options.iterations} iterations; per-iteration figures in summary.json)`);
}
