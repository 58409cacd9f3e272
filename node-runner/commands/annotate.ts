// `gemstone annotate`: steps, judges, consensus and β mask for every rollout, in workers.
// Fast enough to redo whole after an interruption; a real LLM judge's replies are kept in a
// cache that outlives run folders (--llm-cache, default in the user's cache folder), so a resumed
// run, or annotating the same data again anywhere, asks the endpoint only what it had not answered.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { annotatedHeaderFrom, type AnnotatedHeader, type AnnotatedRecord } from '../../src/data/annotated.ts';
import { JsonlFileWriter, readRolloutFile } from '../../src/data/rollout-files.ts';
import { toJsonl } from '../../src/data/jsonl.ts';
import { writeFileAtomic } from '../../src/checkpoint/files.ts';
import { agreementFromAnnotated, toStepwiseSupervision } from '../../src/judge/annotate.ts';
import { formatAgreementReport, type AgreementReport } from '../../src/judge/agreement.ts';
import { CONSENSUS_MODES, type ConsensusMode } from '../../src/judge/consensus.ts';
import type { Judge } from '../../src/judge/judge.ts';
import { JudgeCache, isCachedJudgement, type CachedJudgement } from '../../src/judge/judge-cache.ts';
import { JsonlCacheFile } from '../../src/judge/judge-cache-file.ts';
import { LlmJudge } from '../../src/judge/llm-judge.ts';
import { ruleStepLabeller } from '../../src/judge/rule-judge.ts';
import { SimulatedLlmServer } from '../../src/judge/simulated-llm-server.ts';
import { getTask } from '../../src/tasks/index.ts';
import type { Problem } from '../../src/tasks/task.ts';
import { annotateRollouts } from '../../src/workers/annotate-run.ts';
import type { AnnotateConfig } from '../../src/workers/annotate-service.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { defineCommand } from '../command.ts';
import { ConfigError } from '../config.ts';
import { loadPrmJudge } from '../prm.ts';
import { problemFromId } from '../policy.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import { defaultLlmCachePath } from '../user-cache.ts';
import type { StageIO } from '../reporter.ts';
import { choice, int, num, TRUST_REWARDS_OPTION, type DefaultContext, type OptionSpec } from '../spec.ts';
import { profileHelp } from './sft.ts';

export const JUDGES = ['oracle', 'rule', 'llm', 'prm'] as const;

export interface AnnotateCliOptions {
  data: string;
  judges: string[];
  consensus: ConsensusMode;
  /** The folder for annotated.jsonl. */
  out: string;
  workers: number;
  chunk: number;
  llmUrl?: string;
  llmModel: string;
  /** The LLM judge's reply cache (default: defaultLlmCachePath()). */
  llmCache?: string;
  simulatedLlm?: boolean;
  llmNoise: number;
  prm?: string;
  prmThreshold: number;
  minChars: number;
  maxSteps: number;
  stepwise?: boolean;
  adapter?: string;
  trustRewards?: boolean;
}

const P = (c: DefaultContext) => PROFILES[c.profile].pipeline;
const A = STAGE_DEFAULTS.annotate;

/** The judge options, shared with `pipeline`. */
export const JUDGE_OPTIONS: OptionSpec[] = [
  {
    key: 'judges',
    help: `judges whose consensus labels each step, from ${JUDGES.join(', ')} (llm: a SIMULATED local judge unless --llm-url)`,
    kind: { type: 'list', choices: JUDGES },
    default: (c: DefaultContext) => P(c).judges,
    defaultHelp: profileHelp('judges'),
  },
  {
    key: 'consensus',
    help: 'how the judges combine',
    kind: choice(CONSENSUS_MODES),
    default: (c: DefaultContext) => P(c).consensus,
    defaultHelp: profileHelp('consensus'),
  },
  {
    key: 'llmUrl',
    help: 'a real OpenAI-compatible endpoint for the llm judge (its key: env GEMSTONE_LLM_API_KEY, never logged or saved)',
    kind: { type: 'url' },
  },
  { key: 'llmModel', help: 'model name at --llm-url', kind: { type: 'string' }, default: A.llmModel },
  {
    key: 'llmNoise',
    help: 'label noise of the SIMULATED llm judge',
    kind: num({ min: 0, max: 1 }),
    default: A.llmNoise,
  },
  {
    key: 'prmThreshold',
    help: 'a PRM step is correct when p ≥ this',
    kind: num({ min: 0, max: 1 }),
    default: A.prmThreshold,
  },
  { key: 'minChars', help: 'segmenter: merge steps shorter than this', kind: int(), default: A.minChars },
  { key: 'maxSteps', help: 'segmenter: cap on steps per response', kind: int(), default: A.maxSteps },
  {
    key: 'workers',
    help: 'annotation workers',
    kind: int(),
    default: (c: DefaultContext) => P(c).workers,
    defaultHelp: profileHelp('workers'),
  },
  { key: 'chunk', help: 'rollouts per worker message', kind: int(), default: A.chunk },
];

