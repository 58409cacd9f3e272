// `gemstone experiment`: the paper's comparisons at small scale (issue #9).
//
// π_ref is trained once (or reused with --reference). For each seed: its own
// rollouts (its own prompts), a PRM, one annotation with every judge any label
// source needs, then every unit — each objective, each β, each label source —
// trains from the same π_ref on that same data and is evaluated on the same
// held-out prompts. With --iterations N, BCPG-NSA's policy samples the next
// round's data and becomes its π_ref. Then results.json, report.md and the SVG
// figures (src/experiment/), and with --docs the results page.
//
// Resumable: every dataset stage and every (seed, iteration, unit) is a stage
// of the run folder, and a unit's training resumes from its own checkpoint, so
// a crash loses at most the step in progress.
import { referenceProblem, resolveReference } from '../bundled-reference.ts';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { writeFileAtomic } from '../../src/checkpoint/files.ts';
import { join, relative } from 'node:path';
import process from 'node:process';
import type { AnnotatedHeader, AnnotatedRecord } from '../../src/data/annotated.ts';
import { JsonlFileWriter, readAnnotatedFile, readRolloutFile } from '../../src/data/rollout-files.ts';
import { DEFAULT_DIFFICULTY } from '../../src/tasks/arithmetic.ts';
import type { Problem } from '../../src/tasks/task.ts';
import { describeReport } from '../../src/gpu/device.ts';
import type { ConsensusMode } from '../../src/judge/consensus.ts';
import { OBJECTIVE_NAMES } from '../../src/objectives/index.ts';
import { evaluate } from '../../src/train/evaluate.ts';
import { labelCounts, labelRule, relabel } from '../../src/experiment/labels.ts';
import {
  judgesNeeded,
  LABEL_SOURCES,
  parseSweeps,
  planUnits,
  resolveMethods,
  SweepError,
  type LabelSource,
  type PlannedUnit,
  type Sweeps,
} from '../../src/experiment/plan.ts';
import {
  familyRows,
  RESULTS_FORMAT,
  RESULTS_VERSION,
  type DatasetResult,
  type EvalNumbers,
  type ExperimentResults,
  type LabelResult,
  type UnitResult,
} from '../../src/experiment/results.ts';
import { writeDocsPage, writeRunOutputs } from '../../src/experiment/write.ts';
import { timingTable } from '../../src/experiment/report.ts';
import { judgeClaims } from '../../src/experiment/claims.ts';
import { defineCommand, invocation, shown, type RunContext } from '../command.ts';
import { ConfigError } from '../config.ts';
import { heldOutProblems, loadPolicy, problemFromId, type Policy } from '../policy.ts';
import { STAGE_DEFAULTS } from '../presets.ts';
import { PRM_SCRATCH, trainPrm } from '../prm.ts';
import { formatSeconds, type StageIO } from '../reporter.ts';
import { int, type OptionSpec } from '../spec.ts';
import { runAnnotate, type AnnotateResult } from './annotate.ts';
import { PIPELINE_OPTIONS, type PipelineOptions } from './pipeline.ts';
import { ROLLOUT_SCRATCH, ROLLOUT_SEED_START, runRollout, type RolloutResult } from './rollout.ts';
import { runSft, type SftResult } from './sft.ts';
import { pct, runTrain, TRAIN_SCRATCH } from './train.ts';

export interface ExperimentOptions extends Omit<PipelineOptions, 'objective' | 'seed'> {
  seeds: number;
  methods?: string[];
  sweep?: string[];
  docs?: string;
  keepPolicies?: boolean;
}

/** Sampling temperature of pass@k, as gemstone train's evaluations use. */
const EVAL_TEMPERATURE = 0.7;
/** Held-out sampling seed: the same for every policy, so pass@k differences are not sampling noise of the evaluation. */
const EVAL_SEED = 0;

// The pipeline's options (same names, same profile defaults, so the experiment runs
// what the pipeline runs), less the ones the experiment sets per unit or per seed.
const DROPPED = new Set(['objective', 'seed']);

