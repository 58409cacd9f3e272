// Labellers over step texts: the shape the simulated LLM server labels with
// (it reads only the problem's text, the reference answer and the steps back
// out of the LLM judge's prompt). Any task gives one: its oracle, through the
// problems the run made (oracleStepLabeller), or its rule judge
// (ruleStepLabeller in rule-judge.ts); the server adds its own noise.
import type { Problem, StepSpan, Task } from '../tasks/task.ts';

/** Labels the steps of a response to a problem (score 1 = correct), one entry per step. */
export type StepLabeller = (
  problem: string,
  steps: string[],
  reference: { answer: string },
) => { score: 0 | 1; reason: string }[];

/**
 * The steps joined back into one response, with each step's span: a line
 * break is added between two steps where the first does not end in whitespace.
 */
export function joinSteps(stepTexts: readonly string[]): { response: string; spans: StepSpan[] } {
  let response = '';
  const spans: StepSpan[] = [];
  stepTexts.forEach((text, i) => {
    if (i > 0 && response.length > 0 && !/\s$/.test(response)) response += '\n';
    const start = response.length;
    response += text;
    spans.push({ start, end: response.length });
  });
  // A joined line break belongs to the step before it, so the spans cover the response.
  for (let i = 0; i + 1 < spans.length; i++) spans[i].end = spans[i + 1].start;
  return { response, spans };
}

/** The problem's text as the LLM judge's prompt carries it (trailing line breaks dropped). */
const promptKey = (prompt: string) => prompt.replace(/\n+$/, '');

/**
 * The task's oracle over step texts, for the problems given (found by their
 * prompt). A problem it was not given is an error (the server answers 500
 * and the LLM judge abstains), never a guess.
 */
export function oracleStepLabeller(task: Task, problems: Iterable<Problem>): StepLabeller {
  const byPrompt = new Map<string, Problem>();
  for (const p of problems) byPrompt.set(promptKey(p.prompt), p);
  return (problemText, stepTexts, reference) => {
    const problem = byPrompt.get(promptKey(problemText));
    if (problem === undefined) throw new Error(`no ${task.name} problem has the prompt ${JSON.stringify(problemText)}`);
    if (problem.answer !== reference.answer)
      throw new Error(`the reference answer ${reference.answer} is not problem ${problem.id}'s (${problem.answer})`);
    const { response, spans } = joinSteps(stepTexts);
    const labels = task.oracle(problem, response, spans);
    if (labels.length !== spans.length)
      throw new Error(`the ${task.name} oracle gave ${labels.length} labels for ${spans.length} steps`);
    return labels.map((l) => ({ score: l.score, reason: l.reason }));
  };
}
