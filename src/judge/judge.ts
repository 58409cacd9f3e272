// Stage 2: judges label each step of a response correct (1) or incorrect (0),
// or abstain (null) with a reason. Consensus combines them (src/judge/consensus.ts).
import type { Problem, StepSpan } from '../tasks/task.ts';

export interface JudgeInput {
  problem: Problem;
  response: string;
  steps: StepSpan[];
}

export interface StepVerdict {
  /** 1 = correct, 0 = incorrect, null = the judge abstains (its reason says why). */
  label: 0 | 1 | null;
  /** The judge's own score where it has one (e.g. the PRM's P(correct)). */
  score?: number;
  reason?: string;
}

export interface Judge {
  readonly name: string;
  /** True for a stand-in (e.g. the simulated LLM server): shown wherever its labels are. */
  readonly simulated?: boolean;
  /** One verdict per step, in order. Never throws for a bad reply: it abstains instead. */
  judge(input: JudgeInput): Promise<StepVerdict[]>;
}
