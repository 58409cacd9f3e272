// `gemstone export`: the annotated dataset in the shape large-scale trainers read.
//
//   <out>/dataset.jsonl   one response a line: prompt, response, reward, token ids, steps (spans,
//                         text, every judge's label and score, consensus), per-token β weights
//                         (β on mined tokens of negatives, 1 elsewhere: Eq. 7), π_ref log-probs
//   <out>/stepwise.jsonl  TRL's stepwise-supervision records {prompt, completions, labels}
//   <out>/manifest.json   what the files hold: source, task, tokenizer, judges, consensus, β, counts
//
// The judging and weighting done here then carry over to a model trained elsewhere.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AnnotatedHeader, AnnotatedRecord } from '../../src/data/annotated.ts';
import { toJsonl } from '../../src/data/jsonl.ts';
import { readAnnotatedFile } from '../../src/data/rollout-files.ts';
import { writeFileAtomic } from '../../src/checkpoint/files.ts';
import { toStepwiseSupervision } from '../../src/judge/annotate.ts';
import type { Task } from '../../src/tasks/task.ts';
import { defineCommand } from '../command.ts';
import { ConfigError } from '../config.ts';
import { dataTask } from '../policy.ts';
import { PROFILES } from '../presets.ts';
import { readJson, writeJson, type SavedConfig } from '../run-folder.ts';
import { num, TRUST_REWARDS_OPTION } from '../spec.ts';

export const EXPORT_FORMAT = 'gemstone-export';
export const EXPORT_VERSION = 1;

interface ExportOptions {
  data?: string;
  run?: string;
  beta?: number;
  trustRewards?: boolean;
  out: string;
}

export interface ExportedStep {
  start: number;
  end: number;
  token_start: number;
  token_end: number;
  text: string;
  /** Each judge's label: 1 correct, 0 incorrect, null abstained. */
  labels: Record<string, 0 | 1 | null>;
  /** Each judge's score where it gives one (the PRM's probability). */
  scores: Record<string, number>;
  consensus: 0 | 1;
}

export interface ExportedRecord {
  prompt_id: string;
  index: number;
  /** The pipeline iteration the record comes from (1 unless exported from a multi-iteration run). */
  iteration: number;
  prompt: string;
  response: string;
  reward: 0 | 1;
  answer: string | null;
  reference_answer: string;
  prompt_tokens: number[];
  response_tokens: number[];
  steps: ExportedStep[];
  beta_mask: (0 | 1)[];
  /** β_ij of Eq. 7, per response token. */
  beta_weights: number[];
  /** log π_ref of each response token. */
  ref_logprobs: number[];
}

export function exportRecord(r: AnnotatedRecord, beta: number, iteration: number): ExportedRecord {
  return {
    prompt_id: r.prompt_id,
    index: r.index,
    iteration,
    prompt: r.prompt,
    response: r.response,
    reward: r.reward,
    answer: r.answer ?? null,
    reference_answer: r.reference_answer,
    prompt_tokens: r.prompt_tokens,
    response_tokens: r.response_tokens,
    steps: r.steps.map((s, k) => ({
      start: s.start,
      end: s.end,
      token_start: s.token_start,
      token_end: s.token_end,
      text: r.response.slice(s.start, s.end),
      labels: Object.fromEntries(r.judges.map((j) => [j.name, j.verdicts[k].label])),
      scores: Object.fromEntries(
        r.judges.filter((j) => j.verdicts[k].score !== undefined).map((j) => [j.name, j.verdicts[k].score!]),
      ),
      consensus: r.consensus.labels[k],
    })),
    beta_mask: r.beta_mask,
    beta_weights: r.beta_mask.map((m) => (r.reward === 0 && m === 1 ? beta : 1)),
    ref_logprobs: r.logprobs_ref,
  };
}

/** The annotated files of a run folder: <run>/annotated.jsonl, or each <run>/iteration-N/annotated.jsonl. */
export function annotatedFilesOf(run: string): { path: string; iteration: number }[] {
  if (existsSync(join(run, 'annotated.jsonl'))) return [{ path: join(run, 'annotated.jsonl'), iteration: 1 }];
  const found = readdirSync(run)
    .map((name) => /^iteration-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(run, m[0], 'annotated.jsonl')))
    .map((m) => ({ path: join(run, m[0], 'annotated.jsonl'), iteration: Number(m[1]) }))
    .sort((a, b) => a.iteration - b.iteration);
  if (found.length === 0)
    throw new ConfigError(
      `--run ${run}: no annotated.jsonl in it (nor in iteration-N/); run gemstone annotate or pipeline first.`,
    );
  return found;
}

