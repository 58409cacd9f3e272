// Agreement of judges with the oracle (docs/algorithms.md §4; the form of the
// paper's Tables 4–5): for every judge and for the consensus, precision,
// recall and F1 of the "correct" label against the oracle, the abstention
// rate, and the tokens labelled correct / incorrect inside negative responses
// (the tokens BCPG-NSA would weight by β, and those it would not).
//
// Choices (this project's):
// - An abstention is not a "correct" label: an abstained step never counts as
//   a true or false positive, and an oracle-correct step a judge abstained on
//   counts against its recall (recall is over all oracle-correct steps).
// - Precision with no step labelled correct, recall with no oracle-correct
//   step, and F1 when both are 0, are reported as 0 (the counts are given too).
// - Tokens of an abstained step inside a negative are counted apart
//   (negativeTokens.abstained), neither correct nor incorrect.
// - Consensus rows are named `consensus:<mode>`; by default 'and' (the paper's)
//   is added when there are two judges or more. A row may instead be given
//   whole (AgreementOptions.used): the consensus that made the β mask, with its
//   voters — when the oracle is one of them, the row says so, since it is then
//   measured partly against itself.
import { consensus, type ConsensusMode } from './consensus.ts';

export type Label = 0 | 1;

export interface TokenSplit {
  correct: number;
  incorrect: number;
}

export interface JudgeAgreement {
  name: string;
  /** Steps compared. */
  steps: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  abstained: number;
  precision: number;
  recall: number;
  f1: number;
  abstentionRate: number;
  /** Tokens of negative responses in steps this judge labelled correct / incorrect / abstained on. */
  negativeTokens: TokenSplit & { abstained: number };
  /** For the consensus that made the β mask: the judges that voted in it (the oracle may be one). */
  voters?: string[];
}

export interface AgreementReport {
  responses: number;
  negatives: number;
  steps: number;
  /** Share of oracle-correct steps: the precision of labelling every step correct (guessing). */
  correctShare: number;
  /** The oracle's own split of negative tokens (what is there to mine). */
  oracle: { negativeTokens: TokenSplit };
  /** Every judge in the order given, then the consensus rows. */
  judges: JudgeAgreement[];
}

export interface AgreementOptions {
  /** Consensus modes to add as rows (default ['and'] with two judges or more, else none). */
  consensus?: readonly ConsensusMode[];
  /** The consensus actually used, given whole: it replaces the recomputed row of its mode. */
  used?: UsedConsensus;
}

