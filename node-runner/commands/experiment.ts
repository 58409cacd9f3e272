// `gemstone experiment`: the paper's comparisons at small scale (issue #9).
//
// π_ref is trained once (or reused with --reference). For each seed: its own
// rollouts (its own prompts), a PRM, one annotation with every judge any label
// source needs, then every unit — each objective, each β, each label source —
// trains from the same π_ref on that same data and is evaluated on the same
// held-out prompts. With --iterations N, each --iterate method (BCPG-NSA and
// BCPG by default) has its own chain: its policy samples the next round's data
// and becomes its π_ref. With --regimes, each other regime's π_ref is trained
// first, and each seed then also samples that regime's data and trains its
// units, so a run stopped after k seeds holds k whole seeds. Then results.json,
// report.md (with the power of every paired comparison) and the SVG figures
// (src/experiment/), and with --docs the results page. The rounds (π_ref, data,
// training) are the stage library's (src/pipeline/rounds.ts), the same the
// pipeline and the page run.
//
// Resumable: every dataset stage and every (seed, iteration, unit) is a stage
// of the run folder, and a unit's training resumes from its own checkpoint, so
// a crash loses at most the step in progress.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';
import { writeFileAtomic } from '../../src/checkpoint/files.ts';
import type { AnnotatedHeader, AnnotatedRecord } from '../../src/data/annotated.ts';
import { JsonlFileWriter, readAnnotatedFile } from '../../src/data/rollout-files.ts';
import { countWork, generationRate, generationSeconds } from '../../src/experiment/estimate.ts';
import { labelCounts, labelRule, relabel } from '../../src/experiment/labels.ts';
import {
  iterationRole,
  REGIME_UNITS,
  regimeUnits,
  judgesNeeded,
  LABEL_SOURCES,
  parseSweeps,
  planUnits,
  resolveIterate,
  resolveMethods,
  SweepError,
  type LabelSource,
  type PlannedUnit,
  type Sweeps,
} from '../../src/experiment/plan.ts';
import { DEFAULT_TARGET_HALFWIDTH, powerSection } from '../../src/experiment/power.ts';
import { parseRegimes, type Regime, RegimeError, regimeFolder, regimeRows } from '../../src/experiment/regimes.ts';
import { timingTable } from '../../src/experiment/report.ts';
import {
  families,
  familyRows,
  RESULTS_FORMAT,
  RESULTS_VERSION,
  type DatasetResult,
  type EvalNumbers,
  type ExperimentResults,
  type LabelResult,
  type MinedShare,
  type RegimeResult,
  type UnitResult,
} from '../../src/experiment/results.ts';
import { describeDifference, judgeClaims } from '../../src/experiment/claims.ts';
import { writeDocsPage, writeRunOutputs } from '../../src/experiment/write.ts';
import { describeReport } from '../../src/gpu/device.ts';
import type { ConsensusMode } from '../../src/judge/consensus.ts';
import { OBJECTIVE_NAMES, type ObjectiveName } from '../../src/objectives/index.ts';
import { RL_DEFAULTS } from '../../src/pipeline/defaults.ts';
import { evaluatePolicy, pct } from '../../src/pipeline/evaluate.ts';
import { CHECKPOINT, openPolicy, type PipelineFace, type PolicyRef } from '../../src/pipeline/face.ts';
import { learnedRegime, type Policy, type PolicyExtra } from '../../src/pipeline/policy.ts';
import { dataRound, referenceRound, trainRound } from '../../src/pipeline/rounds.ts';
import { referenceOptions, roundSettings } from '../../src/pipeline/pipeline.ts';
import { DEFAULT_TASK_NAME, describeTask, getTask, taskRecord } from '../../src/tasks/index.ts';
import { regimeStats } from '../../src/tasks/regime.ts';
import { formatSolverSpec, type SolverSettings } from '../../src/tasks/solver-spec.ts';
import type { Task } from '../../src/tasks/task.ts';
import { decodeCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { checkReferenceTask, referenceForTask, referenceProblem } from '../bundled-reference.ts';
import { defineCommand, invocation, shown, type RunContext } from '../command.ts';
import { ConfigError } from '../config.ts';
import { nodeFace } from '../face.ts';
import { FolderStore } from '../file-store.ts';
import { formatSeconds, type StageIO } from '../reporter.ts';
import { int, num, type OptionSpec } from '../spec.ts';
import { DIFFICULTY_OPTION, PIPELINE_OPTIONS, type PipelineOptions } from './pipeline.ts';
import { SEED, TRACES } from './task-stats.ts';
import { checkReferenceRegime } from '../solver-option.ts';

export interface ExperimentOptions extends Omit<PipelineOptions, 'objective' | 'seed'> {
  seeds: number;
  methods?: string[];
  sweep?: string[];
  docs?: string;
  keepPolicies?: boolean;
  iterate?: string[];
  /** In points (1.5 = ±1.5 percentage points). */
  targetHalfwidth: number;
  /** The difficulty π_ref is trained at (with --reference train; the task's by default). */
  difficulty?: number;
  /** The mined-share sweep: regimes separated by ";" (src/experiment/regimes.ts). */
  regimes?: string;
}

/** A regime other than the default while the run goes: its π_ref, and its result, filled seed by seed. */
interface RegimeRun {
  regime: Regime;
  ref: PolicyRef;
  result: RegimeResult;
}

/** The seconds of a regime's datasets and units so far. */
const secondsSoFar = (run: RegimeRun): number =>
  run.result.datasets.reduce((sum, d) => sum + d.seconds, 0) + run.result.units.reduce((sum, u) => sum + u.seconds, 0);

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
    help:
      'objectives to compare (BCPG-NSA always joins, every row is paired with it), or "none" for sweeps only: ' +
      `${OBJECTIVE_NAMES.join(', ')}`,
    kind: { type: 'list', choices: [...OBJECTIVE_NAMES, 'none'] },
    defaultHelp: 'all six',
  },
  {
    key: 'sweep',
    help:
      'extra BCPG-NSA runs: beta=-0.5,0,0.25,0.5,0.75,1 (the β ablation) and/or ' +
      `labels=${LABEL_SOURCES.join(',')} (which judge makes the β mask); both: beta=…,labels=…`,
    kind: { type: 'list' },
  },
  {
    key: 'regimes',
    help:
      'the mined-share sweep: regimes separated by ";" (quote the list), each "default" (this π_ref) or ' +
      "solver knobs as --solver takes them, plus difficulty=N if not the run's; each other regime trains its " +
      'own π_ref on its traces; per regime and seed: BCPG-NSA, BCPG-NSA with oracle labels, and BCPG',
    kind: { type: 'string' },
    arg: '<regime;regime;...>',
  },
  ...PIPELINE_OPTIONS.filter((s) => !DROPPED.has(s.key)),
  DIFFICULTY_OPTION,
  {
    key: 'iterate',
    help:
      'with --iterations 2 or more: the methods that each get their own chain (their last policy samples the ' +
      `next round's data): ${OBJECTIVE_NAMES.join(', ')}`,
    kind: { type: 'list', choices: [...OBJECTIVE_NAMES] },
    defaultHelp: 'bcpg-nsa,bcpg',
  },
  {
    key: 'targetHalfwidth',
    help:
      "the 95% interval half-width, in points, a paired difference should reach: the report's Power section " +
      'says whether each did and how many seeds would (it does not stop or extend the run)',
    kind: num({ positive: true }),
    default: 100 * DEFAULT_TARGET_HALFWIDTH,
  },
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
      "the paper's comparisons on a task (--task; arithmetic by default): every objective (and --sweep β or " +
      "label sources) trained from one π_ref on each seed's data; report.md with mean ± std over seeds, paired " +
      'differences with 95% intervals, their power (the half-width reached, the minimum detectable difference, ' +
      "the seeds a target would need), verdicts on the paper's claims, and SVG figures",
    options: EXPERIMENT_OPTIONS,
    examples: [
      'gemstone experiment --seeds 3 --out runs/exp',
      'gemstone experiment --reference runs/ref --seeds 3 --sweep beta=-0.5,0,0.25,0.5,0.75,1 --sweep ' +
        'labels=oracle,rule,prm,llm,consensus --out runs/exp',
      'gemstone experiment --methods none --sweep beta=0,0.5,1 --seeds 2 --out runs/beta',
      'gemstone experiment --methods bcpg-nsa,bcpg --iterations 3 --iterate bcpg-nsa,bcpg --seeds 8 --out runs/iter',
      "gemstone experiment --methods none --regimes 'default;slipWhere=late,catchRate=0.8' --seeds 8 " +
        '--out runs/regimes      # the mined-share sweep: BCPG-NSA − BCPG against the share',
      'gemstone experiment --seeds 8 --prompts 96 --eval-prompts 400 --eval-samples 8 --target-halfwidth 1.5 ' +
        "--out runs/power      # the start line estimates its length; the report's Power section says what it reached",
      'gemstone experiment --resume runs/exp --docs docs/results      # (re)write the results page of a run',
    ],
    validate,
    prepare: (o, task) => {
      checkReferenceTask(o.reference, task);
      checkReferenceRegime(o, task); // --solver (from the pipeline's options): π_ref's traces
      if (o.regimes !== undefined) regimesOf(o.regimes, task ?? getTask(DEFAULT_TASK_NAME));
    },
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
    resolveIterate(o.iterate, o.iterations);
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
  if (resolveMethods(o.methods).length === 0 && o.sweep === undefined && o.iterations < 2 && !o.regimes) {
    throw new ConfigError(
      '--methods none leaves nothing to run: add --sweep beta=… or labels=…, --regimes, or --iterations 2 or more.',
    );
  }
}

