// The rule judge (docs/algorithms.md §3.3), named 'rule': what a checker that
// reads only the prompt and the response can verify. The task supplies the
// checking (Task.ruleFindings: verdicts on spans of the response, with the
// Error Propagation and Error Termination rules applied); this judge adds the
// final answers and turns both into one label a step.
//
// A step is 0 when any finding it overlaps is 0 (reasons, most specific
// first: own-error, final-wrong, propagation); a step that states a final
// answer is 1 only if that answer matches problem.answer; otherwise it is 1
// (a step with no finding and no answer has nothing wrong in it: restating,
// planning). Findings are made on the whole response, so a step boundary
// inside a claim changes nothing: a finding applies to every step it overlaps.
//
// Final answers: task.extractAnswer(step text) reads a step's answer; when it
// finds none (or there is no task), the generic rule of answers.ts.
//
// A task without a rule judge gets abstentions (with the reason) on every
// step, never a silent "correct". With no task at all (options {}), only
// final answers are checked.
import { DEFAULT_TASK_NAME, getTask } from '../tasks/index.ts';
import type { Problem, RuleFinding, StepReason, StepSpan, Task } from '../tasks/task.ts';
import { findAnswers, sameAnswer } from './answers.ts';
import type { Judge, JudgeInput, StepVerdict } from './judge.ts';
import { joinSteps, type StepLabeller } from './step-labeller.ts';

export { findAnswers, sameAnswer } from './answers.ts';

export type RuleReason = StepReason | 'no-claims';

export interface RuleLabel {
  score: 0 | 1;
  reason: RuleReason;
  /** What decided it, e.g. "7+5=13 is false (7+5 = 12)". */
  detail: string;
}

export interface RuleOptions {
  /** Its ruleFindings check the response; its extractAnswer reads each step's answer. */
  task?: Task;
}

interface Finding {
  start: number;
  end: number;
  score: 0 | 1;
  reason: RuleReason;
  detail: string;
}

/** The task's findings; none without a task; an error naming the task when it has no rule judge. */
function taskFindings(task: Task | undefined, response: string, reference: { prompt: string; answer: string }) {
  if (task === undefined) return [];
  if (task.ruleFindings === undefined) throw new Error(`the task "${task.name}" has no rule judge`);
  return task.ruleFindings(response, reference).map((f: RuleFinding): Finding => ({ ...f }));
}

const WRONG_PRIORITY: RuleReason[] = ['own-error', 'final-wrong', 'propagation'];
const RIGHT_PRIORITY: RuleReason[] = ['final-correct', 'termination', 'correct', 'check'];

/** The rule judge's label of every step (spans of `response`), with what decided it. */
export function ruleLabels(
  response: string,
  steps: readonly StepSpan[],
  reference: { prompt: string; answer: string },
  options: RuleOptions = {},
): RuleLabel[] {
  const answer = reference.answer;
  const findings = taskFindings(options.task, response, reference);
  // Answers: the task's reading of each step first, then the generic rule by position.
  const generic = findAnswers(response);
  for (const step of steps) {
    const stated = options.task?.extractAnswer(response.slice(step.start, step.end)) ?? null;
    const answers =
      stated !== null ? [stated] : generic.filter((a) => a.start < step.end && a.end > step.start).map((a) => a.answer);
    for (const a of answers) {
      const right = sameAnswer(a, answer);
      findings.push({
        start: step.start,
        end: step.end,
        score: right ? 1 : 0,
        reason: right ? 'final-correct' : 'final-wrong',
        detail: right ? `the answer ${a} matches the reference` : `the answer ${a} is not the reference ${answer}`,
      });
    }
  }
  return steps.map((step) => {
    const inside = findings.filter((f) => f.start < step.end && f.end > step.start);
    if (inside.length === 0) return { score: 1, reason: 'no-claims', detail: 'no claim and no answer: nothing wrong' };
    const wrong = inside.filter((f) => f.score === 0);
    if (wrong.length > 0) {
      const first =
        WRONG_PRIORITY.map((r) => wrong.find((f) => f.reason === r)).find((f) => f !== undefined) ?? wrong[0];
      return { score: 0, reason: first.reason, detail: first.detail };
    }
    const best =
      RIGHT_PRIORITY.map((r) => inside.find((f) => f.reason === r)).find((f) => f !== undefined) ?? inside[0];
    return { score: 1, reason: best.reason, detail: best.detail };
  });
}

/** The rule judge as a Judge. Never throws: an internal failure becomes an abstention with its reason. */
export class RuleJudge implements Judge {
  readonly name = 'rule';
  constructor(readonly options: RuleOptions = {}) {}

  async judge(input: JudgeInput): Promise<StepVerdict[]> {
    return ruleVerdicts(input.problem, input.response, input.steps, this.options);
  }
}

/** The rule judge's verdicts, synchronously. */
export function ruleVerdicts(
  problem: Problem,
  response: string,
  steps: readonly StepSpan[],
  options: RuleOptions = {},
): StepVerdict[] {
  try {
    return ruleLabels(response, steps, problem, options).map((l) => ({
      label: l.score,
      reason: `${l.reason}: ${l.detail}`,
    }));
  } catch (error) {
    const reason = `rule judge failed: ${(error as Error).message}`;
    return steps.map(() => ({ label: null, reason }));
  }
}

/**
 * The rule judge over step texts (the shape of the simulated LLM server's
 * labeller): the steps are joined back into one response (joinSteps).
 * Called with no options it judges with the registry's default task, as it
 * did before tasks came in from outside; a run passes its own task.
 */
export function ruleStepLabeller(options: RuleOptions = { task: getTask(DEFAULT_TASK_NAME) }): StepLabeller {
  return (problem, stepTexts, reference) => {
    const { response, spans } = joinSteps(stepTexts);
    return ruleLabels(response, spans, { prompt: problem, answer: reference.answer }, options).map((l) => ({
      score: l.score,
      reason: `${l.reason}: ${l.detail}`,
    }));
  };
}
