// `gemstone annotate`: steps, judges, consensus and β mask for every rollout, in workers.
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { annotatedHeaderFrom, type AnnotatedHeader, type AnnotatedRecord } from '../../src/data/annotated.ts';
import { JsonlFileWriter, readRolloutFile } from '../../src/data/rollout-files.ts';
import { toJsonl } from '../../src/data/jsonl.ts';
import { writeFileAtomic } from '../../src/checkpoint/files.ts';
import { agreementFromAnnotated, toStepwiseSupervision } from '../../src/judge/annotate.ts';
import { formatAgreementReport } from '../../src/judge/agreement.ts';
import { CONSENSUS_MODES, type ConsensusMode } from '../../src/judge/consensus.ts';
import type { Judge } from '../../src/judge/judge.ts';
import { LlmJudge } from '../../src/judge/llm-judge.ts';
import { ruleStepLabeller } from '../../src/judge/rule-judge.ts';
import { SimulatedLlmServer } from '../../src/judge/simulated-llm-server.ts';
import { getTask } from '../../src/tasks/index.ts';
import type { Problem } from '../../src/tasks/task.ts';
import { annotateRollouts } from '../../src/workers/annotate-run.ts';
import type { AnnotateConfig } from '../../src/workers/annotate-service.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { number, positiveInteger } from '../options.ts';
import { loadPrmJudge } from '../prm.ts';
import { problemFromId } from '../policy.ts';

const JUDGES = ['oracle', 'rule', 'llm', 'prm'];

export interface AnnotateCliOptions {
  data: string;
  judges: string[];
  consensus: ConsensusMode;
  out: string;
  workers: number;
  chunk: number;
  llmUrl?: string;
  llmModel: string;
  simulatedLlm?: boolean;
  llmNoise: number;
  prm?: string;
  prmThreshold: number;
  minChars: number;
  maxSteps: number;
  stepwise?: string;
  adapter?: string;
  quiet?: boolean;
}

export function annotateCommand(): Command {
  return new Command('annotate')
    .description('cut responses into steps, label them with judges, combine by consensus, and write the β mask (runs in workers)')
    .requiredOption('--data <file>', 'rollout JSONL from gemstone rollout')
    .option('--judges <list>', `comma-separated, from ${JUDGES.join(', ')}`, (v) => v.split(',').map((j) => j.trim()), ['llm', 'prm'])
    .addOption(new Option('--consensus <mode>', 'how judges combine').choices(CONSENSUS_MODES as string[]).default('and'))
    .requiredOption('--out <file>', 'annotated JSONL to write (atomically)')
    .option('--workers <n>', 'annotation workers', positiveInteger, 2)
    .option('--chunk <n>', 'rollouts per worker message', positiveInteger, 32)
    .option('--llm-url <url>', 'OpenAI-compatible base URL (key from GEMSTONE_LLM_API_KEY)')
    .option('--llm-model <name>', 'model name at that endpoint', 'gpt-4o-mini')
    .option('--simulated-llm', 'start a local SIMULATED judge server (the rule judge with label noise) instead of a real LLM')
    .option('--llm-noise <p>', 'label noise of the simulated judge', number, 0.1)
    .option('--prm <dir>', 'a PRM trained with gemstone prm')
    .option('--prm-threshold <λ>', 'PRM step is correct when p ≥ λ', number, 0.5)
    .option('--min-chars <n>', 'segmenter: merge steps shorter than this', positiveInteger, 8)
    .option('--max-steps <n>', 'segmenter: cap on steps per response', positiveInteger, 64)
    .option('--stepwise <file>', "also export TRL's stepwise-supervision records {prompt, completions, labels}")
    .addOption(new Option('--adapter <name>', 'force a WebGPU adapter (for the PRM)').choices(['gpu', 'llvmpipe', 'swiftshader']))
    .action(async (options: AnnotateCliOptions) => {
      await runAnnotate(options);
    });
}