/** --regimes read for the task, or a ConfigError naming the regime and key (exit status 2, nothing done). */
function regimesOf(text: string, task: Task): Regime[] {
  try {
    return parseRegimes(text, task);
  } catch (error) {
    if (error instanceof RegimeError) throw new ConfigError(error.message);
    throw error;
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

/** The experiment's evaluation of every policy: the pipeline's (src/pipeline/evaluate.ts), as numbers. */
async function evaluateNumbers(policy: Policy, o: ExperimentOptions): Promise<EvalNumbers> {
  // One batch size for every policy: the sampling seed of a row depends on its batch, so pairing needs the same.
  const r = await evaluatePolicy(policy, {
    prompts: o.evalPrompts,
    samples: o.evalSamples,
    batch: o.batch,
    perPrompt: true,
  });
  return {
    accuracy: r.accuracy,
    greedy: r.greedyAccuracy,
    passAtK: Object.fromEntries(Object.entries(r.passAtK).map(([k, v]) => [String(k), v as number])),
    prompts: r.prompts,
    samples: r.samples,
    ...(r.correctByPrompt ? { correctByPrompt: r.correctByPrompt } : {}),
    batch: o.batch,
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
  task: loaded,
}: RunContext<ExperimentOptions>): Promise<Record<string, unknown>> {
  const task = loaded ?? getTask(DEFAULT_TASK_NAME);
  const difficulty = o.difficulty ?? task.defaultDifficulty;
  reporter.info(`task ${describeTask(task)} (difficulty ${difficulty})`);
  // Every stage is timed: the report's timing table reads the seconds of each.
  const seconds = new Map<string, number>();
  const face = nodeFace({
    folder,
    reporter,
    interrupt,
    adapter: o.adapter,
    llm: o,
    task,
    before: (stage) => `before ${stage}`,
    record: async <T>(stage: string, work: () => Promise<T>, onSkip: () => void): Promise<T> => {
      const t = await folder.stage(stage, () => timed(work), onSkip);
      seconds.set(stage, t.seconds);
      return t.value;
    },
  });
  const secondsOf = (stage: string) => seconds.get(stage) ?? 0;
  const sweeps: Sweeps = o.sweep !== undefined ? parseSweeps(o.sweep) : {};
  const methods = resolveMethods(o.methods);
  const seeds = Array.from({ length: o.seeds }, (_, i) => i + 1);
  const iterate = resolveIterate(o.iterate, o.iterations);
  const regimes = o.regimes !== undefined ? regimesOf(o.regimes, task) : [];
  const defaultRegime = regimes.some((r) => r.isDefault);
  const plan = { methods, sweeps, beta: o.beta, iterations: o.iterations, iterate, defaultRegime };
  const annotateJudges = judgesNeeded(o.judges, sweeps);
  if (annotateJudges.length === 0) annotateJudges.push('oracle');
  // A chain's later data only needs the consensus (its unit trains on consensus labels): no other sweep judge.
  const chainJudges = judgesNeeded(o.judges, {});
  if (chainJudges.length === 0) chainJudges.push('oracle');

  const started = await folder.stage('invocation', async () => ({
    command: commandLine(),
    started: new Date().toISOString(),
  }));
  // A resumed leg may add units (another --sweep); its command line is kept so the report names every leg.
  const legsPath = folder.path('legs.json');
  const legs: string[] = existsSync(legsPath) ? JSON.parse(readFileSync(legsPath, 'utf8')) : [];
  if (commandLine() !== started.command && legs.at(-1) !== commandLine()) legs.push(commandLine());
  await writeFileAtomic(legsPath, new TextEncoder().encode(`${JSON.stringify(legs)}\n`));
  const work = countWork({
    seeds: seeds.length,
    iterations: o.iterations,
    chains: iterate.length,
    firstUnits: planUnits(plan, 1).length,
    prompts: o.prompts,
    group: o.group,
    evalPrompts: o.evalPrompts,
    evalSamples: o.evalSamples,
  });
  const unitKeys = planUnits(plan, 1)
    .map((u) => u.key)
    .join(', ');
  const more =
    iterate.length > 0 ? ` + ${o.iterations - 1} more iteration(s) of ${iterate.join(', ')}, each its own chain` : '';
  reporter.info(
    `${seeds.length} seed${seeds.length === 1 ? '' : 's'} × (${unitKeys})${more}: ${work.units} training units ` +
      `on ${work.datasets} datasets; judges ${annotateJudges.join(', ')} (+ oracle), consensus of ` +
      `${o.judges.join(' + ')} (${o.consensus})`,
  );
  const ownRegimes = regimes.filter((r) => !r.isDefault);
  if (regimes.length > 0)
    reporter.info(
      `mined-share sweep over ${regimes.map((r) => r.name).join(' · ')}: ${ownRegimes.length} more π_ref(s), ` +
        `then per regime and seed its data and ${REGIME_UNITS.join(', ')}` +
        `${defaultRegime ? ' (the default regime: on the seeds above)' : ''}`,
    );

  // π_ref: once for every seed.
  const resolved = referenceForTask(o.reference, o.preset, task.name, (line) => reporter.info(line));
  const trained = resolved === 'train';
  let referenceSeconds = 0;
  let reference: PolicyRef;
  if (resolved === 'train') {
    const store = face.store.at('reference');
    const sft = await referenceRound(
      face,
      task,
      referenceOptions(o, { difficulty, seed: 1, evalPrompts: 0 }),
      store,
      `π_ref: SFT of the ${o.preset} preset on noisy-solver traces`,
    );
    referenceSeconds = sft.seconds;
    reference = { store, name: CHECKPOINT };
  } else reference = { store: new FolderStore(resolved), name: CHECKPOINT };
  const describe = (ref: PolicyRef) => {
    const dir = ref.store.locate('');
    return relative(folder.dir, dir) || dir;
  };
  const refEval = await referenceEvaluation('reference/evaluate', reference, 'π_ref');
  reporter.info(
    `π_ref: ${describeEval(refEval.eval)} on ${refEval.eval.prompts} held-out prompts · ${refEval.adapter}`,
  );
  const rate = generationRate(refEval.seconds, refEval.eval.prompts, refEval.eval.samples);
  reporter.info(
    `estimate: at least ${formatSeconds(generationSeconds(work, rate))} — generating ` +
      `${work.rolloutSequences} rollout and ${work.evaluationSequences} evaluation sequences at π_ref's ` +
      `evaluation rate here (${(1000 * rate).toFixed(0)} ms a sequence); training, PRM and annotation come on top, ` +
      'and a measured estimate follows each seed',
  );

  const datasets: DatasetResult[] = [];
  const labels: LabelResult[] = [];
  const units: UnitResult[] = [];
  // Every other regime's π_ref first; then each seed runs everything of its own (the units, then each regime's
  // data and units), so a run stopped after k seeds holds k whole seeds, and the estimate after a seed counts it all.
  const regimeRuns: RegimeRun[] = [];
  for (const regime of regimes) if (!regime.isDefault) regimeRuns.push(await regimeReference(regime));
  for (const seed of seeds) {
    const seedDatasets = datasets.length;
    const seedUnits = units.length;
    const seedRegimeSeconds = regimeRuns.reduce((sum, r) => sum + secondsSoFar(r), 0);
    // Each iterated method's last policy; iteration 1 starts every chain from π_ref on the shared data.
    const chains = new Map<ObjectiveName, PolicyRef>();
    for (let it = 1; it <= o.iterations; it++) {
      const name = `seed-${seed}/iteration-${it}`;
      const planned = planUnits(plan, it);
      if (it === 1) {
        const sources = [...new Set(planned.map((u) => u.variant.labels))];
        const data = await datasetStage(name, seed, it, reference, sources);
        datasets.push(data.dataset);
        labels.push(...data.labels);
        for (const unit of planned) units.push(await unitStage(name, seed, it, unit, reference, data, chains));
        continue;
      }
      for (const unit of planned) {
        // From iteration 2 each chain samples its own data: seed-N/iteration-K/<method>-data.
        const method = unit.chain!;
        const policy = chains.get(method)!;
        if (!folder.done(`${name}/${unit.key}`) && !existsSync(policy.store.locate(CHECKPOINT)))
          throw new ConfigError(
            `${name}: ${method}'s chain samples from ${describe(policy)}, whose checkpoint was removed once ` +
              'evaluated (it was the last iteration then). A finished run cannot grow --iterations; ' +
              'start a new --out (or give --keep-policies from the first leg).',
          );
        const data = await datasetStage(`${name}/${method}-data`, seed, it, policy, [unit.variant.labels], {
          chain: method,
        });
        datasets.push(data.dataset);
        labels.push(...data.labels);
        units.push(await unitStage(name, seed, it, unit, policy, data, chains));
      }
    }
    for (const run of regimeRuns) await regimeSeed(run, seed);
    const took =
      datasets.slice(seedDatasets).reduce((sum, d) => sum + d.seconds, 0) +
      units.slice(seedUnits).reduce((sum, u) => sum + u.seconds, 0) +
      regimeRuns.reduce((sum, r) => sum + secondsSoFar(r), 0) -
      seedRegimeSeconds;
    const left = seeds.length - seed;
    if (left > 0)
      reporter.info(
        `estimate: seed ${seed} took ${formatSeconds(took)} of datasets and units; the ${left} seed` +
          `${left === 1 ? '' : 's'} left ≈ ${formatSeconds(left * took)} more (seed ${seed}'s measured stages)`,
      );
  }

  const regimeResults: RegimeResult[] = [];
  for (const regime of regimes)
    regimeResults.push(
      regime.isDefault ? await defaultRegimeResult(regime) : regimeRuns.find((r) => r.regime === regime)!.result,
    );

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
    iterate,
    targetHalfwidth: o.targetHalfwidth / 100,
    methods,
    sweeps,
    beta: o.beta,
    passK: o.evalSamples > 0 ? o.evalSamples : null,
    reference: {
      path: describe(reference),
      trained,
      eval: refEval.eval,
      seconds: referenceSeconds,
    },
    datasets,
    labels,
    units,
    ...(regimeResults.length > 0 ? { regimes: regimeResults } : {}),
  };
  results.power = powerSection(results);
  const written = await writeRunOutputs(folder.dir, results);
  reporter.result('');
  for (const { family, levels } of families(results)) printFamily(results, family, levels, reporter);
  for (const c of results.power.comparisons.filter((x) => x.headline))
    reporter.result(
      `power: ${c.name}: ±${c.halfWidth === null ? '–' : (100 * c.halfWidth).toFixed(1)} pp reached, ` +
        `detectable ${c.minimumDetectable === null ? '–' : (100 * c.minimumDetectable).toFixed(1)} pp, ` +
        `±${o.targetHalfwidth} pp needs ${c.seedsForTarget ?? '–'} seeds`,
    );
  for (const r of regimeRows(results))
    reporter.result(
      `regime ${r.regime.name}: mined share ${pct(r.minedShare)} · BCPG-NSA − BCPG ` +
        `${describeDifference(r.nsaMinusBcpg)} · BCPG-NSA(oracle) − BCPG ${describeDifference(r.oracleMinusBcpg)}`,
    );
  for (const c of judgeClaims(results))
    reporter.result(`claim: ${c.statement} — ${c.verdict.toUpperCase()} (${c.evidence})`);
  for (const line of timingTable(results).split('\n')) reporter.info(line);
  reporter.result(
    `report: ${shown(written.report)} · results: ${shown(written.results)} · figures: ` +
      `${written.figures.map((f) => shown(f)).join(', ')}`,
  );
  let docs: string | null = null;
  if (o.docs !== undefined) {
    const page = await writeDocsPage(o.docs, results, written.figureList);
    docs = page.report;
    reporter.result(`results page: ${shown(page.report)}`);
  }
  return {
    ...taskRecord(task),
    results: written.results,
    report: written.report,
    figures: written.figures,
    docs,
    seconds: results.seconds,
    reference_accuracy: refEval.eval.accuracy,
    units: units.length,
    claims: judgeClaims(results),
  };

  /**
   * A regime other than the default, before its seeds: the mined share of its solver's traces (task-stats'
   * figure) and its own π_ref, trained as --reference train --solver … --difficulty … trains it (once, in the
   * regime's folder, reused by every seed), evaluated on the held-out prompts.
   */
  async function regimeReference(regime: Regime): Promise<RegimeRun> {
    const prefix = regimeFolder(regime.name);
    const regimeDifficulty = regime.difficulty ?? difficulty;
    const mined = await minedShareStage(prefix, regime.solver, regimeDifficulty);
    // The stage library names π_ref's stage "reference": within the regime's folder here.
    const inFolder: PipelineFace = {
      ...face,
      stages: { run: (stage, title, work) => face.stages.run(`${prefix}/${stage}`, title, work) },
    };
    const store = face.store.at(`${prefix}/reference`);
    const solver = formatSolverSpec(regime.solver) || undefined;
    const sft = await referenceRound(
      inFolder,
      task,
      referenceOptions({ ...o, solver }, { difficulty: regimeDifficulty, seed: 1, evalPrompts: 0 }),
      store,
      `${prefix}: π_ref, SFT of the ${o.preset} preset on the traces of ${regime.name}`,
    );
    const ref: PolicyRef = { store, name: CHECKPOINT };
    const refEval = await referenceEvaluation(`${prefix}/reference/evaluate`, ref, `${prefix}: π_ref`);
    return {
      regime,
      ref,
      result: {
        name: regime.name,
        isDefault: false,
        solver: regime.solver,
        difficulty: regimeDifficulty,
        folder: prefix,
        mined,
        reference: { path: describe(ref), trained: true, eval: refEval.eval, seconds: sft.seconds },
        datasets: [],
        labels: [],
        units: [],
      },
    };
  }

  /** One seed of a regime: data sampled from its π_ref, and REGIME_UNITS trained from it on that data. */
  async function regimeSeed(run: RegimeRun, seed: number): Promise<void> {
    const name = `${regimeFolder(run.regime.name)}/seed-${seed}`;
    const data = await datasetStage(name, seed, 1, run.ref, ['consensus', 'oracle'], { judges: chainJudges });
    run.result.datasets.push(data.dataset);
    run.result.labels.push(...data.labels);
    for (const unit of regimeUnits(run.regime.name, o.beta))
      run.result.units.push(await unitStage(name, seed, 1, unit, run.ref, data, new Map()));
  }

  /** The default regime: the run's own π_ref, iteration-1 data and units, with the mined share of its traces. */
  async function defaultRegimeResult(regime: Regime): Promise<RegimeResult> {
    // The knobs and difficulty π_ref learned, as its checkpoint records them (none: the solver's defaults).
    const path = reference.store.locate(CHECKPOINT);
    const learned = learnedRegime(decodeCheckpoint(new Uint8Array(readFileSync(path)), path).extra as PolicyExtra);
    const mined = await minedShareStage(regimeFolder(regime.name), learned.solver, learned.difficulty);
    const first = (x: { iteration: number; chain?: ObjectiveName }) => x.iteration === 1 && x.chain === undefined;
    return {
      name: regime.name,
      isDefault: true,
      solver: learned.solver,
      difficulty: learned.difficulty,
      folder: null,
      mined,
      reference: { path: describe(reference), trained, eval: refEval.eval, seconds: referenceSeconds },
      datasets: datasets.filter(first),
      labels: labels.filter((l) => first(l) && (l.source === 'consensus' || l.source === 'oracle')),
      units: units.filter((u) => u.roles.some((r) => r.startsWith(`regime:${regime.name}:`))),
    };
  }

  /** gemstone task-stats' mined share of the solver's traces at these knobs (its default traces and seed). */
  function minedShareStage(prefix: string, solver: SolverSettings, at: number): Promise<MinedShare> {
    const text = formatSolverSpec(solver) || "the solver's defaults";
    return face.stages.run(`${prefix}/task-stats`, `${prefix}: mined share of ${text} (difficulty ${at})`, async () => {
      const s = regimeStats(task, solver, { difficulty: at, count: TRACES, seed: SEED });
      reporter.info(`mined share ${pct(s.minedShare)} (${s.minedTokens} of ${s.negativeTokens} tokens of negatives)`);
      return {
        share: s.minedShare,
        minedTokens: s.minedTokens,
        negativeTokens: s.negativeTokens,
        traces: s.responses,
        seed: SEED,
      };
    });
  }

  /** A π_ref on the held-out prompts: the start model row (of the run, or of a regime). */
  function referenceEvaluation(stage: string, ref: PolicyRef, who: string) {
    return face.stages.run(stage, `${who} on the held-out prompts (the start model row)`, async () => {
      const policy = await openPolicy(face, ref);
      try {
        const t = await timed(() => evaluateNumbers(policy, o));
        return { eval: t.value, seconds: t.seconds, adapter: describeReport(policy.context.report) };
      } finally {
        policy.close();
      }
    });
  }

  /** Rollouts, PRM, annotation and the β mask of each label source, for one seed and iteration. */
  async function datasetStage(
    name: string,
    seed: number,
    it: number,
    policy: PolicyRef,
    sources: LabelSource[],
    { chain, judges: given }: { chain?: ObjectiveName; judges?: string[] } = {},
  ): Promise<DatasetStage> {
    const store = face.store.at(name);
    const dir = store.locate('');
    const judges = given ?? (chain === undefined ? annotateJudges : chainJudges);
    const { rollout, annotate } = await dataRound(face, {
      name,
      store,
      policy,
      policyLabel: describe(policy),
      // Each (seed, iteration) draws its own prompts, after SFT's and below the held-out range.
      ...roundSettings(o, {
        round: (seed - 1) * o.iterations + (it - 1),
        seed: seed * 1000 + it,
        prmSeed: seed,
        prm: judges.includes('prm'),
      }),
      // Every judge any label source needs, once; the sources are rebuilt from these labels.
      annotate: { ...o, judges },
      annotateTitle: `${name}: annotation ` + `(${judges.join(' + ')}; the oracle's labels recorded to measure them)`,
    });

    const title = `${name}: β masks of ${sources.join(', ')}`;
    // Keyed by the sources: a resumed leg that adds a label sweep remakes the masks (cheap)
    // rather than reusing a stage without them.
    const labelsStage = `${name}/labels:${sources.join('+')}`;
    const masks = await face.stages.run(labelsStage, title, async () => {
      const { header, records } = await readAnnotatedFile(annotate.path, { task });
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
        counts.push({
          seed,
          iteration: it,
          ...(chain ? { chain } : {}),
          source,
          voters: rule.voters,
          mode: rule.mode,
          ...c,
        });
        reporter.info(
          `${source} (${rule.voters.join(` ${rule.mode} `)}): tokens of negatives labelled correct ` +
            `${c.negativeTokensCorrect}, incorrect ${c.negativeTokensIncorrect} · step precision ` +
            `${pct(c.precision)} · recall ${pct(c.recall)} against the oracle`,
        );
      }
      return { files, counts };
    });

    const r = rollout;
    return {
      dataset: {
        seed,
        iteration: it,
        ...(chain ? { chain } : {}),
        prompts: r.kept.prompts,
        responses: r.kept.responses,
        negatives: r.kept.negatives,
        tokens: r.kept.tokens,
        negativeTokens: r.kept.negativeTokens,
        sampledAccuracy: r.sampled.positives / Math.max(1, r.sampled.responses),
        droppedGroups: r.droppedGroups,
        seconds:
          ['rollout', 'prm', 'annotate'].reduce((sum, stage) => sum + secondsOf(`${name}/${stage}`), 0) +
          secondsOf(labelsStage),
      },
      labels: masks.counts,
      files: masks.files,
    };
  }

  /** One training run from π_ref on the seed's data, then its held-out evaluation. */
  async function unitStage(
    name: string,
    seed: number,
    it: number,
    unit: PlannedUnit,
    policy: PolicyRef,
    data: DatasetStage,
    chains: Map<ObjectiveName, PolicyRef>,
  ): Promise<UnitResult> {
    const v = unit.variant;
    const stage = `${name}/${unit.key}`;
    const out = face.store.at(`${name}/${unit.key}`);
    const dataStore = face.store.at(name);
    const result = await trainRound(
      face,
      {
        stage,
        title:
          `${name}: ${v.objective}${v.objective === 'bcpg-nsa' ? ` (β ${v.beta}, ${v.labels} labels)` : ''} — ` +
          `${unit.roles.join(', ')}`,
        policy,
        data: { store: dataStore, name: relative(dataStore.locate(''), data.files[v.labels]!) },
        out,
        // The stage's own evaluation is off (evalPrompts 0): every policy is evaluated here, the same way.
        rl: {
          ...o,
          objective: v.objective,
          beta: v.beta,
          seed,
          evalPrompts: 0,
          evalSamples: 0,
          logEvery: RL_DEFAULTS.logEvery,
        },
      },
      async (trained, r) => ({ eval: await evaluateNumbers(trained, o), steps: r.steps }),
    );
    // A later iteration samples from each chain's policy; the others are not needed once evaluated.
    const chainOf = iterate.find((m) => unit.roles.includes(iterationRole(m, it)));
    if (chainOf !== undefined) chains.set(chainOf, { store: out, name: CHECKPOINT });
    const needed = chainOf !== undefined && it < o.iterations;
    if (!o.keepPolicies && !needed) await out.remove(CHECKPOINT);
    const took = secondsOf(stage);
    reporter.info(
      `seed ${seed} · iteration ${it} · ${unit.key}: ${describeEval(result.eval)} · ${result.steps} steps · ` +
        `${formatSeconds(took)}`,
    );
    return {
      seed,
      iteration: it,
      key: unit.key,
      variant: v,
      roles: unit.roles,
      eval: result.eval,
      steps: result.steps,
      seconds: took,
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

/** The end-of-run lines of one comparison: mean ± std and Δ against its reference row. */
function printFamily(
  results: ExperimentResults,
  family: string,
  levels: string[],
  reporter: StageIO['reporter'],
): void {
  const ref =
    family === 'method' ? 'bcpg-nsa' : family === 'labels' && levels.includes('consensus') ? 'consensus' : null;
  // A chain's rows: "bcpg-nsa iteration 2".
  const name = family.startsWith('iteration:') ? `${family.slice('iteration:'.length)} iteration` : family;
  const fmt = (m: number | null, s: number | null) =>
    m === null ? '–' : `${(100 * m).toFixed(1)}${s === null ? '' : ` ± ${(100 * s).toFixed(1)}`}%`;
  for (const r of familyRows(results, family, levels, ref)) {
    const d = r.vsReference?.accuracy;
    const delta =
      d && d.mean !== null
        ? ` · Δ ${ref} − this ${(100 * d.mean).toFixed(1)} ` +
          `pp${d.ci ? ` [${(100 * d.ci[0]).toFixed(1)}, ${(100 * d.ci[1]).toFixed(1)}]` : ''}`
        : '';
    reporter.result(
      `${name} ${r.level}: accuracy ${fmt(r.accuracy.mean, r.accuracy.std)}` +
        `${r.passAtK ? ` · pass@${results.passK} ${fmt(r.passAtK.mean, r.passAtK.std)}` : ''}${delta}`,
    );
  }
}