export const EXPERIMENT_OPTIONS: OptionSpec[] = [
  {
    key: 'seeds',
    help: 'seeds 1..n: each samples its own rollouts from π_ref and trains every unit on them',
    kind: int(),
    default: 3,
  },
  {
    key: 'methods',
    help: `objectives to compare (BCPG-NSA always joins, every row is paired with it), or "none" for sweeps only: ${OBJECTIVE_NAMES.join(', ')}`,
    kind: { type: 'list', choices: [...OBJECTIVE_NAMES, 'none'] },
    defaultHelp: 'all six',
  },
  {
    key: 'sweep',
    help: `extra BCPG-NSA runs: beta=-0.5,0,0.25,0.5,0.75,1 (the β ablation) and/or labels=${LABEL_SOURCES.join(',')} (which judge makes the β mask); both: beta=…,labels=…`,
    kind: { type: 'list' },
  },
  ...PIPELINE_OPTIONS.filter((s) => !DROPPED.has(s.key)),
  {
    key: 'keepPolicies',
    help: "keep every trained policy's checkpoint (by default only the ones a later iteration samples from)",
    kind: { type: 'boolean' },
  },
  {
    key: 'docs',
    help: 'also write the results page here (index.md, figures, results.json), e.g. docs/results',
    kind: { type: 'path' },
    transient: true,
  },
];

export function experimentCommand() {
  const command = defineCommand<ExperimentOptions>({
    name: 'experiment',
    description:
      "the paper's comparisons on the built-in task: every objective (and --sweep β or label sources) trained from one π_ref on each seed's data; report.md with mean ± std over seeds, paired differences with 95% intervals, verdicts on the paper's claims, and SVG figures",
    options: EXPERIMENT_OPTIONS,
    examples: [
      'gemstone experiment --seeds 3 --out runs/exp',
      'gemstone experiment --reference runs/ref --seeds 3 --sweep beta=-0.5,0,0.25,0.5,0.75,1 --sweep labels=oracle,rule,prm,llm,consensus --out runs/exp',
      'gemstone experiment --methods none --sweep beta=0,0.5,1 --seeds 2 --out runs/beta',
      'gemstone experiment --resume runs/exp --docs docs/results      # (re)write the results page of a run',
    ],
    validate,
    run: runExperiment,
  });
  // --sweep may be given twice (--sweep beta=… --sweep labels=…): collect rather than keep the last.
  const sweep = command.options.find((o) => o.long === '--sweep')!;
  const parseOne = sweep.parseArg!;
  sweep.argParser((value: string, previous: unknown) => [
    ...(Array.isArray(previous) ? previous : []),
    ...(parseOne(value, undefined) as unknown as string[]),
  ]);
  return command;
}

function validate(o: ExperimentOptions): void {
  try {
    if (o.sweep !== undefined) parseSweeps(o.sweep);
    resolveMethods(o.methods);
  } catch (error) {
    if (error instanceof SweepError) throw new ConfigError(error.message);
    throw error;
  }
  const problem = referenceProblem(o.reference, (dir) => existsSync(join(dir, 'checkpoint.safetensors')));
  if (problem !== null) {
    throw new ConfigError(problem);
  }
  if (o.evalPrompts < 1)
    throw new ConfigError(
      '--eval-prompts: an experiment compares held-out accuracy; it needs at least 1 prompt, got 0.',
    );
  if (resolveMethods(o.methods).length === 0 && o.sweep === undefined && o.iterations < 2) {
    throw new ConfigError(
      '--methods none leaves nothing to run: add --sweep beta=… or labels=…, or --iterations 2 or more.',
    );
  }
}

