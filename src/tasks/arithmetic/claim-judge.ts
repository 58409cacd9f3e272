// The rule judge of the built-in task `arithmetic` (step labels, stage 2):
// it re-checks every arithmetic claim of a response (claims.ts) and applies
// the two context rules, Error Propagation and Error Termination, by
// following the values the response has established so far. The judge
// itself (src/judge/rule-judge.ts) adds final answers and step labels.
//
// ---- How a claim is judged, in text order, with the values so far ----
// `fix` maps each stated value known to be wrong to what it should be. A
// false claim's result goes into it (with the value its operands should have
// given); so does the result of a true claim built on a wrong operand (the
// wrong value propagates, with its correction carried along). Values are
// known by their number, so two rules keep coincidences apart:
// - an operand other than the first that is a number the prompt gives is
//   taken as given, never as a carried (possibly wrong) value;
// - a claim means what its operands meant when it was first stated: a
//   restatement or correction of an earlier claim counts as one only while
//   none of its operands has been stated anew since.
// Then:
// - A claim the text itself rejects ("32*3=98 is wrong, it is 96",
//   "7+5=13?", "not 7+5=13") is not an error of its own: it is a mention
//   (1; 0 when the rejected claim is in fact true). With a replacement
//   ("it is 96") it is a correction to 96.
// - A false claim: own-error (0). Restated ("Check: 7+5=13 ok") it is a false
//   claim again, and states nothing new.
// - A correction — a true claim followed by "not N" / "instead of N", or a new
//   result for a left side stated before with the same inputs: 1 when its
//   result is what the left side should give (termination when the value it
//   replaces was wrong, check otherwise), 0 (propagation) when it is still
//   wrong. The replaced value leaves `fix` (it is no longer carried).
// - A restatement of a true claim (a check "… = 39 ok"): judged by its
//   result as it stands: 0 (propagation) when the result is a wrong value, else
//   1 (check).
// - Any other true claim: 0 (propagation) when a carried operand is a wrong
//   value (Error Propagation), else 1: termination when an operand is the
//   correction of a wrong value still carried (it silently goes on from the
//   right value, Error Termination), else correct.
// Claims are found in the whole response, so a step boundary inside a claim
// changes nothing; the rule judge applies a claim's verdict to every step its
// text overlaps.
//
// ---- Limits ----
// Only what is written as arithmetic is checked: a misread of the problem
// (using an operand the prompt does not give), a wrong formula or a false
// claim in words pass unless they show up in a false claim or a wrong answer.
import type { RuleFinding } from '../task.ts';
import { type Claim, evaluate, findClaims } from './claims.ts';

type Finding = RuleFinding;
type RuleReason = RuleFinding['reason'];

const key = (v: bigint) => v.toString();
const lhsKey = (c: Claim) => c.operands.map((o, i) => (i === 0 ? key(o) : `${c.ops[i - 1]}${key(o)}`)).join('');