export async function runAnnotate(options: AnnotateCliOptions): Promise<{ header: AnnotatedHeader; records: AnnotatedRecord[]; report: ReturnType<typeof agreementFromAnnotated> | null }> {
  for (const j of options.judges) if (!JUDGES.includes(j)) throw new Error(`--judges: unknown judge "${j}" (known: ${JUDGES.join(', ')}).`);
  const { header, rollouts } = await readRolloutFile(options.data);
  const task = getTask(header.task);
  const problems = new Map<string, Problem>();
  for (const r of rollouts) if (!problems.has(r.prompt_id)) problems.set(r.prompt_id, problemFromId(task, r.prompt_id, r.prompt));

  const say = (line: string) => !options.quiet && console.log(line);
  let server: SimulatedLlmServer | null = null;
  let llm: Judge | undefined;
  if (options.judges.includes('llm')) {
    if (options.simulatedLlm) {
      server = await SimulatedLlmServer.start({ labeller: ruleStepLabeller(), noise: options.llmNoise, seed: 1 });
      llm = new LlmJudge({ baseUrl: server.baseUrl, model: 'gemstone-simulated-judge', apiKey: 'simulated', log: null });
      say(`llm judge: SIMULATED (rule judge with ${options.llmNoise} label noise) at ${server.baseUrl}`);
    } else {
      if (options.llmUrl === undefined) throw new Error('--judges llm needs --llm-url URL (and GEMSTONE_LLM_API_KEY), or --simulated-llm.');
      llm = new LlmJudge({ baseUrl: options.llmUrl, model: options.llmModel });
      say(`llm judge: ${options.llmModel} at ${options.llmUrl}`);
    }
  }
  const prm = options.judges.includes('prm') ? await loadPrmJudge(options.prm, options.prmThreshold, options.adapter) : null;

  const config: AnnotateConfig = {
    task: task.name, tokenizer: header.tokenizer, segmenter: { minChars: options.minChars, maxSteps: options.maxSteps },
    judges: options.judges, mode: options.consensus, oracle: true,
  };
  const pool = await WorkerPool.create(options.workers);
  const bar = !options.quiet && process.stdout.isTTY ? new cliProgress.SingleBar({ format: 'annotate |{bar}| {value}/{total} responses · ETA {eta_formatted}' }, cliProgress.Presets.shades_classic) : null;
  bar?.start(rollouts.length, 0);
  let records: AnnotatedRecord[];
  try {
    const annotated = await annotateRollouts(rollouts, problems, config, { pool, chunk: options.chunk, llm, prm: prm?.judge, onChunk: (done) => bar?.update(done) });
    records = annotated.map((a, i) => ({ ...rollouts[i], ...a }));
  } finally {
    bar?.stop();
    pool.terminate();
    await server?.close();
    prm?.close();
  }
  const simulated = records[0]?.judges.filter((j) => j.simulated).map((j) => j.name) ?? [];
  const out = annotatedHeaderFrom(header, { voters: options.judges, consensus: options.consensus, segmenter: `default(minChars=${options.minChars}, maxSteps=${options.maxSteps})`, oracle: true, simulated });
  const writer = await JsonlFileWriter.create<AnnotatedHeader, AnnotatedRecord>(options.out, out);
  try {
    for (const r of records) await writer.write(r);
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  if (options.stepwise) await writeFileAtomic(options.stepwise, new TextEncoder().encode(toJsonl(records.map(toStepwiseSupervision))));
  const report = records.length > 0 ? agreementFromAnnotated(records, 'oracle', { consensus: options.judges.length > 1 ? [options.consensus] : [] }) : null;
  const mined = records.filter((r) => r.reward === 0).reduce((s, r) => s + r.beta_mask.reduce((a: number, b) => a + b, 0), 0);
  say(`annotated ${records.length} responses with ${options.judges.join(', ')} (${options.consensus}) → ${options.out}; ${mined} tokens of negatives carry β`);
  if (report) say(formatAgreementReport(report));
  return { header: out, records, report };
}
