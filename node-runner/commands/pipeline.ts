// `gemstone pipeline`: every stage with defaults — SFT of π_ref on the built-in
// task, rollouts, (PRM training,) annotation, offline RL, evaluation — for N
// iterations (the trained policy becomes the next π_ref), then DIR/summary.json.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { writeFileAtomic } from '../../src/checkpoint/files.ts';
import { readRolloutFile } from '../../src/data/rollout-files.ts';
import { CONSENSUS_MODES, type ConsensusMode } from '../../src/judge/consensus.ts';
import { OBJECTIVE_NAMES, type ObjectiveName } from '../../src/objectives/index.ts';
import { PRESETS } from '../../src/model/config.ts';
import type { Problem } from '../../src/tasks/task.ts';
import { DEFAULT_DIFFICULTY } from '../../src/tasks/arithmetic.ts';
import { number, positiveInteger } from '../options.ts';
import { loadPolicy, problemFromId } from '../policy.ts';
import { trainPrm } from '../prm.ts';
import { runAnnotate } from './annotate.ts';
import { runRollout } from './rollout.ts';
import { runSft, TASK_DEFAULTS } from './sft.ts';
import { runTrain } from './train.ts';

interface PipelineOptions {
  preset: string;
  reference?: string;
  records: number;
  sftSteps: number;
  sftLr: number;
  prompts: number;
  group: number;
  temperature: number;
  judges: string[];
  consensus: ConsensusMode;
  llmUrl?: string;
  llmModel: string;
  prmSteps: number;
  prmResponses: number;
  completions: number;
  objective: ObjectiveName;
  beta: number;
  tau: number;
  epochs: number;
  lr: number;
  groupsPerBatch: number;
  iterations: number;
  evalPrompts: number;
  seed: number;
  workers: number;
  keepAll?: boolean;
  out: string;
  adapter?: string;
}

export function pipelineCommand(): Command {
  return new Command('pipeline')
    .description('the whole BCPG-NSA pipeline on the built-in task: π_ref SFT → rollouts → judges + consensus → offline RL → evaluation, N iterations')
    .addOption(new Option('--preset <name>', 'model size of π_ref').choices(Object.keys(PRESETS)).default('small'))
    .option('--reference <dir>', 'reuse a trained π_ref (from gemstone sft --task) instead of training one')
    .option('--records <n>', 'noisy-solver traces for π_ref', positiveInteger, 20000)
    .option('--sft-steps <n>', 'π_ref SFT steps', positiveInteger, TASK_DEFAULTS.steps)
    .option('--sft-lr <x>', 'π_ref SFT peak learning rate', number, TASK_DEFAULTS.lr)
    .option('--prompts <n>', 'rollout prompts per iteration', positiveInteger, 128)
    .option('--group <n>', 'responses per prompt (G)', positiveInteger, 8)
    .option('--temperature <x>', 'rollout temperature', number, 0.7)
    .option('--judges <list>', 'judges whose consensus labels steps (llm is the SIMULATED server unless --llm-url)', (v) => v.split(',').map((j) => j.trim()), ['llm', 'prm'])
    .addOption(new Option('--consensus <mode>', 'how judges combine').choices(CONSENSUS_MODES as string[]).default('and'))
    .option('--llm-url <url>', 'a real OpenAI-compatible endpoint for the llm judge (key: GEMSTONE_LLM_API_KEY)')
    .option('--llm-model <name>', 'model at --llm-url', 'gpt-4o-mini')
    .option('--prm-steps <n>', 'PRM training steps', positiveInteger, 300)
    .option('--completions <n>', 'Monte-Carlo completions per step prefix for PRM labels', positiveInteger, 4)
    .option('--prm-responses <n>', 'responses the PRM learns from (Monte-Carlo labels are the costly part)', positiveInteger, 256)
    .addOption(new Option('--objective <name>', 'objective').choices([...OBJECTIVE_NAMES]).default('bcpg-nsa'))
    .option('--beta <x>', 'β of Eq. 7', number, 0.5)
    .option('--tau <x>', 'τ of Eq. 6 (the paper: 1e-3 at lr 5e-7 on 14B; README, Results)', number, 0.05)
    .option('--epochs <n>', 'RL epochs per iteration', positiveInteger, 2)
    .option('--lr <x>', 'RL learning rate', number, 1e-4)
    .option('--groups-per-batch <n>', 'whole groups per RL step', positiveInteger, 4)
    .option('--iterations <n>', 'rollout → annotate → train rounds', positiveInteger, 1)
    .option('--eval-prompts <n>', 'held-out prompts for greedy accuracy', positiveInteger, 200)
    .option('--seed <n>', 'seed of every stage', positiveInteger, 1)
    .option('--workers <n>', 'annotation workers', positiveInteger, 2)
    .option('--keep-all', 'keep all-right and all-wrong groups (they carry no advantage; for smoke runs of a weak π_ref)')
    .requiredOption('--out <dir>', 'folder for every stage and summary.json')
    .addOption(new Option('--adapter <name>', 'force a WebGPU adapter').choices(['gpu', 'llvmpipe', 'swiftshader']))
    .action(runPipeline);
}

