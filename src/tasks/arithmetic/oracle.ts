// The oracle of the built-in task `arithmetic` (step labels, stage 2): line
// labels by the Error Propagation / Error Termination rules, then step labels.
import { checkCoverage, type LineSpan, splitLines, stepLabelsFromLines } from '../lines.ts';
import type { StepLabel, StepReason, StepSpan } from '../task.ts';
import { applyOp, type ArithmeticData, type ParsedLine, parseLine } from './format.ts';

/**
 * Labels every line of a response, in order (blank lines get null: they claim nothing).
 *
 * The oracle follows the response's running value `cur` (what it carries
 * forward, starting at the start value) and the true running value after
 * the steps written so far (`values[done]`, `done` = step lines seen).
 *
 * `Step k: a op b = c` (its position among the step lines is its ordinal):
 * - own-error when c ≠ a op b (a slip), when (op, b) is not the ordinal-th
 *   operation or k is not the ordinal or there is no such operation (a misread
 *   condition), or when a is neither the running value nor the true value (a
 *   misread of its own previous result);
 * - else propagation when a is not the true input (it builds on an earlier
 *   wrong result; its own arithmetic is right);
 * - else termination when a is the true input but the running value was
 *   wrong (it silently drops the wrong value and goes on from the true one);
 * - else correct. Afterwards the running value is c.
 *
 * `Check: a op b = c ok` (a check that confirms):
 * - own-error when c ≠ a op b (a false claim, e.g. "confirming" a slip);
 * - else propagation when the running value is wrong (it confirms work built on
 *   an earlier wrong result without fixing it: the claim is true, the path is not);
 * - else check (score 1).
 *
 * `Check: a op b = t, not c` (a correction; the running value becomes t):
 * - own-error when t ≠ a op b (a false claim);
 * - else termination when t is the true value and the running value was wrong
 *   (Error Termination);
 * - else check when both are right (nothing needed fixing);
 * - else own-error when the running value was right and t is not (it breaks a
 *   right value);
 * - else propagation (its arithmetic is right but it stays on a wrong path).
 *
 * `Answer: N`: final-correct when N is the reference answer, else final-wrong.
 * Any other non-blank line: own-error (unparseable: nothing it says can be verified).
 */
export function labelLines(
  data: ArithmeticData,
  response: string,
): { line: LineSpan; parsed: ParsedLine; label: StepLabel | null }[] {
  const values = data.values.map((v) => BigInt(v));
  const answer = values[values.length - 1];
  const truthAfter = (done: number): bigint | null => (done < values.length ? values[done] : null);
  let cur = values[0];
  let done = 0;
  const out: { line: LineSpan; parsed: ParsedLine; label: StepLabel | null }[] = [];
  const label = (score: 0 | 1, reason: StepReason): StepLabel => ({ score, reason });
  for (const line of splitLines(response)) {
    const parsed = parseLine(response.slice(line.start, line.end));
    let result: StepLabel | null;
    switch (parsed.kind) {
      case 'blank':
        result = null;
        break;
      case 'unparseable':
        result = label(0, 'own-error');
        break;
      case 'answer':
        result = parsed.n === answer ? label(1, 'final-correct') : label(0, 'final-wrong');
        break;
      case 'step': {
        const ordinal = done + 1;
        const expected = data.ops[ordinal - 1];
        const trueInput = truthAfter(ordinal - 1);
        const misread =
          expected === undefined ||
          parsed.k !== ordinal ||
          parsed.op !== expected.op ||
          parsed.b !== BigInt(expected.operand);
        const slip = applyOp(parsed.a, parsed.op, parsed.b) !== parsed.c;
        const copyError = parsed.a !== cur && parsed.a !== trueInput;
        if (misread || slip || copyError) result = label(0, 'own-error');
        else if (parsed.a !== trueInput) result = label(0, 'propagation');
        else if (cur !== trueInput) result = label(1, 'termination');
        else result = label(1, 'correct');
        done = ordinal;
        cur = parsed.c;
        break;
      }
      case 'check': {
        const truth = truthAfter(done);
        const claimTrue = applyOp(parsed.a, parsed.op, parsed.b) === parsed.c;
        if (parsed.replaces === null) {
          if (!claimTrue) result = label(0, 'own-error');
          else if (cur !== truth) result = label(0, 'propagation');
          else result = label(1, 'check');
        } else {
          const wasRight = cur === truth;
          const nowRight = parsed.c === truth;
          if (!claimTrue) result = label(0, 'own-error');
          else if (nowRight && !wasRight) result = label(1, 'termination');
          else if (nowRight) result = label(1, 'check');
          else if (wasRight) result = label(0, 'own-error');
          else result = label(0, 'propagation');
          cur = parsed.c;
        }
        break;
      }
    }
    out.push({ line, parsed, label: result });
  }
  return out;
}

/**
 * Labels arbitrary step spans from the line labels (stepLabelsFromLines): a
 * step holds the lines whose text it overlaps; any wrong line makes it 0.
 */
export function labelSteps(data: ArithmeticData, response: string, steps: StepSpan[]): StepLabel[] {
  checkCoverage('arithmetic', response, steps);
  return stepLabelsFromLines(labelLines(data, response), steps);
}
