// The oracle judge, named 'oracle': the task's own step truth (Task.oracle),
// for measuring the other judges and for teaching. Only tasks with an oracle
// (every built-in task) can have one; it never throws: a failure (a problem
// from another task, steps that do not cover the response) becomes an
// abstention on every step, with the reason.
import type { Task } from '../tasks/task.ts';
import type { Judge, JudgeInput, StepVerdict } from './judge.ts';

export class OracleJudge implements Judge {
  readonly name = 'oracle';
  constructor(readonly task: Task) {}

  async judge(input: JudgeInput): Promise<StepVerdict[]> {
    return oracleVerdicts(this.task, input);
  }
}

/** The oracle's verdicts, synchronously. */
export function oracleVerdicts(task: Task, input: JudgeInput): StepVerdict[] {
  try {
    const labels = task.oracle(input.problem, input.response, input.steps);
    if (labels.length !== input.steps.length)
      throw new Error(`it gave ${labels.length} labels for ${input.steps.length} steps`);
    return labels.map((l) => ({ label: l.score, reason: l.reason }));
  } catch (error) {
    const reason = `the ${task.name} oracle failed: ${(error as Error).message}`;
    return input.steps.map(() => ({ label: null, reason }));
  }
}