/** The labels a consensus gave (labels[response][step]) and the judges that voted in it. */
export interface UsedConsensus {
  mode: ConsensusMode;
  voters: readonly string[];
  labels: readonly (readonly (Label | null)[])[];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/**
 * oracle[response][step], judged[name][response][step] (null = abstained),
 * tokenCounts[response][step] (tokens in the step), negativeMask[response]
 * (true for a response with reward 0).
 */
export function agreementReport(
  oracle: readonly (readonly Label[])[],
  judged: Readonly<Record<string, readonly (readonly (Label | null)[])[]>>,
  tokenCounts: readonly (readonly number[])[],
  negativeMask: readonly boolean[],
  options: AgreementOptions = {},
): AgreementReport {
  const names = Object.keys(judged);
  const shape = oracle.map((r) => r.length);
  const check = (what: string, rows: readonly (readonly unknown[])[]) => {
    if (rows.length !== oracle.length)
      throw new Error(`agreementReport: ${what} has ${rows.length} responses, the oracle ${oracle.length}.`);
    rows.forEach((r, i) => {
      if (r.length !== shape[i])
        throw new Error(`agreementReport: ${what} has ${r.length} steps in response ${i}, the oracle ${shape[i]}.`);
    });
  };
  check('tokenCounts', tokenCounts);
  if (negativeMask.length !== oracle.length)
    throw new Error(`agreementReport: negativeMask has ${negativeMask.length} entries for ${oracle.length} responses.`);
  for (const name of names) check(`judge "${name}"`, judged[name]);

  const rows: { name: string; labels: readonly (readonly (Label | null)[])[]; voters?: string[] }[] = names.map(
    (name) => ({ name, labels: judged[name] }),
  );
  const { used } = options;
  if (used) check('the consensus used', used.labels);
  const modes = (options.consensus ?? (names.length >= 2 ? ['and'] : [])).filter((m) => m !== used?.mode);
  if (used) rows.push({ name: `consensus:${used.mode}`, labels: used.labels, voters: [...used.voters] });
  if (modes.length > 0 && names.length === 0) throw new Error('agreementReport: a consensus needs at least one judge.');
  for (const mode of modes) {
    rows.push({
      name: `consensus:${mode}`,
      labels: oracle.map((_, i) =>
        consensus(
          mode,
          names.map((n) => judged[n][i].map((label) => ({ label }))),
        ).map((c) => c.label),
      ),
    });
  }

  let steps = 0;
  let correctSteps = 0;
  const oracleTokens: TokenSplit = { correct: 0, incorrect: 0 };
  oracle.forEach((r, i) =>
    r.forEach((label, k) => {
      steps++;
      correctSteps += label;
      if (negativeMask[i]) oracleTokens[label === 1 ? 'correct' : 'incorrect'] += tokenCounts[i][k];
    }),
  );

  const judges = rows.map(({ name, labels, voters }): JudgeAgreement => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let tn = 0;
    let abstained = 0;
    const negativeTokens = { correct: 0, incorrect: 0, abstained: 0 };
    oracle.forEach((r, i) =>
      r.forEach((truth, k) => {
        const label = labels[i][k];
        if (label === null) {
          abstained++;
          if (truth === 1) fn++;
        } else if (label === 1) {
          if (truth === 1) tp++;
          else fp++;
        } else if (truth === 1) fn++;
        else tn++;
        if (negativeMask[i])
          negativeTokens[label === null ? 'abstained' : label === 1 ? 'correct' : 'incorrect'] += tokenCounts[i][k];
      }),
    );
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    return {
      name,
      steps,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      trueNegatives: tn,
      abstained,
      precision,
      recall,
      f1: ratio(2 * precision * recall, precision + recall),
      abstentionRate: ratio(abstained, steps),
      negativeTokens,
      ...(voters ? { voters } : {}),
    };
  });

  return {
    responses: oracle.length,
    negatives: negativeMask.filter(Boolean).length,
    steps,
    correctShare: ratio(correctSteps, steps),
    oracle: { negativeTokens: oracleTokens },
    judges,
  };
}

/** The report as a plain-text table (one row per judge and consensus). */
export function formatAgreementReport(report: AgreementReport, oracleName = 'oracle'): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const header = ['judge', 'precision', 'recall', 'F1', 'abstain', 'neg tokens correct', 'neg tokens incorrect'];
  const body = report.judges.map((j) => [
    j.voters ? `${j.name} (${j.voters.join('+')})` : j.name,
    pct(j.precision),
    pct(j.recall),
    pct(j.f1),
    pct(j.abstentionRate),
    String(j.negativeTokens.correct),
    String(j.negativeTokens.incorrect) +
      (j.negativeTokens.abstained > 0 ? ` (+${j.negativeTokens.abstained} abstained)` : ''),
  ]);
  body.push([
    'oracle',
    '',
    '',
    '',
    '',
    String(report.oracle.negativeTokens.correct),
    String(report.oracle.negativeTokens.incorrect),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const notes = report.judges
    .filter((j) => j.voters?.includes(oracleName))
    .map(
      (j) =>
        `${j.name} is the consensus that made the β mask, and the ${oracleName} is one of its voters: ` +
        `its figures are measured partly against itself.`,
    );
  return [
    `${report.responses} responses (${report.negatives} negative), ${report.steps} steps, ` +
      `${pct(report.correctShare)} correct by the oracle (the precision of guessing "correct")`,
    line(header),
    ...body.map(line),
    ...notes,
  ].join('\n');
}
