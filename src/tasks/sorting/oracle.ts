// The oracle of the built-in task `sorting` (step labels, stage 2): line
// labels by the Error Propagation / Error Termination rules, then step labels.
import { checkCoverage, type LineSpan, splitLines, stepLabelsFromLines } from '../lines.ts';
import type { StepLabel, StepReason, StepSpan } from '../task.ts';
import { insert, type ParsedLine, parseLine, type SortingData, sameList } from './format.ts';

/**
 * Labels every line of a response, in order (blank lines get null).
 *
 * The oracle follows the response's running list `cur` (what it carries
 * forward, starting as the first number) and the true list after the
 * insertions written so far (`prefixes[done]`, `done` = insert lines seen).
 *
 * `Insert x: L` (its position among the insert lines is its ordinal k):
 * - own-error when x is not the prompt's (k+1)-th number or there is none (a
 *   misread condition), or when L is neither x inserted into the running list
 *   nor x inserted into the true list (a slip: a number out of place, lost or
 *   changed);
 * - else propagation when L is not the true list (it inserted x right, into
 *   a list that was already wrong);
 * - else termination when the running list was wrong (it silently goes on
 *   from the true list);
 * - else correct. Afterwards the running list is L.
 *
 * A check's claim is about the last insertion: its list t is x inserted into
 * the list the step started from, or the true list.
 * `Check: t ok` (a check that confirms; t must be the running list):
 * - own-error when the claim is false (e.g. "confirming" a slip);
 * - else propagation when the running list is wrong; else check.
 * `Check: t, not w` (a correction; the running list becomes t):
 * - own-error when the claim is false; termination when t is the true list
 *   and the running list was wrong (Error Termination); check when both are
 *   right; own-error when the running list was right and t is not; else
 *   propagation.
 * A check before any insertion has nothing to check: own-error.
 *
 * `Answer: L`: final-correct when L is the sorted list, else final-wrong.
 * Any other non-blank line: own-error (unparseable).
 */
export function labelLines(
  data: SortingData,
  response: string,
): { line: LineSpan; parsed: ParsedLine; label: StepLabel | null }[] {
  const { items, prefixes } = data;
  const answer = prefixes[prefixes.length - 1];
  const truthAfter = (done: number): number[] | null => (done < prefixes.length ? prefixes[done] : null);
  let cur: number[] = [items[0]];
  let done = 0;
  let last: { base: number[]; x: number } | null = null;
  const label = (score: 0 | 1, reason: StepReason): StepLabel => ({ score, reason });
  const out: { line: LineSpan; parsed: ParsedLine; label: StepLabel | null }[] = [];
  for (const line of splitLines(response)) {
    const parsed = parseLine(response.slice(line.start, line.end));
    let result: StepLabel | null;
    const truth = truthAfter(done);
    switch (parsed.kind) {
      case 'blank':
        result = null;
        break;
      case 'unparseable':
        result = label(0, 'own-error');
        break;
      case 'answer':
        result = sameList(parsed.list, answer) ? label(1, 'final-correct') : label(0, 'final-wrong');
        break;
      case 'insert': {
        const ordinal = done + 1;
        const trueInput = truthAfter(ordinal - 1);
        const trueOutput = truthAfter(ordinal);
        const misread = ordinal >= items.length || parsed.x !== items[ordinal] || trueInput === null;
        const fromCur = insert(cur, parsed.x);
        const fromTruth = trueInput === null ? null : insert(trueInput, parsed.x);
        const slip = !sameList(parsed.list, fromCur) && (fromTruth === null || !sameList(parsed.list, fromTruth));
        if (misread || slip || trueOutput === null) result = label(0, 'own-error');
        else if (!sameList(parsed.list, trueOutput)) result = label(0, 'propagation');
        else if (!sameList(cur, trueInput!)) result = label(1, 'termination');
        else result = label(1, 'correct');
        last = { base: cur, x: parsed.x };
        done = ordinal;
        cur = parsed.list;
        break;
      }
      case 'check': {
        const t = parsed.list;
        const claimTrue =
          last !== null && (sameList(t, insert(last.base, last.x)) || (truth !== null && sameList(t, truth)));
        const wasRight = truth !== null && sameList(cur, truth);
        if (parsed.replaces === null) {
          if (!claimTrue || !sameList(t, cur)) result = label(0, 'own-error');
          else if (!wasRight) result = label(0, 'propagation');
          else result = label(1, 'check');
        } else {
          const nowRight = truth !== null && sameList(t, truth);
          if (!claimTrue) result = label(0, 'own-error');
          else if (nowRight && !wasRight) result = label(1, 'termination');
          else if (nowRight) result = label(1, 'check');
          else if (wasRight) result = label(0, 'own-error');
          else result = label(0, 'propagation');
          cur = t;
        }
        break;
      }
    }
    out.push({ line, parsed, label: result });
  }
  return out;
}

/** Labels arbitrary step spans from the line labels (stepLabelsFromLines). */
export function labelSteps(data: SortingData, response: string, steps: StepSpan[]): StepLabel[] {
  checkCoverage('sorting', response, steps);
  return stepLabelsFromLines(labelLines(data, response), steps);
}
