// `gemstone annotate`: steps, judges, consensus and β mask for every rollout, in workers.
// Fast enough to redo whole after an interruption; a real LLM judge's replies are kept in a
// cache that outlives run folders (--llm-cache, default in the user's cache folder), so a resumed
// run, or annotating the same data again anywhere, asks the endpoint only what it had not answered.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../src/checkpoint/files.ts';
import { toJsonl } from '../../src/data/jsonl.ts';
import { readRolloutFile } from '../../src/data/rollout-files.ts';
import { toStepwiseSupervision } from '../../src/judge/annotate.ts';
import { CONSENSUS_MODES, type ConsensusMode } from '../../src/judge/consensus.ts';
import type { Judge } from '../../src/judge/judge.ts';
import { isCachedJudgement, JudgeCache, type CachedJudgement } from '../../src/judge/judge-cache.ts';
import { JsonlCacheFile } from '../../src/judge/judge-cache-file.ts';
import { LlmJudge } from '../../src/judge/llm-judge.ts';
import { simulatedLlmJudge } from '../../src/judge/simulated-llm.ts';
import { annotateStage, type AnnotateStageResult } from '../../src/pipeline/annotate.ts';
import { problemsOf } from '../../src/pipeline/problems.ts';
import { getTask, taskRecord } from '../../src/tasks/index.ts';
import type { Task } from '../../src/tasks/task.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { defineCommand } from '../command.ts';
import { ConfigError } from '../config.ts';
import { FolderStore } from '../file-store.ts';
import { dataTask } from '../policy.ts';
import { loadPrmJudge } from '../prm.ts';
import { PROFILES, STAGE_DEFAULTS } from '../presets.ts';
import { stageHooks, type StageIO } from '../reporter.ts';
import { choice, int, num, TRUST_REWARDS_OPTION, taskOption, type DefaultContext, type OptionSpec } from '../spec.ts';
import { defaultLlmCachePath } from '../user-cache.ts';
import { profileHelp } from './sft.ts';

export const JUDGES = ['oracle', 'rule', 'llm', 'prm'] as const;

export interface AnnotateCliOptions {
  data: string;
  task?: string;
  judges: string[];
  consensus: ConsensusMode;
  /** The folder for annotated.jsonl. */
  out: string;
  workers: number;
  chunk: number;
  llmUrl?: string;
  llmModel: string;
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
    help:
      `judges whose consensus labels each step, from ${JUDGES.join(', ')} (llm: a SIMULATED local judge unless ` +
      '--llm-url)',
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
    help:
      'a real OpenAI-compatible endpoint for the llm judge (its key: env GEMSTONE_LLM_API_KEY, never logged or ' +
      'saved)',
    kind: { type: 'url' },
  },
  { key: 'llmModel', help: 'model name at --llm-url', kind: { type: 'string' }, default: A.llmModel },
  {
    key: 'llmCache',
    help: "the real llm judge's reply cache, shared across runs (keyed by endpoint, model, prompt; no API key)",
    kind: { type: 'path' },
    defaultHelp: '$XDG_CACHE_HOME/gemstone/llm-judge-cache.jsonl, else ~/.cache/gemstone/…',
  },
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
      'cut responses into steps, label them with judges, combine by consensus, and write <out>/annotated.jsonl with ' +
      'the β mask (in workers)',
    options: [
      {
        key: 'data',
        help: 'rollout JSONL from gemstone rollout (<run>/rollouts.jsonl)',
        kind: { type: 'file' },
        required: true,
      },
      taskOption("the rollouts' task (default: the one their header records; another is refused)"),
      TRUST_REWARDS_OPTION,
      ...JUDGE_OPTIONS,
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
    prepare: async (o, given) => {
      const task = await dataTask(o.data, given);
      return { task, ...(await readRolloutFile(o.data, { trustRewards: o.trustRewards, task })) };
    },
    run: async ({ options, reporter, interrupt, prepared }) => {
      const input = prepared as AnnotateInput;
      const result = await runAnnotate(options, { reporter, interrupt, stage: 'annotate' }, input);
      return {
        ...taskRecord(input.task ?? getTask(input.header.task)),
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

/**
 * The LLM judge of a command: the SIMULATED one (in-process) unless --llm-url names a real endpoint,
 * whose replies are cached in --llm-cache (default: the user's cache folder), shared by every run,
 * so a resumed run, or the same data annotated again elsewhere, asks only what it had not.
 */
export function cliLlmJudge(
  options: { llmUrl?: string; llmModel: string; llmNoise: number; simulatedLlm?: boolean; llmCache?: string },
  info: (line: string) => void,
  warn: (line: string) => void,
): Judge {
  if (options.llmUrl === undefined || options.simulatedLlm) {
    info(`llm judge: SIMULATED (rule judge with ${options.llmNoise} label noise), answered in-process`);
    return simulatedLlmJudge({ noise: options.llmNoise, seed: 1 });
  }
  const cachePath = options.llmCache ?? defaultLlmCachePath();
  mkdirSync(dirname(cachePath), { recursive: true });
  const cache = new JudgeCache<CachedJudgement>(new JsonlCacheFile<CachedJudgement>(cachePath), isCachedJudgement);
  info(`llm judge: ${options.llmModel} at ${options.llmUrl} · reply cache ${cachePath}`);
  return new LlmJudge({ baseUrl: options.llmUrl, model: options.llmModel, cache, log: warn });
}

export interface AnnotateResult {
  path: string;
  responses: number;
  minedTokens: number;
  /** Each judge (and the consensus) against the oracle. */
  judges: { name: string; precision: number; recall: number; f1: number }[];
}

type AnnotateInput = Awaited<ReturnType<typeof readRolloutFile>> & { task?: Task };

export async function runAnnotate(
  options: AnnotateCliOptions,
  io: StageIO,
  input?: AnnotateInput,
): Promise<AnnotateResult> {
  const { reporter } = io;
  const { header, rollouts } = input ?? (await readRolloutFile(options.data, { trustRewards: options.trustRewards }));
  const task = input?.task ?? getTask(header.task);
  const problems = problemsOf(task, rollouts);

  const llm = options.judges.includes('llm')
    ? cliLlmJudge(
        options,
        (line) => reporter.info(line),
        (line) => reporter.warn(line),
      )
    : undefined;
  const prm = options.judges.includes('prm')
    ? await loadPrmJudge(options.prm, options.prmThreshold, options.adapter, task)
    : null;
  const pool = await WorkerPool.create(options.workers);
  let result: AnnotateStageResult;
  try {
    result = await annotateStage(
      header,
      rollouts,
      problems,
      options,
      { pool, llm, prm: prm?.judge },
      new FolderStore(options.out),
      stageHooks(io),
    );
  } finally {
    pool.terminate();
    prm?.close();
  }
  const { records, report } = result;
  if (llm instanceof LlmJudge && options.llmUrl !== undefined && !options.simulatedLlm)
    reporter.info(`llm judge: ${llm.stats.requests} requests sent, ${llm.stats.cacheHits} replies from the cache`);
  if (options.stepwise)
    await writeFileAtomic(
      join(options.out, 'stepwise.jsonl'),
      new TextEncoder().encode(toJsonl(records.map(toStepwiseSupervision))),
    );
  return {
    path: join(options.out, 'annotated.jsonl'),
    responses: records.length,
    minedTokens: result.minedTokens,
    judges: report?.judges.map((j) => ({ name: j.name, precision: j.precision, recall: j.recall, f1: j.f1 })) ?? [],
  };
}