export function annotateCommand() {
  return defineCommand<AnnotateCliOptions>({
    name: 'annotate',
    description:
      'cut responses into steps, label them with judges, combine by consensus, and write <out>/annotated.jsonl with the β mask (in workers)',
    options: [
      {
        key: 'data',
        help: 'rollout JSONL from gemstone rollout (<run>/rollouts.jsonl)',
        kind: { type: 'file' },
        required: true,
      },
      TRUST_REWARDS_OPTION,
      ...JUDGE_OPTIONS,
      {
        key: 'llmCache',
        help: "the real llm judge's reply cache, shared across runs (keyed by endpoint, model, prompt; no API key)",
        kind: { type: 'path' },
        defaultHelp: '$XDG_CACHE_HOME/gemstone/llm-judge-cache.jsonl, else ~/.cache/gemstone/…',
      },
      {
        key: 'simulatedLlm',
        help: 'use the SIMULATED local llm judge (the rule judge with label noise) even with --llm-url unset',
        kind: { type: 'boolean' },
      },
      { key: 'prm', help: 'a PRM trained with gemstone prm (needed by --judges prm)', kind: { type: 'existing' } },
      {
        key: 'stepwise',
        help: "also write <out>/stepwise.jsonl: TRL's stepwise-supervision records {prompt, completions, labels}",
        kind: { type: 'boolean' },
      },
    ],
    examples: [
      'gemstone annotate --data runs/rollouts/rollouts.jsonl --judges llm,prm --prm runs/prm --out runs/annotated',
    ],
    validate: validateJudges,
    prepare: (o) => readRolloutFile(o.data, { trustRewards: o.trustRewards }),
    run: async ({ options, reporter, interrupt, prepared }) => {
      const result = await runAnnotate(
        options,
        { reporter, interrupt, stage: 'annotate' },
        prepared as Awaited<ReturnType<typeof readRolloutFile>>,
      );
      return {
        path: result.path,
        responses: result.responses,
        mined_tokens: result.minedTokens,
        judges: result.judges,
      };
    },
  });
}

export function validateJudges(
  o: { judges: string[]; prm?: string; llmUrl?: string; simulatedLlm?: boolean },
  needPrmDir = true,
): void {
  if (needPrmDir && o.judges.includes('prm') && o.prm === undefined)
    throw new ConfigError('--judges prm needs --prm DIR (train one with gemstone prm).');
}

export interface AnnotateResult {
  path: string;
  responses: number;
  minedTokens: number;
  /** Each judge (and the consensus) against the oracle. */
  judges: { name: string; precision: number; recall: number; f1: number; voters?: string[] }[];
}

