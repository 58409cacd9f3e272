// The β mask for each label source, rebuilt from the per-judge step labels that
// annotation stored: the label sweep never runs a judge twice. A source is one
// judge alone (its label; an abstention is "not correct", as under AND), or the
// consensus of the run's judges in the run's mode. The mask follows Eq. 7 as in
// src/judge/annotate.ts: 1 on the tokens of a step labelled correct in a
// negative response, 0 elsewhere.
//
// The token counts are those of the paper's Tables 4–5: tokens of negatives in
// steps labelled correct (what β re-weights) and incorrect.
import type { AnnotatedRecord } from '../data/annotated.ts';
import { consensus, type ConsensusMode } from '../judge/consensus.ts';
import type { LabelSource } from './plan.ts';

export interface LabelRule {
  source: LabelSource;
  /** The judges whose labels combine (one for a single source). */
  voters: string[];
  mode: ConsensusMode;
}

/** How a label source is made from stored labels, given the run's consensus judges and mode. */
export function labelRule(source: LabelSource, consensusJudges: readonly string[], mode: ConsensusMode): LabelRule {
  // A single judge under 'and' is its own labels with abstentions as 0.
  return source === 'consensus'
    ? { source, voters: [...consensusJudges], mode }
    : { source, voters: [source], mode: 'and' };
}

/** The records with consensus labels and β mask from `rule` instead of the ones annotation combined. */
export function relabel(records: readonly AnnotatedRecord[], rule: LabelRule): AnnotatedRecord[] {
  return records.map((r) => {
    const verdicts = rule.voters.map((name) => {
      const judge = r.judges.find((j) => j.name === name);
      if (judge === undefined)
        throw new Error(
          `labels "${rule.source}": ${r.prompt_id}#${r.index} has no labels from judge "${name}" ` +
            `(it has ${r.judges.map((j) => j.name).join(', ')}).`,
        );
      return judge.verdicts;
    });
    const combined = r.steps.length > 0 ? consensus(rule.mode, verdicts) : [];
    const labels = combined.map((c) => c.label);
    const betaMask = new Array<0 | 1>(r.beta_mask.length).fill(0);
    if (r.reward === 0) {
      r.steps.forEach((s, k) => {
        if (labels[k] === 1) for (let j = s.token_start; j < s.token_end; j++) betaMask[j] = 1;
      });
    }
    return {
      ...r,
      consensus: { mode: rule.mode, labels, abstained: combined.map((c) => c.abstained) },
      beta_mask: betaMask,
    };
  });
}

export interface LabelCounts {
  /** Tokens of negative responses in steps labelled correct: those β weighs. */
  negativeTokensCorrect: number;
  negativeTokensIncorrect: number;
  /** Steps labelled correct that the oracle also calls correct, over all steps labelled correct (null: none). */
  precision: number | null;
  /** Oracle-correct steps that the source labels correct (null: the oracle found none). */
  recall: number | null;
}

/** Tables 4–5's token counts of relabelled records, and their agreement with the oracle's step labels. */
export function labelCounts(records: readonly AnnotatedRecord[], oracle = 'oracle'): LabelCounts {
  let correct = 0;
  let incorrect = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const r of records) {
    const truth = r.judges.find((j) => j.name === oracle)?.verdicts;
    if (truth === undefined)
      throw new Error(`labels: ${r.prompt_id}#${r.index} has no "${oracle}" labels to measure against.`);
    r.steps.forEach((s, k) => {
      const label = r.consensus.labels[k];
      const tokens = s.token_end - s.token_start;
      if (r.reward === 0) {
        if (label === 1) correct += tokens;
        else incorrect += tokens;
      }
      const t = truth[k].label === 1;
      if (label === 1 && t) tp++;
      else if (label === 1) fp++;
      else if (t) fn++;
    });
  }
  return {
    negativeTokensCorrect: correct,
    negativeTokensIncorrect: incorrect,
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: tp + fn > 0 ? tp / (tp + fn) : null,
  };
}
