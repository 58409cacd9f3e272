// Consensus of step labels across judges (docs/algorithms.md §4).
//
// - 'and' (the paper: I = I^LLM AND I^PRM): a step is correct only when every
//   judge says 1. An abstaining judge can never make a step correct: under
//   AND an abstention counts as "not 1", so the step is 0.
// - 'majority' (this project's choice): abstentions do not vote; a step is
//   correct when more judges say 1 than 0 among those that voted; a tie, and
//   a step where every judge abstained, is 0.
// - 'any' (any-of, this project's choice): a step is correct when at least one
//   judge says 1; abstentions do not vote; every judge abstaining gives 0.
// Every mode reports how many judges abstained on each step. A consensus of
// no judges, or of judges that disagree on the number of steps, is refused.
import type { StepVerdict } from './judge.ts';

export type ConsensusMode = 'and' | 'majority' | 'any';
export const CONSENSUS_MODES: readonly ConsensusMode[] = ['and', 'majority', 'any'];

export interface ConsensusLabel {
  label: 0 | 1;
  /** Judges that abstained on this step. */
  abstained: number;
}

export function isConsensusMode(mode: string): mode is ConsensusMode {
  return (CONSENSUS_MODES as readonly string[]).includes(mode);
}

/** One consensus label per step from verdicts[judge][step]. */
export function consensus(
  mode: ConsensusMode,
  verdicts: readonly (readonly Pick<StepVerdict, 'label'>[])[],
): ConsensusLabel[] {
  if (!isConsensusMode(mode))
    throw new Error(`Unknown consensus mode "${mode}"; the modes are: ${CONSENSUS_MODES.join(', ')}.`);
  if (verdicts.length === 0) throw new Error('consensus: no judges to combine.');
  const steps = verdicts[0].length;
  verdicts.forEach((v, j) => {
    if (v.length !== steps) throw new Error(`consensus: judge ${j} labels ${v.length} steps, judge 0 labels ${steps}.`);
  });
  const out: ConsensusLabel[] = [];
  for (let k = 0; k < steps; k++) {
    let ones = 0;
    let zeros = 0;
    let abstained = 0;
    for (const v of verdicts) {
      const label = v[k].label;
      if (label === 1) ones++;
      else if (label === 0) zeros++;
      else abstained++;
    }
    let label: 0 | 1;
    if (mode === 'and') label = ones === verdicts.length ? 1 : 0;
    else if (mode === 'majority') label = ones > zeros ? 1 : 0;
    else label = ones > 0 ? 1 : 0;
    out.push({ label, abstained });
  }
  return out;
}