/** Judges every claim of a response in order (rules at the top of this file). */
function claimFindings(response: string, given: ReadonlySet<string>): Finding[] {
  const claims = findClaims(response);
  /** Stated value (wrong) → what it should be. */
  const fix = new Map<string, bigint>();
  /** Value → index of the last claim that stated it as a result. */
  const lastStated = new Map<string, number>();
  /** Left side → its last statement: index, result, and what it should have given then. */
  const lastLhs = new Map<string, { index: number; stated: bigint; should: bigint | null }>();
  /** Whole claim → index of its last statement. */
  const lastClaim = new Map<string, number>();
  const findings: Finding[] = [];
  /** Whether operand i may be a value carried from earlier work (not a number the problem gives). */
  const carried = (c: Claim, i: number) =>
    i === 0 || !given.has(key(c.operands[i] < 0n ? -c.operands[i] : c.operands[i]));
  /** What the left side should give now, each carried operand replaced by its correction. */
  const shouldGive = (c: Claim) =>
    evaluate(
      c.operands.map((o, i) => (carried(c, i) ? (fix.get(key(o)) ?? o) : o)),
      c.ops,
    );
  /** Whether no operand of c was stated anew since claim `index` (so c still means what it meant then). */
  const sameInputsSince = (c: Claim, index: number) => c.operands.every((o) => (lastStated.get(key(o)) ?? -1) < index);
  /** Records what a result should be: into `fix` when it differs from what is stated, else out of it. */
  const settle = (stated: bigint, should: bigint | null, index: number) => {
    if (should !== null && should !== stated) fix.set(key(stated), should);
    else fix.delete(key(stated));
    lastStated.set(key(stated), index);
  };

  claims.forEach((c, index) => {
    const at = { start: c.start, end: c.end };
    const lhs = lhsKey(c);
    const whole = `${lhs}=${key(c.stated)}`;
    const before = lastLhs.get(lhs);
    const sameBefore = lastClaim.get(whole);
    const push = (score: 0 | 1, reason: RuleReason, detail: string) => findings.push({ ...at, score, reason, detail });
    const remember = (stated: bigint, should: bigint | null) => {
      lastLhs.set(lhs, { index, stated, should });
      lastClaim.set(`${lhs}=${key(stated)}`, index);
    };
    /** A correction of `replaced` to t: right when t is what the left side should give. */
    const correct = (t: bigint, replaced: bigint, explicit: boolean) => {
      const should = explicit && before !== undefined ? before.should : shouldGive(c);
      const wasWrong = fix.has(key(replaced));
      fix.delete(key(replaced));
      if (should !== null && should !== t) push(0, 'propagation', `corrects to ${t}, which should still be ${should}`);
      else if (wasWrong) push(1, 'termination', `${lhsText(c)} = ${t} replaces the wrong ${replaced}`);
      else push(1, 'check', `${lhsText(c)} = ${t}, not ${replaced}: nothing needed fixing`);
      settle(t, should, index);
      remember(t, should);
    };

    if (c.rejected) {
      if (c.replacement !== undefined) {
        // "a op b = c is wrong, it is t": a correction of c to t, if t is right.
        if (c.value !== c.replacement) {
          push(0, 'own-error', `corrects ${c.text} to ${c.replacement}, but ${lhsText(c)} = ${c.value ?? 'undefined'}`);
          const should = before?.should ?? shouldGive(c);
          settle(c.replacement, should, index);
          remember(c.replacement, should);
        } else correct(c.replacement, c.stated, true);
      } else if (c.holds) push(0, 'own-error', `rejects ${c.text}, which is true`);
      else push(1, 'check', `notices that ${c.text} is wrong`);
      return;
    }

    if (!c.holds) {
      push(0, 'own-error', `${c.text} is false (${lhsText(c)} = ${c.value ?? 'undefined: a zero divisor'})`);
      if (sameBefore !== undefined && sameInputsSince(c, sameBefore + 1)) {
        lastClaim.set(whole, index); // a false claim restated ("confirmed"): nothing new is stated
        return;
      }
      const should = shouldGive(c);
      settle(c.stated, should, index);
      remember(c.stated, should);
      return;
    }
    const tainted = c.operands.filter((o, i) => carried(c, i) && fix.has(key(o)));
    if (c.holdsAsEquation) {
      // Both sides equal: no new value is stated; judged by its operands.
      if (tainted.length > 0) push(0, 'propagation', `${c.text} uses ${tainted.join(', ')}, wrong earlier`);
      else push(1, 'correct', `${c.text} holds`);
      return;
    }
    if (c.replaces !== undefined) {
      correct(c.stated, c.replaces, true);
    } else if (before !== undefined && before.stated !== c.stated && sameInputsSince(c, before.index + 1)) {
      // The same left side as before, a new result, same inputs: a correction.
      correct(c.stated, before.stated, false);
    } else if (sameBefore !== undefined && sameInputsSince(c, sameBefore + 1)) {
      // A restatement (a check): judged by its result as it stands now.
      const should = fix.get(key(c.stated));
      if (should !== undefined) push(0, 'propagation', `confirms ${c.stated}, which should be ${should}`);
      else push(1, 'check', `confirms ${c.text}`);
      lastClaim.set(whole, index);
    } else {
      const should = shouldGive(c);
      if (tainted.length > 0) push(0, 'propagation', `${c.text} builds on ${tainted.join(', ')}, wrong earlier`);
      else {
        const fixes = [...fix.entries()].filter(([, v]) => c.operands.some((o, i) => carried(c, i) && o === v));
        if (fixes.length > 0)
          push(1, 'termination', `${c.text} goes on from ${fixes[0][1]}, not the wrong ${fixes[0][0]}`);
        else push(1, 'correct', `${c.text} holds`);
      }
      settle(c.stated, should, index);
      remember(c.stated, should);
    }
  });
  return findings;
}

/** The absolute values of the integers a prompt gives. */
export function givenNumbers(prompt: string): Set<string> {
  return new Set([...prompt.matchAll(/\d+/g)].map((m) => BigInt(m[0]).toString()));
}

function lhsText(c: Claim): string {
  return c.operands.map((o, i) => (i === 0 ? key(o) : `${c.ops[i - 1]}${key(o)}`)).join('');
}

/** The task's rule findings: every claim of the response judged, in order. */
export function arithmeticRuleFindings(response: string, reference: { prompt: string }): RuleFinding[] {
  return claimFindings(response, givenNumbers(reference.prompt));
}
