// The whole pipeline over the rounds, for every face: π_ref's SFT (unless a
// π_ref is given), then per iteration rollouts → (PRM) → annotation → offline
// RL with held-out evaluations, the trained policy becoming the next round's
// π_ref; then the run's summary, whose accuracy is one measure everywhere
// (pass@1 at the evaluation temperature; greedy and pass@k beside it).
import { describeReport } from '../gpu/device.ts';
import type { Task } from '../tasks/task.ts';
import { STAGE_DEFAULTS, type PipelineOptions } from './defaults.ts';
import { describeAccuracy, type Evaluation } from './evaluate.ts';
import { CHECKPOINT, type PipelineFace, type PolicyRef } from './face.ts';
import { RL_DEFAULTS } from './defaults.ts';
import { rolloutSeedStart } from './problems.ts';
import {
  dataRound,
  referenceRound,
  trainRound,
  type DataRoundOptions,
  type DataRoundResult,
  type RolloutSummary,
} from './rounds.ts';
import type { SftStageOptions } from './sft.ts';

export interface TrainRoundSummary {
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  evaluations: Evaluation[];
  steps: number;
  adapter: string;
}

export interface PipelineRun {
  task: Task;
  difficulty: number;
  /** π_ref, or 'train' to train it (into the store's reference/). */
  reference: PolicyRef | 'train';
  /** How messages and the summary name a policy (a path relative to the run). */
  describe: (ref: PolicyRef) => string;
}

export function datasetOf(r: RolloutSummary): Record<string, number> {
  return { prompts: r.kept.prompts, responses: r.kept.responses, negatives: r.kept.negatives, tokens: r.kept.tokens };
}

/** π_ref's SFT from the pipeline's options and the fixed choices of the SFT stage. */
export function referenceOptions(
  o: Pick<
    PipelineOptions,
    'preset' | 'records' | 'sftSteps' | 'sftBatchSize' | 'sftLr' | 'sftWarmup' | 'checkpointEvery' | 'solver'
  >,
  { difficulty, seed, evalPrompts }: { difficulty: number; seed: number; evalPrompts: number },
): SftStageOptions & { records: number; evalPrompts: number } {
  const S = STAGE_DEFAULTS.sft;
  return {
    preset: o.preset,
    records: o.records,
    difficulty,
    evalPrompts,
    steps: o.sftSteps,
    batchSize: o.sftBatchSize,
    microBatches: S.microBatches,
    lr: o.sftLr,
    warmup: o.sftWarmup,
    weightDecay: S.weightDecay,
    maxGradNorm: S.maxGradNorm,
    seed,
    logEvery: S.taskLogEvery,
    checkpointEvery: o.checkpointEvery,
    ...(o.solver !== undefined ? { solver: o.solver } : {}),
  };
}

/** What one iteration's data round samples and how its PRM learns, from the run's settings. */
export function roundSettings(
  o: Pick<
    PipelineOptions,
    | 'prompts'
    | 'group'
    | 'temperature'
    | 'batch'
    | 'judges'
    | 'completions'
    | 'prmSteps'
    | 'prmBatchSize'
    | 'prmLr'
    | 'prmResponses'
    | 'checkpointEvery'
  > & { keepAll?: boolean },
  { round, seed, prmSeed, prm }: { round: number; seed: number; prmSeed: number; prm: boolean },
): Pick<DataRoundOptions, 'rollout' | 'prm'> {
  return {
    rollout: {
      prompts: o.prompts,
      group: o.group,
      temperature: o.temperature,
      topK: 0,
      seed,
      seedStart: rolloutSeedStart(round, o.prompts),
      batch: o.batch,
      keepAll: o.keepAll,
    },
    prm: prm
      ? {
          completions: o.completions,
          temperature: o.temperature,
          steps: o.prmSteps,
          batchSize: o.prmBatchSize,
          lr: o.prmLr,
          seed: prmSeed,
          maxResponses: o.prmResponses,
          batch: o.batch,
          checkpointEvery: o.checkpointEvery,
        }
      : null,
  };
}

