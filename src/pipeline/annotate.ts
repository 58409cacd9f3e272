// The annotation stage: every response cut into steps, labelled by the judges
// (in workers; the LLM and PRM judges on the main thread), combined by
// consensus into the β mask, and measured against the oracle. Writes
// annotated.jsonl. Fast enough to redo whole after an interruption.
import { annotatedHeaderFrom, type AnnotatedHeader, type AnnotatedRecord } from '../data/annotated.ts';
import { toJsonl } from '../data/jsonl.ts';
import type { Rollout, RolloutHeader } from '../data/rollouts.ts';
import { agreementFromAnnotated } from '../judge/annotate.ts';
import { formatAgreementReport, type AgreementReport } from '../judge/agreement.ts';
import type { ConsensusMode } from '../judge/consensus.ts';
import type { Judge } from '../judge/judge.ts';
import type { PrmJudge } from '../judge/prm.ts';
import type { Problem } from '../tasks/task.ts';
import { annotateRollouts } from '../workers/annotate-run.ts';
import type { AnnotateConfig } from '../workers/annotate-service.ts';
import type { WorkerPool } from '../workers/pool.ts';
import type { StageHooks } from './hooks.ts';
import { writeText, type ArtifactStore } from './store.ts';

export interface AnnotateStageOptions {
  judges: string[];
  consensus: ConsensusMode;
  /** Rollouts per worker message. */
  chunk: number;
  /** Segmenter: merge steps shorter than this. */
  minChars: number;
  /** Segmenter: cap on steps per response. */
  maxSteps: number;
}

/** What the judges that are not plain functions need: the face makes them (an endpoint, a trained PRM). */
export interface AnnotateJudges {
  pool: WorkerPool;
  llm?: Judge;
  prm?: PrmJudge;
}

export interface AnnotateStageResult {
  header: AnnotatedHeader;
  records: AnnotatedRecord[];
  /** Each judge (and the consensus) against the oracle; null without records. */
  report: AgreementReport | null;
  /** Tokens of negatives that carry β. */
  minedTokens: number;
}

export function segmenterName(options: Pick<AnnotateStageOptions, 'minChars' | 'maxSteps'>): string {
  return `default(minChars=${options.minChars}, maxSteps=${options.maxSteps})`;
}

export async function annotateStage(
  header: RolloutHeader,
  rollouts: readonly Rollout[],
  problems: Map<string, Problem>,
  options: AnnotateStageOptions,
  judges: AnnotateJudges,
  store: ArtifactStore,
  hooks: StageHooks,
): Promise<AnnotateStageResult> {
  const config: AnnotateConfig = {
    task: header.task,
    ...(header.task_module !== undefined ? { taskModule: header.task_module } : {}),
    tokenizer: header.tokenizer,
    segmenter: { minChars: options.minChars, maxSteps: options.maxSteps },
    judges: options.judges,
    mode: options.consensus,
    oracle: true,
  };
  const progress = hooks.progress({ stage: hooks.stage, unit: 'responses', total: rollouts.length });
  let records: AnnotatedRecord[];
  try {
    const annotated = await annotateRollouts([...rollouts], problems, config, {
      pool: judges.pool,
      chunk: options.chunk,
      llm: judges.llm,
      prm: judges.prm,
      onChunk: (done) => progress.update(done, { log: true }),
    });
    records = annotated.map((a, i) => ({ ...rollouts[i], ...a }));
  } finally {
    progress.stop();
  }
  const simulated = records[0]?.judges.filter((j) => j.simulated).map((j) => j.name) ?? [];
  const out = annotatedHeaderFrom(header, {
    voters: options.judges,
    consensus: options.consensus,
    segmenter: segmenterName(options),
    oracle: true,
    simulated,
  });
  await writeText(store, 'annotated.jsonl', toJsonl([out, ...records]));
  const report =
    records.length > 0
      ? agreementFromAnnotated(records, 'oracle', {
          consensus: options.judges.length > 1 ? [options.consensus] : [],
          voters: options.judges,
        })
      : null;
  const minedTokens = records
    .filter((r) => r.reward === 0)
    .reduce((s, r) => s + r.beta_mask.reduce((a: number, b) => a + b, 0), 0);
  hooks.log(
    `annotated ${records.length} responses with ${options.judges.join(', ')} (${options.consensus}) → ` +
      `${store.locate('annotated.jsonl')}; ${minedTokens} tokens of negatives carry β`,
  );
  if (report) for (const line of formatAgreementReport(report).split('\n')) hooks.log(line);
  const abstained = records.reduce((s, r) => s + r.consensus.abstained.reduce((a, b) => a + b, 0), 0);
  if (abstained > 0)
    hooks.warn(
      `judges abstained on ${abstained} step verdicts; under "${options.consensus}" an abstention never makes a ` +
        'step correct.',
    );
  return { header: out, records, report, minedTokens };
}