export function exportCommand() {
  return defineCommand<ExportOptions>({
    name: 'export',
    description:
      'write the annotated dataset for large-scale trainers: <out>/dataset.jsonl (steps, judge labels, consensus, ' +
      "per-token β weights, π_ref log-probs) and TRL's stepwise-supervision <out>/stepwise.jsonl",
    options: [
      { key: 'data', help: 'an annotated JSONL (from gemstone annotate)', kind: { type: 'file' } },
      {
        key: 'run',
        help: 'a run folder of gemstone pipeline or annotate: exports every iteration it annotated',
        kind: { type: 'dir' },
      },
      {
        key: 'beta',
        help: 'β for the per-token weights',
        kind: num({ min: 0 }),
        defaultHelp: `the run's β, else ${PROFILES.software.pipeline.beta}`,
      },
      TRUST_REWARDS_OPTION,
    ],
    runFolder: true,
    profiled: false,
    examples: [
      'gemstone export --run runs/pipeline --out runs/export',
      'gemstone export --data runs/annotated/annotated.jsonl --beta 0.5',
    ],
    validate: (o) => {
      if ((o.data === undefined) === (o.run === undefined))
        throw new ConfigError('give either --data FILE or --run DIR (one of them).');
    },
    // Every file is read and checked here, before the run folder exists.
    prepare: async (o) => {
      const files = o.run !== undefined ? annotatedFilesOf(o.run) : [{ path: o.data!, iteration: 1 }];
      const read = [];
      // The first file's task (a module's is loaded from the path it records); every other file must share it.
      let task: Task | undefined;
      for (const file of files) {
        task = await dataTask(file.path, task);
        read.push({ ...file, ...(await readAnnotatedFile(file.path, { trustRewards: o.trustRewards, task })) });
      }
      return read;
    },
    run: async ({ options, reporter, prepared }) => {
      const files = prepared as ({ path: string; iteration: number } & Awaited<ReturnType<typeof readAnnotatedFile>>)[];
      let beta = options.beta;
      if (beta === undefined && options.run !== undefined && existsSync(join(options.run, 'config.json'))) {
        const saved = await readJson<SavedConfig>(join(options.run, 'config.json'));
        if (typeof saved.options?.beta === 'number') beta = saved.options.beta;
      }
      beta ??= PROFILES.software.pipeline.beta;
      const exported: ExportedRecord[] = [];
      const stepwiseRecords: ReturnType<typeof toStepwiseSupervision>[] = [];
      let header: AnnotatedHeader | null = null;
      for (const file of files) {
        header ??= file.header;
        for (const r of file.records) {
          exported.push(exportRecord(r, beta, file.iteration));
          stepwiseRecords.push(toStepwiseSupervision(r));
        }
      }
      const dataset = join(options.out, 'dataset.jsonl');
      const stepwise = join(options.out, 'stepwise.jsonl');
      await writeFileAtomic(dataset, new TextEncoder().encode(toJsonl(exported)));
      await writeFileAtomic(stepwise, new TextEncoder().encode(toJsonl(stepwiseRecords)));
      const manifest = {
        format: EXPORT_FORMAT,
        version: EXPORT_VERSION,
        sources: files.map((f) => f.path),
        task: header!.task,
        ...(header!.task_module !== undefined ? { task_module: header!.task_module } : {}),
        tokenizer: header!.tokenizer,
        judges: header!.annotation.voters,
        consensus: header!.annotation.consensus,
        simulated_judges: header!.annotation.simulated,
        beta,
        records: exported.length,
        negatives: exported.filter((r) => r.reward === 0).length,
        mined_tokens: exported.reduce(
          (s, r) => s + (r.reward === 0 ? r.beta_mask.reduce((a: number, b) => a + b, 0) : 0),
          0,
        ),
        files: { dataset: 'dataset.jsonl', stepwise: 'stepwise.jsonl' },
      };
      await writeJson(join(options.out, 'manifest.json'), manifest);
      reporter.result(`exported ${exported.length} responses (β ${beta}) → ${dataset}, ${stepwise}`);
      return { task: header!.task, dataset, stepwise, records: exported.length, beta };
    },
  });
}