export async function runAnnotate(
  options: AnnotateCliOptions,
  io: StageIO,
  input?: Awaited<ReturnType<typeof readRolloutFile>>,
): Promise<AnnotateResult> {
  const { reporter } = io;
  const { header, rollouts } = input ?? (await readRolloutFile(options.data, { trustRewards: options.trustRewards }));
  const task = getTask(header.task);
  const problems = new Map<string, Problem>();
  for (const r of rollouts)
    if (!problems.has(r.prompt_id)) problems.set(r.prompt_id, problemFromId(task, r.prompt_id, r.prompt));

  let server: SimulatedLlmServer | null = null;
  let llm: Judge | undefined;
  let realLlm: LlmJudge | undefined;
  if (options.judges.includes('llm')) {
    if (options.llmUrl === undefined || options.simulatedLlm) {
      // One request per response, a few retried: the server's runaway bound sits well above that.
      server = await SimulatedLlmServer.start({
        labeller: ruleStepLabeller(),
        noise: options.llmNoise,
        seed: 1,
        maxRequests: 2 * rollouts.length + 100,
      });
      // The key is redacted from every message, so it must not be a word that messages use.
      llm = new LlmJudge({
        baseUrl: server.baseUrl,
        model: 'gemstone-simulated-judge',
        apiKey: 'gemstone-simulated-key',
        log: null,
      });
      reporter.info(`llm judge: SIMULATED (rule judge with ${options.llmNoise} label noise) at ${server.baseUrl}`);
    } else {
      const cachePath = options.llmCache ?? defaultLlmCachePath();
      await mkdir(dirname(cachePath), { recursive: true });
      const cache = new JudgeCache<CachedJudgement>(new JsonlCacheFile<CachedJudgement>(cachePath), isCachedJudgement);
      llm = realLlm = new LlmJudge({
        baseUrl: options.llmUrl,
        model: options.llmModel,
        cache,
        log: (line) => reporter.warn(line),
      });
      reporter.info(`llm judge: ${options.llmModel} at ${options.llmUrl} · reply cache ${cachePath}`);
    }
  }
  const prm = options.judges.includes('prm')
    ? await loadPrmJudge(options.prm, options.prmThreshold, options.adapter)
    : null;

  const config: AnnotateConfig = {
    task: task.name,
    tokenizer: header.tokenizer,
    segmenter: { minChars: options.minChars, maxSteps: options.maxSteps },
    judges: options.judges,
    mode: options.consensus,
    oracle: true,
  };
  const pool = await WorkerPool.create(options.workers);
  const progress = reporter.progress({ stage: io.stage, unit: 'responses', total: rollouts.length });
  let records: AnnotatedRecord[];
  try {
    const annotated = await annotateRollouts(rollouts, problems, config, {
      pool,
      chunk: options.chunk,
      llm,
      prm: prm?.judge,
      onChunk: (done) => progress.update(done, { log: true }),
    });
    records = annotated.map((a, i) => ({ ...rollouts[i], ...a }));
  } finally {
    progress.stop();
    pool.terminate();
    await server?.close();
    prm?.close();
  }
  if (realLlm)
    reporter.info(
      `llm judge: ${realLlm.stats.requests} requests sent, ${realLlm.stats.cacheHits} replies from the cache`,
    );
  const simulated = records[0]?.judges.filter((j) => j.simulated).map((j) => j.name) ?? [];
  const out = annotatedHeaderFrom(header, {
    voters: options.judges,
    consensus: options.consensus,
    segmenter: `default(minChars=${options.minChars}, maxSteps=${options.maxSteps})`,
    oracle: true,
    simulated,
  });
  const path = join(options.out, 'annotated.jsonl');
  const writer = await JsonlFileWriter.create<AnnotatedHeader, AnnotatedRecord>(path, out);
  try {
    for (const r of records) await writer.write(r);
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  if (options.stepwise)
    await writeFileAtomic(
      join(options.out, 'stepwise.jsonl'),
      new TextEncoder().encode(toJsonl(records.map(toStepwiseSupervision))),
    );
  const report: AgreementReport | null =
    records.length > 0
      ? agreementFromAnnotated(records, 'oracle', {
          consensus: options.judges.length > 1 ? [options.consensus] : [],
          voters: options.judges,
        })
      : null;
  const minedTokens = records
    .filter((r) => r.reward === 0)
    .reduce((s, r) => s + r.beta_mask.reduce((a: number, b) => a + b, 0), 0);
  reporter.info(
    `annotated ${records.length} responses with ${options.judges.join(', ')} (${options.consensus}) → ${path}; ${minedTokens} tokens of negatives carry β`,
  );
  if (report) for (const line of formatAgreementReport(report).split('\n')) reporter.info(line);
  return {
    path,
    responses: records.length,
    minedTokens,
    judges:
      report?.judges.map((j) => ({
        name: j.name,
        precision: j.precision,
        recall: j.recall,
        f1: j.f1,
        ...(j.voters ? { voters: j.voters } : {}),
      })) ?? [],
  };
}
