// Lines and spans of a response: what most tasks' natural segmentation and
// oracle are built on.
import type { StepLabel, StepSpan } from './task.ts';

/**
 * A line of a response with its offsets: [start, end) includes the newline;
 * [contentStart, contentEnd) is the text without surrounding whitespace.
 */
export interface LineSpan {
  start: number;
  end: number;
  contentStart: number;
  contentEnd: number;
}

export function splitLines(response: string): LineSpan[] {
  const lines: LineSpan[] = [];
  let start = 0;
  while (start < response.length) {
    const newline = response.indexOf('\n', start);
    const end = newline === -1 ? response.length : newline + 1;
    let contentStart = start;
    let contentEnd = end;
    while (contentStart < contentEnd && /\s/.test(response[contentStart])) contentStart++;
    while (contentEnd > contentStart && /\s/.test(response[contentEnd - 1])) contentEnd--;
    lines.push({ start, end, contentStart, contentEnd });
    start = end;
  }
  return lines;
}

/** One span per line, each with its trailing newline: the one-line-a-step segmentation. */
export function lineSteps(response: string): StepSpan[] {
  return splitLines(response).map((l) => ({ start: l.start, end: l.end }));
}

/** Throws unless the steps cover the response exactly once, in order, none empty. */
export function checkCoverage(taskName: string, response: string, steps: readonly StepSpan[]): void {
  let at = 0;
  steps.forEach((s, i) => {
    if (s.start !== at || s.end <= s.start) {
      throw new Error(
        `${taskName} oracle: steps must cover the response exactly once, in order; step ${i} is ` +
          `[${s.start}, ${s.end}), expected it to start at ${at} and be non-empty.`,
      );
    }
    at = s.end;
  });
  if (at !== response.length) {
    throw new Error(
      `${taskName} oracle: steps must cover the response exactly once; they end at ${at}, ` +
        `the response at ${response.length}.`,
    );
  }
}

/** Which reason a step with several lines gets when one of them is wrong: the most specific first. */
const WRONG_PRIORITY = ['own-error', 'final-wrong', 'propagation'] as const;

/**
 * Step labels from line labels: a step holds the lines whose text (not
 * counting surrounding whitespace) it overlaps, so a step may be one line,
 * several merged lines, or part of a line.
 * - Any line in it wrong → 0, reason own-error if any line has one, else
 *   final-wrong if it holds a wrong final answer, else propagation.
 * - All lines right → final-correct if it holds the final answer, else
 *   termination if a line fixes an error, else check if every line is a
 *   check, else correct.
 * - A step of whitespace only says nothing verifiable: own-error, as an
 *   unparseable line.
 */
export function stepLabelsFromLines(
  lines: readonly { line: LineSpan; label: StepLabel | null }[],
  steps: readonly StepSpan[],
): StepLabel[] {
  const labelled = lines.filter((l) => l.label !== null);
  return steps.map((step) => {
    const inside = labelled.filter(
      (l) => Math.max(step.start, l.line.contentStart) < Math.min(step.end, l.line.contentEnd),
    );
    if (inside.length === 0) return { score: 0, reason: 'own-error' };
    const labels = inside.map((l) => l.label!);
    const wrong = labels.filter((l) => l.score === 0);
    if (wrong.length > 0) {
      const reason = WRONG_PRIORITY.find((r) => wrong.some((l) => l.reason === r)) ?? wrong[0].reason;
      return { score: 0, reason };
    }
    if (labels.some((l) => l.reason === 'final-correct')) return { score: 1, reason: 'final-correct' };
    if (labels.some((l) => l.reason === 'termination')) return { score: 1, reason: 'termination' };
    if (labels.every((l) => l.reason === 'check')) return { score: 1, reason: 'check' };
    return { score: 1, reason: 'correct' };
  });
}
