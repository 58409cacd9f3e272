// `gemstone train`: offline RL (BCPG-NSA or a baseline) from π_ref on an annotated dataset.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { encodeCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { writeFileAtomic } from '../../src/checkpoint/files.ts';
import type { AnnotatedRecord } from '../../src/data/annotated.ts';
import { toJsonl } from '../../src/data/jsonl.ts';
import { readAnnotatedFile } from '../../src/data/rollout-files.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { OBJECTIVE_NAMES, resolveHyper, type ObjectiveName } from '../../src/objectives/index.ts';
import { evaluate, type EvalResult } from '../../src/train/evaluate.ts';
import { OfflineRlTrainer, type RlExample } from '../../src/train/offline-rl.ts';
import { DEFAULT_ADAMW } from '../../src/train/optimizer.ts';
import { number, positiveInteger } from '../options.ts';
import { heldOutProblems, loadPolicy, type Policy } from '../policy.ts';

export interface TrainCliOptions {
  data: string;
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
  samples?: number;
  out: string;
  adapter?: string;
  logEvery: number;
  quiet?: boolean;
}

export function trainCommand(): Command {
  return new Command('train')
    .description('offline RL from π_ref on an annotated rollout set: BCPG-NSA or a baseline (bcpg, grpo-offline, topr, dpo, rft)')
    .requiredOption('--data <file>', 'annotated JSONL from gemstone annotate')
    .requiredOption('--checkpoint <dir>', 'π_ref: the policy that made the rollouts (training starts from it)')
    .addOption(new Option('--objective <name>', 'objective').choices([...OBJECTIVE_NAMES]).default('bcpg-nsa'))
    .option('--beta <x>', 'β of Eq. 7: weight on mined tokens of negatives (BCPG-NSA)', number, 0.5)
    .option('--tau <x>', 'τ of Eq. 6: squared log-ratio constraint (the paper: 1e-3 at lr 5e-7 on 14B; README, Results)', number, 0.05)
    .option('--epochs <n>', 'passes over the dataset', positiveInteger, 2)
    .option('--groups-per-batch <n>', 'whole groups per optimizer step', positiveInteger, 4)
    .option('--lr <x>', 'learning rate (constant after a short warmup)', number, 1e-4)
    .option('--seed <n>', 'seed of the batch order', positiveInteger, 1)
    .option('--eval-prompts <n>', 'held-out prompts for greedy accuracy before and after each epoch (0: skip)', (v) => Number.parseInt(v, 10), 200)
    .option('--samples <n>', 'samples per held-out prompt for pass@1 and pass@n at each evaluation (0: greedy only)', (v) => Number.parseInt(v, 10), 4)
    .option('--log-every <n>', 'read the objective terms back every n steps', positiveInteger, 5)
    .requiredOption('--out <dir>', 'folder for the trained policy and metrics.jsonl')
    .addOption(new Option('--adapter <name>', 'force a WebGPU adapter').choices(['gpu', 'llvmpipe', 'swiftshader']))
    .action(async (options: TrainCliOptions) => {
      const policy = await loadPolicy(options.checkpoint, options.adapter);
      try {
        await runTrain(policy, options);
      } finally {
        policy.model.destroy();
        policy.context.destroy();
      }
    });
}

export function rlExamples(records: AnnotatedRecord[]): RlExample[] {
  return records.map((r) => ({
    group: r.prompt_id, promptTokens: r.prompt_tokens, responseTokens: r.response_tokens,
    refLogprobs: r.logprobs_ref, reward: r.reward, betaMask: r.beta_mask,
  }));
}

export interface TrainSummary {
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  evaluations: (EvalResult & { epoch: number })[];
  steps: number;
  path: string;
}

/** Trains policy.model in place (it starts as π_ref) and writes <out>/checkpoint.safetensors and metrics.jsonl. */
export async function runTrain(policy: Policy, options: TrainCliOptions): Promise<TrainSummary> {
  const say = (line: string) => !options.quiet && console.log(line);
  const { header, records } = await readAnnotatedFile(options.data);
  await mkdir(options.out, { recursive: true });
  const hyper = resolveHyper(options.objective, { beta: options.beta, tau: options.tau });
  const examples = rlExamples(records);
  const trainer = new OfflineRlTrainer(policy.model, examples, {
    objective: options.objective, hyper, groupsPerBatch: options.groupsPerBatch, seed: options.seed,
    adamw: { ...DEFAULT_ADAMW, weightDecay: 0 },
    schedule: { maxLr: options.lr, minLr: options.lr, warmupSteps: 5, totalSteps: 1 },
  });
  say(`gemstone train · ${describeReport(policy.context.report)}`);
  say(`${options.objective} (β ${hyper.beta}, τ ${hyper.tau}) from ${policy.path} on ${records.length} responses (${header.annotation.voters.join(' + ')}, ${header.annotation.consensus}); ${trainer.stepsPerEpoch} steps an epoch`);

  const problems = options.evalPrompts > 0 ? heldOutProblems(policy.task, options.evalPrompts, policy.difficulty) : [];
  const evaluations: (EvalResult & { epoch: number })[] = [];
  const evalNow = async (epoch: number) => {
    if (problems.length === 0) return null;
    const samples = options.samples ?? 0;
    const ks = samples > 0 ? [...new Set([1, samples])] : [];
    const result = await evaluate(policy.model, policy.tokenizer, policy.task, problems, { ks, samples, temperature: 0.7, seed: 0, batchRows: 64 });
    evaluations.push({ ...result, epoch });
    const passes = ks.map((k) => ` · pass@${k} ${(100 * result.passAtK[k]).toFixed(1)}%`).join('');
    say(`epoch ${epoch}: held-out greedy accuracy ${(100 * result.greedyAccuracy).toFixed(1)}%${passes} on ${problems.length} prompts`);
    return result.greedyAccuracy;
  };
  const accuracyBefore = await evalNow(0);
  const metrics: Record<string, unknown>[] = [];
  const metricsPath = join(options.out, 'metrics.jsonl');
  const total = trainer.stepsPerEpoch * options.epochs;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (let s = 0; s < trainer.stepsPerEpoch; s++) {
      const read = (trainer.step + 1) % options.logEvery === 0 || trainer.step + 1 === total;
      const result = await trainer.trainStep({ readTerms: read });
      if (read && result.terms) {
        metrics.push({ step: result.step, epoch, lr: result.lr, grad_norm: result.gradNorm, ...result.terms });
        const t = result.terms;
        say(`step ${result.step}/${total} · J ${t.objective.toFixed(4)} · pg ${t.policyGradient.toFixed(4)} · constraint ${t.constraint.toFixed(5)} · |D| mean ${t.meanAbsD.toFixed(3)} max ${t.maxAbsD.toFixed(3)} · β-share ${(100 * t.betaShare).toFixed(1)}% · ‖g‖ ${result.gradNorm?.toFixed(3)}`);
      }
    }
    await writeFileAtomic(metricsPath, new TextEncoder().encode(toJsonl(metrics)));
    await evalNow(epoch);
  }
  const accuracyAfter = evaluations.at(-1)?.greedyAccuracy ?? null;
  const path = join(options.out, 'checkpoint.safetensors');
  const refExtra = (policy.checkpoint.extra ?? {}) as Record<string, unknown>;
  const state = await trainer.checkpointState({ ...refExtra, kind: 'policy', objective: options.objective, hyper, data: options.data, reference: policy.path });
  await writeFileAtomic(path, encodeCheckpoint(state));
  trainer.destroy();
  say(`trained policy → ${path}`);
  return { accuracyBefore, accuracyAfter, evaluations, steps: trainer.step, path };
}