/** Runs every stage (skipping those the face has recorded done) and returns the summary. */
export async function runPipelineRounds(
  face: PipelineFace,
  o: Omit<PipelineOptions, 'out'>,
  run: PipelineRun,
): Promise<Record<string, unknown>> {
  let reference: PolicyRef;
  if (run.reference === 'train') {
    const store = face.store.at('reference');
    await referenceRound(
      face,
      run.task,
      referenceOptions(o, { difficulty: run.difficulty, seed: o.seed, evalPrompts: o.evalPrompts }),
      store,
      `π_ref: SFT of the ${o.preset} preset on noisy-solver traces`,
    );
    // π_ref's accuracy is taken from the train stage's epoch-0 evaluation: the same protocol as after.
    reference = { store, name: CHECKPOINT };
  } else reference = run.reference;

  const iterations: Record<string, unknown>[] = [];
  let policy = reference;
  let first: DataRoundResult | null = null;
  let lastTrain: TrainRoundSummary | null = null;
  let referenceAccuracy: number | null = null;
  for (let it = 1; it <= o.iterations; it++) {
    const name = `iteration-${it}`;
    const store = face.store.at(name);
    const data = await dataRound(face, {
      name,
      store,
      policy,
      policyLabel: run.describe(policy),
      ...roundSettings(o, { round: it - 1, seed: o.seed + it, prmSeed: o.seed, prm: o.judges.includes('prm') }),
      annotate: o,
    });
    first ??= data;
    const out = store.at('policy');
    const train = await trainRound<TrainRoundSummary>(
      face,
      {
        stage: `${name}/train`,
        title: `${name}: ${o.objective} from ${run.describe(policy)}`,
        policy,
        data: { store, name: 'annotated.jsonl' },
        out,
        rl: {
          ...o,
          evalSamples: o.evalSamples,
          logEvery: RL_DEFAULTS.logEvery,
        },
      },
      async (trained, r) => ({
        accuracyBefore: r.accuracyBefore,
        accuracyAfter: r.accuracyAfter,
        evaluations: r.evaluations,
        steps: r.steps,
        adapter: describeReport(trained.context.report),
      }),
    );
    lastTrain = train;
    if (it === 1) referenceAccuracy = train.accuracyBefore;
    iterations.push({
      iteration: it,
      dataset: datasetOf(data.rollout),
      mined: data.rollout.mined,
      accuracy_before: train.accuracyBefore,
      accuracy_after: train.accuracyAfter,
      evaluations: train.evaluations,
      judges: data.annotate.judges,
    });
    policy = { store: out, name: CHECKPOINT };
  }

  const firstEval = ((iterations[0]?.evaluations ?? []) as Evaluation[]).find((e) => e.epoch === 0);
  const lastEval = lastTrain?.evaluations.at(-1);
  return {
    accuracy_before: referenceAccuracy,
    accuracy_after: lastTrain?.accuracyAfter ?? null,
    accuracy_measure: firstEval ? describeAccuracy(firstEval) : null,
    greedy_accuracy_before: firstEval?.greedyAccuracy ?? null,
    greedy_accuracy_after: lastEval && lastEval.epoch > 0 ? lastEval.greedyAccuracy : null,
    pass_at_k_before: firstEval?.passAtK ?? null,
    pass_at_k_after: lastEval && lastEval.epoch > 0 ? lastEval.passAtK : null,
    eval_prompts: o.evalPrompts,
    dataset: first ? datasetOf(first.rollout) : null,
    judges: Object.fromEntries(
      (first?.annotate.judges ?? []).map((j) => [j.name, { precision: j.precision, recall: j.recall, f1: j.f1 }]),
    ),
    judges_simulated: o.judges.includes('llm') && o.llmUrl === undefined ? ['llm'] : [],
    objective: o.objective,
    beta: o.beta,
    tau: o.tau,
    seed: o.seed,
    adapter: lastTrain?.adapter ?? null,
    seconds: 0,
    iterations,
    reference: run.describe(reference),
    policy: run.describe(policy),
  };
}