async function runPipeline(options: PipelineOptions): Promise<void> {
  const started = performance.now();
  await mkdir(options.out, { recursive: true });
  const stage = (name: string) => console.log(`\n== ${name}`);

  let reference = options.reference;
  let accuracyReference: number | null = null;
  if (reference === undefined) {
    stage(`π_ref: SFT of the ${options.preset} preset on noisy-solver traces`);
    reference = join(options.out, 'reference');
    const sft = await runSft({
      preset: options.preset, task: 'arithmetic', records: options.records, difficulty: DEFAULT_DIFFICULTY, evalPrompts: options.evalPrompts,
      out: reference, steps: options.sftSteps, batchSize: 16, microBatches: 1, lr: options.sftLr, warmup: 20,
      weightDecay: 0.1, maxGradNorm: 1, seed: options.seed, logEvery: 50, checkpointEvery: 1000, adapter: options.adapter, samples: 0, progress: false,
    });
    accuracyReference = sft.heldOutAccuracy;
  }

  const iterations: Record<string, unknown>[] = [];
  let policyDir = reference;
  let firstDataset: Record<string, number> | null = null;
  let judgesReport: Record<string, { precision: number; recall: number }> = {};
  let accuracyAfter: number | null = null;
  for (let it = 1; it <= options.iterations; it++) {
    const dir = join(options.out, `iteration-${it}`);
    await mkdir(dir, { recursive: true });
    stage(`iteration ${it}: rollouts from ${policyDir}`);
    const rolloutsPath = join(dir, 'rollouts.jsonl');
    const rollouts = await runRollout({
      checkpoint: policyDir, prompts: options.prompts, group: options.group, temperature: options.temperature, topK: 0,
      seed: options.seed + it, seedStart: 10_000_000 + (it - 1) * options.prompts, out: rolloutsPath, batch: 64, adapter: options.adapter, keepAll: options.keepAll,
    });
    const dataset = { prompts: rollouts.kept.prompts, responses: rollouts.kept.responses, negatives: rollouts.kept.negatives, tokens: rollouts.kept.tokens };
    firstDataset ??= dataset;
    if (rollouts.kept.responses === 0) throw new Error(`iteration ${it}: every group was all right or all wrong; nothing to learn from (train π_ref longer, or raise --group).`);

    let prmDir: string | undefined;
    if (options.judges.includes('prm')) {
      stage(`iteration ${it}: PRM from Monte-Carlo labels (${options.completions} completions per step prefix)`);
      prmDir = join(dir, 'prm');
      await mkdir(prmDir, { recursive: true });
      const policy = await loadPolicy(policyDir, options.adapter);
      const { rollouts: data } = await readRolloutFile(rolloutsPath);
      const problems = new Map<string, Problem>();
      for (const r of data) if (!problems.has(r.prompt_id)) problems.set(r.prompt_id, problemFromId(policy.task, r.prompt_id, r.prompt));
      await trainPrm(policy, policy.task, data, problems, { labels: 'mc', completions: options.completions, temperature: options.temperature, steps: options.prmSteps, batchSize: 16, lr: 1e-3, seed: options.seed, out: prmDir, maxResponses: options.prmResponses, log: (l) => console.log(l) });
      policy.model.destroy();
      policy.context.destroy();
    }

    stage(`iteration ${it}: annotation (${options.judges.join(' + ')}, ${options.consensus})`);
    const annotatedPath = join(dir, 'annotated.jsonl');
    const annotated = await runAnnotate({
      data: rolloutsPath, judges: options.judges, consensus: options.consensus, out: annotatedPath, workers: options.workers, chunk: 32,
      llmUrl: options.llmUrl, llmModel: options.llmModel, simulatedLlm: options.llmUrl === undefined, llmNoise: 0.1,
      prm: prmDir, prmThreshold: 0.5, minChars: 8, maxSteps: 64, adapter: options.adapter,
    });
    if (it === 1 && annotated.report) {
      judgesReport = Object.fromEntries(annotated.report.judges.map((j) => [j.name, { precision: j.precision, recall: j.recall }]));
    }

    stage(`iteration ${it}: ${options.objective} from ${policyDir}`);
    const policy = await loadPolicy(policyDir, options.adapter);
    const trained = await runTrain(policy, {
      data: annotatedPath, checkpoint: policyDir, objective: options.objective, beta: options.beta, tau: options.tau, epochs: options.epochs,
      groupsPerBatch: options.groupsPerBatch, lr: options.lr, seed: options.seed, evalPrompts: options.evalPrompts, samples: 4, out: join(dir, 'policy'), adapter: options.adapter, logEvery: 10,
    });
    policy.model.destroy();
    policy.context.destroy();
    if (it === 1 && accuracyReference === null) accuracyReference = trained.accuracyBefore;
    accuracyAfter = trained.accuracyAfter;
    iterations.push({ iteration: it, dataset, mined: rollouts.mined, accuracy_before: trained.accuracyBefore, accuracy_after: trained.accuracyAfter, judges: annotated.report?.judges.map((j) => ({ name: j.name, precision: j.precision, recall: j.recall })) });
    policyDir = join(dir, 'policy');
  }

  const context = await loadPolicy(policyDir, options.adapter);
  const adapter = `${context.context.report.backend} · ${context.context.report.adapter}`;
  context.model.destroy();
  context.context.destroy();
  const summary = {
    accuracy_before: accuracyReference,
    accuracy_after: accuracyAfter,
    dataset: firstDataset,
    judges: judgesReport,
    judges_simulated: options.judges.includes('llm') && options.llmUrl === undefined ? ['llm'] : [],
    objective: options.objective,
    beta: options.beta,
    tau: options.tau,
    seed: options.seed,
    adapter,
    seconds: (performance.now() - started) / 1000,
    iterations,
    reference,
    policy: policyDir,
  };
  await writeFileAtomic(join(options.out, 'summary.json'), new TextEncoder().encode(`${JSON.stringify(summary, null, 2)}\n`));
  console.log(`\nheld-out greedy accuracy: π_ref ${pct(accuracyReference)} → ${options.objective} ${pct(accuracyAfter)} · ${summary.seconds.toFixed(0)} s · ${join(options.out, 'summary.json')}`);
}

function pct(x: number | null): string {
  return x === null ? '–' : `${(100 * x).toFixed(1)}%`;
}