/** The command line as typed, quoted for a shell. */
function commandLine(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const prefix = invocation() === 'gemstone' ? 'npx gemstone' : invocation();
  return [prefix, ...process.argv.slice(2).map(quote)].join(' ');
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

async function closePolicy(policy: Policy): Promise<void> {
  policy.model.destroy();
  policy.context.destroy();
}

async function evaluatePolicy(policy: Policy, o: ExperimentOptions): Promise<EvalNumbers> {
  const problems = heldOutProblems(policy.task, o.evalPrompts, policy.difficulty);
  const ks = o.evalSamples > 0 ? [...new Set([1, o.evalSamples])] : [];
  const r = await evaluate(policy.model, policy.tokenizer, policy.task, problems, {
    ks,
    samples: o.evalSamples,
    temperature: EVAL_TEMPERATURE,
    seed: EVAL_SEED,
    batchRows: o.batch,
  });
  return {
    accuracy: r.accuracy,
    greedy: r.greedyAccuracy,
    passAtK: Object.fromEntries(Object.entries(r.passAtK).map(([k, v]) => [String(k), v])),
    prompts: r.prompts,
    samples: r.samples,
  };
}

function describeEval(e: EvalNumbers): string {
  return `accuracy ${pct(e.accuracy)}${e.greedy === undefined ? '' : ` · greedy ${pct(e.greedy)}`}${Object.entries(
    e.passAtK,
  )
    .map(([k, v]) => ` · pass@${k} ${pct(v)}`)
    .join('')}`;
}

interface DatasetStage {
  dataset: DatasetResult;
  labels: LabelResult[];
  /** The annotated file each label source made (its β mask). */
  files: Partial<Record<LabelSource, string>>;
}

export async function runExperiment({
  options: o,
  folder,
  reporter,
  interrupt,
  profile,
}: RunContext<ExperimentOptions>): Promise<Record<string, unknown>> {
  const io = (stage: string): StageIO => ({ reporter, interrupt, stage });
  const before = (stage: string) => interrupt.check(`before ${stage}`);
  const skipped = (title: string) => () => reporter.info(`(${title}: done in an earlier leg of this run)`);
  const sweeps: Sweeps = o.sweep !== undefined ? parseSweeps(o.sweep) : {};
  const methods = resolveMethods(o.methods);
  const seeds = Array.from({ length: o.seeds }, (_, i) => i + 1);
  const plan = { methods, sweeps, beta: o.beta, iterations: o.iterations };
  const annotateJudges = judgesNeeded(o.judges, sweeps);
  if (annotateJudges.length === 0) annotateJudges.push('oracle');
  const needsPrm = annotateJudges.includes('prm');

  const started = await folder.stage('invocation', async () => ({
    command: commandLine(),
    started: new Date().toISOString(),
  }));
  // A resumed leg may add units (another --sweep); its command line is kept so the report names every leg.
  const legsPath = folder.path('legs.json');
  const legs: string[] = existsSync(legsPath) ? JSON.parse(readFileSync(legsPath, 'utf8')) : [];
  if (commandLine() !== started.command && legs.at(-1) !== commandLine()) legs.push(commandLine());
  await writeFileAtomic(legsPath, new TextEncoder().encode(`${JSON.stringify(legs)}\n`));
  const perSeed = seeds.length * (planUnits(plan, 1).length + Math.max(0, o.iterations - 1));
  reporter.info(
    `${seeds.length} seed${seeds.length === 1 ? '' : 's'} × (${planUnits(plan, 1)
      .map((u) => u.key)
      .join(
        ', ',
      )})${o.iterations > 1 ? ` + ${o.iterations - 1} more BCPG-NSA iteration(s)` : ''}: ${perSeed} training units; judges ${annotateJudges.join(', ')} (+ oracle), consensus of ${o.judges.join(' + ')} (${o.consensus})`,
  );

  // π_ref: once for every seed.
  let reference = resolveReference(o.reference, o.preset, (line) => reporter.info(line));
  const trained = reference === 'train';
  let referenceSeconds = 0;
  if (trained) {
    const title = `π_ref: SFT of the ${o.preset} preset on noisy-solver traces`;
    reporter.stage('reference', title);
    before('the reference stage');
    reference = folder.path('reference');
    const sft = await folder.stage<SftResult>(
      'reference',
      () =>
        runSft(
          {
            preset: o.preset,
            task: 'arithmetic',
            records: o.records,
            difficulty: DEFAULT_DIFFICULTY,
            evalPrompts: 0,
            out: reference,
            steps: o.sftSteps,
            batchSize: o.sftBatchSize,
            microBatches: STAGE_DEFAULTS.sft.microBatches,
            lr: o.sftLr,
            warmup: o.sftWarmup,
            weightDecay: STAGE_DEFAULTS.sft.weightDecay,
            maxGradNorm: STAGE_DEFAULTS.sft.maxGradNorm,
            seed: 1,
            logEvery: STAGE_DEFAULTS.sft.taskLogEvery,
            checkpointEvery: o.checkpointEvery,
            adapter: o.adapter,
            samples: 0,
          },
          io('reference'),
        ),
      skipped(title),
    );
    referenceSeconds = sft.seconds;
  }
  reporter.stage('reference/evaluate', 'π_ref on the held-out prompts (the start model row)');
  const refEval = await folder.stage(
    'reference/evaluate',
    async () => {
      const policy = await loadPolicy(reference, o.adapter);
      try {
        const t = await timed(() => evaluatePolicy(policy, o));
        return { eval: t.value, seconds: t.seconds, adapter: describeReport(policy.context.report) };
      } finally {
        await closePolicy(policy);
      }
    },
    skipped('π_ref evaluation'),
  );
  reporter.info(
    `π_ref: ${describeEval(refEval.eval)} on ${refEval.eval.prompts} held-out prompts · ${refEval.adapter}`,
  );

  const datasets: DatasetResult[] = [];
  const labels: LabelResult[] = [];
  const units: UnitResult[] = [];
  for (const seed of seeds) {
    let policyDir = reference;
    for (let it = 1; it <= o.iterations; it++) {
      const name = `seed-${seed}/iteration-${it}`;
      const planned = planUnits(plan, it);
      const sources = [...new Set(planned.map((u) => u.variant.labels))];
      const data = await datasetStage(name, seed, it, policyDir, sources);
      datasets.push(data.dataset);
      labels.push(...data.labels);
      let chainDir: string | null = null;
      for (const unit of planned) {
        const result = await unitStage(name, seed, it, unit, policyDir, data);
        units.push(result);
        if (unit.roles.includes(`iteration:${it}`)) chainDir = folder.path(name, unit.key);
      }
      if (chainDir !== null) policyDir = chainDir;
    }
  }

  const results: ExperimentResults = {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    command: started.command,
    ...(legs.length > 0 ? { resumedWith: legs } : {}),
    adapter: refEval.adapter,
    profile,
    seconds: folder.seconds,
    config: Object.fromEntries(
      Object.entries(o).filter(([k]) => !['docs', 'out', 'config', 'resume', 'json', 'quiet', 'progress'].includes(k)),
    ),
    seeds,
    iterations: o.iterations,
    methods,
    sweeps,
    beta: o.beta,
    passK: o.evalSamples > 0 ? o.evalSamples : null,
    reference: {
      path: relative(folder.dir, reference) || reference,
      trained,
      eval: refEval.eval,
      seconds: referenceSeconds,
    },
    datasets,
    labels,
    units,
  };
  const written = await writeRunOutputs(folder.dir, results);
  reporter.result('');
  for (const f of ['method', 'beta', 'labels', 'iteration']) printFamily(results, f, reporter);
  for (const c of judgeClaims(results))
    reporter.result(`claim: ${c.statement} — ${c.verdict.toUpperCase()} (${c.evidence})`);
  for (const line of timingTable(results).split('\n')) reporter.info(line);
  reporter.result(
    `report: ${shown(written.report)} · results: ${shown(written.results)} · figures: ${written.figures.map((f) => shown(f)).join(', ')}`,
  );
  let docs: string | null = null;
  if (o.docs !== undefined) {
    const page = await writeDocsPage(o.docs, results, written.figureList);
    docs = page.report;
    reporter.result(`results page: ${shown(page.report)}`);
  }
  return {
    results: written.results,
    report: written.report,
    figures: written.figures,
    docs,
    seconds: results.seconds,
    reference_accuracy: refEval.eval.accuracy,
    units: units.length,
    claims: judgeClaims(results),
  };

  /** Rollouts, PRM, annotation and the β mask of each label source, for one seed and iteration. */
  async function datasetStage(
    name: string,
    seed: number,
    it: number,
    policyDir: string,
    sources: LabelSource[],
  ): Promise<DatasetStage> {
    const dir = await folder.folder(name);
    let title = `${name}: rollouts from ${relative(folder.dir, policyDir) || policyDir}`;
    reporter.stage(`${name}/rollout`, title);
    before(`${name}/rollout`);
    const rollout = (await folder.stage(
      `${name}/rollout`,
      () =>
        timed(() =>
          runRollout(
            {
              checkpoint: policyDir,
              prompts: o.prompts,
              group: o.group,
              temperature: o.temperature,
              topK: 0,
              // Each (seed, iteration) draws its own prompts, after SFT's and below the held-out range.
              seed: seed * 1000 + it,
              seedStart: ROLLOUT_SEED_START + ((seed - 1) * o.iterations + (it - 1)) * o.prompts,
              out: dir,
              batch: o.batch,
              adapter: o.adapter,
              keepAll: o.keepAll,
            },
            io(`${name}/rollout`),
          ),
        ),
      skipped(title),
    )) as { value: RolloutResult; seconds: number };
    await cleanScratch(dir, ROLLOUT_SCRATCH);
    if (rollout.value.kept.responses === 0)
      throw new Error(
        `${name}: every group was all right or all wrong; nothing to learn from (train π_ref longer, raise --group, or pass --keep-all).`,
      );

    let prmDir: string | undefined;
    let prmSeconds = 0;
    if (needsPrm) {
      title = `${name}: PRM from Monte-Carlo labels (${o.completions} completions per step prefix)`;
      reporter.stage(`${name}/prm`, title);
      before(`${name}/prm`);
      prmDir = await folder.folder(name, 'prm');
      const prm = await folder.stage(
        `${name}/prm`,
        () =>
          timed(async () => {
            const policy = await loadPolicy(policyDir, o.adapter);
            try {
              const { rollouts } = await readRolloutFile(rollout.value.path);
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
                  completions: o.completions,
                  temperature: o.temperature,
                  steps: o.prmSteps,
                  batchSize: o.prmBatchSize,
                  lr: o.prmLr,
                  seed,
                  out: prmDir!,
                  maxResponses: o.prmResponses,
                  batch: o.batch,
                  checkpointEvery: o.checkpointEvery,
                },
                io(`${name}/prm`),
              );
            } finally {
              await closePolicy(policy);
            }
          }),
        skipped(title),
      );
      prmSeconds = prm.seconds;
      await cleanScratch(prmDir, PRM_SCRATCH);
    }

    // Every judge any label source needs, once; the sources are rebuilt from these labels.
    title = `${name}: annotation (${annotateJudges.join(' + ')}; the oracle's labels recorded to measure them)`;
    reporter.stage(`${name}/annotate`, title);
    before(`${name}/annotate`);
    const annotate = (await folder.stage(
      `${name}/annotate`,
      () =>
        timed(() =>
          runAnnotate(
            {
              data: rollout.value.path,
              judges: annotateJudges,
              consensus: o.consensus,
              out: dir,
              workers: o.workers,
              chunk: o.chunk,
              llmUrl: o.llmUrl,
              llmModel: o.llmModel,
              llmNoise: o.llmNoise,
              prm: prmDir,
              prmThreshold: o.prmThreshold,
              minChars: o.minChars,
              maxSteps: o.maxSteps,
              adapter: o.adapter,
            },
            io(`${name}/annotate`),
          ),
        ),
      skipped(title),
    )) as { value: AnnotateResult; seconds: number };

    title = `${name}: β masks of ${sources.join(', ')}`;
    // Keyed by the sources: a resumed leg that adds a label sweep remakes the masks (cheap) rather than reusing a stage without them.
    const labelsStage = `${name}/labels:${sources.join('+')}`;
    reporter.stage(labelsStage, title);
    before(labelsStage);
    const masks = await folder.stage(
      labelsStage,
      () =>
        timed(async () => {
          const { header, records } = await readAnnotatedFile(annotate.value.path);
          const files: Partial<Record<LabelSource, string>> = {};
          const counts: LabelResult[] = [];
          for (const source of sources) {
            const rule = labelRule(source, o.judges, o.consensus as ConsensusMode);
            const relabelled = relabel(records, rule);
            const path = join(dir, `annotated-${source}.jsonl`);
            await writeAnnotated(
              path,
              { ...header, annotation: { ...header.annotation, voters: rule.voters, consensus: rule.mode } },
              relabelled,
            );
            files[source] = path;
            const c = labelCounts(relabelled);
            counts.push({ seed, iteration: it, source, voters: rule.voters, mode: rule.mode, ...c });
            reporter.info(
              `${source} (${rule.voters.join(` ${rule.mode} `)}): tokens of negatives labelled correct ${c.negativeTokensCorrect}, incorrect ${c.negativeTokensIncorrect} · step precision ${pct(c.precision)} · recall ${pct(c.recall)} against the oracle`,
            );
          }
          return { files, counts };
        }),
      skipped(title),
    );

    const r = rollout.value;
    return {
      dataset: {
        seed,
        iteration: it,
        prompts: r.kept.prompts,
        responses: r.kept.responses,
        negatives: r.kept.negatives,
        tokens: r.kept.tokens,
        negativeTokens: r.kept.negativeTokens,
        sampledAccuracy: r.sampled.positives / Math.max(1, r.sampled.responses),
        droppedGroups: r.droppedGroups,
        seconds: rollout.seconds + prmSeconds + annotate.seconds + masks.seconds,
      },
      labels: masks.value.counts,
      files: masks.value.files,
    };
  }

  /** One training run from π_ref on the seed's data, then its held-out evaluation. */
  async function unitStage(
    name: string,
    seed: number,
    it: number,
    unit: PlannedUnit,
    policyDir: string,
    data: DatasetStage,
  ): Promise<UnitResult> {
    const v = unit.variant;
    const stage = `${name}/${unit.key}`;
    const title = `${name}: ${v.objective}${v.objective === 'bcpg-nsa' ? ` (β ${v.beta}, ${v.labels} labels)` : ''} — ${unit.roles.join(', ')}`;
    reporter.stage(stage, title);
    before(stage);
    const out = folder.path(name, unit.key);
    const result = await folder.stage(
      stage,
      () =>
        timed(async () => {
          const policy = await loadPolicy(policyDir, o.adapter);
          try {
            // gemstone train's own evaluation is off (evalPrompts 0): every policy is evaluated here, the same way.
            const r = await runTrain(
              policy,
              {
                data: data.files[v.labels]!,
                checkpoint: policyDir,
                objective: v.objective,
                beta: v.beta,
                tau: o.tau,
                epochs: o.epochs,
                groupsPerBatch: o.groupsPerBatch,
                lr: o.lr,
                seed,
                evalPrompts: 0,
                samples: 0,
                out,
                adapter: o.adapter,
                logEvery: 10,
                batch: o.batch,
                checkpointEvery: o.checkpointEvery,
              },
              io(stage),
            );
            return { eval: await evaluatePolicy(policy, o), steps: r.steps };
          } finally {
            await closePolicy(policy);
          }
        }),
      skipped(title),
    );
    await cleanScratch(out, TRAIN_SCRATCH);
    // A later iteration samples from BCPG-NSA's chain policy; the others are not needed once evaluated.
    const needed = unit.roles.includes(`iteration:${it}`) && it < o.iterations;
    if (!o.keepPolicies && !needed) await rm(join(out, 'checkpoint.safetensors'), { force: true });
    reporter.info(
      `seed ${seed} · iteration ${it} · ${unit.key}: ${describeEval(result.value.eval)} · ${result.value.steps} steps · ${formatSeconds(result.seconds)}`,
    );
    return {
      seed,
      iteration: it,
      key: unit.key,
      variant: v,
      roles: unit.roles,
      eval: result.value.eval,
      steps: result.value.steps,
      seconds: result.seconds,
    };
  }
}

async function writeAnnotated(path: string, header: AnnotatedHeader, records: AnnotatedRecord[]): Promise<void> {
  const writer = await JsonlFileWriter.create<AnnotatedHeader, AnnotatedRecord>(path, header);
  try {
    for (const r of records) await writer.write(r);
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

async function cleanScratch(dir: string, names: string[]): Promise<void> {
  for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
}

/** The end-of-run lines of one comparison: mean ± std and Δ against its reference row. */
function printFamily(results: ExperimentResults, family: string, reporter: StageIO['reporter']): void {
  const levels =
    family === 'method'
      ? results.methods.map(String)
      : family === 'beta'
        ? (results.sweeps.beta ?? []).map(String)
        : family === 'labels'
          ? (results.sweeps.labels ?? []).map(String)
          : results.iterations > 1
            ? Array.from({ length: results.iterations }, (_, i) => String(i + 1))
            : [];
  if (levels.length === 0) return;
  const ref =
    family === 'method' ? 'bcpg-nsa' : family === 'labels' && levels.includes('consensus') ? 'consensus' : null;
  const fmt = (m: number | null, s: number | null) =>
    m === null ? '–' : `${(100 * m).toFixed(1)}${s === null ? '' : ` ± ${(100 * s).toFixed(1)}`}%`;
  for (const r of familyRows(results, family, levels, ref)) {
    const d = r.vsReference?.accuracy;
    const delta =
      d && d.mean !== null
        ? ` · Δ ${ref} − this ${(100 * d.mean).toFixed(1)} pp${d.ci ? ` [${(100 * d.ci[0]).toFixed(1)}, ${(100 * d.ci[1]).toFixed(1)}]` : ''}`
        : '';
    reporter.result(
      `${family} ${r.level}: accuracy ${fmt(r.accuracy.mean, r.accuracy.std)}${r.passAtK ? ` · pass@${results.passK} ${fmt(r.passAtK.mean, r.passAtK.std)}` : ''}${delta}`,
    );
  }
}
