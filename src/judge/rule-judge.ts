// The rule judge (docs/algorithms.md §3.3), named 'rule': it re-checks every
// arithmetic claim written anywhere in a response and applies the two context
// rules, Error Propagation and Error Termination, by following the values the
// response has established so far. It knows nothing of the task's format, so
// it reads the built-in task's `Step 1: 7+5=12` as well as free text such as
// "so 12 × 3 = 36, then 36 - 4 = 32".
//
// ---- What a claim is ----
// A claim is `E = r`: E an integer expression `n (op n)+`, r an integer. The
// operators are + - * / % and also × ∗ (times), ÷ (division), − (the Unicode
// minus) and a lone x or X between two integers ("3 x 4", "3x4"). Usual
// precedence (* / % before + -), left to right. Division floors (toward −∞)
// and % takes the divisor's sign, as in the built-in task (applyOp);
// a zero divisor makes a claim false. Integers may carry a sign ("= -4",
// "7 - -3") and thousands separators ("1,234"). `==` counts as `=`.
// What is NOT read as a claim, because it would be ambiguous:
// - decimals and versions ("3.5 + 1 = 4.5"): no integer claim is taken from them;
// - a claim whose first number follows, on the same line, an operator, a
//   number, a letter it touches ("x2 + 1 = 3", "2x + 3 = 7"), "^", a closing
//   bracket or a symbol it touches ("√9 + 1 = 4", "$3 + 4 = $7"): it is part
//   of something larger;
// - a result followed by an operator without a number ("= 50%"), a letter it
//   touches ("= 12x"), "^" or "(" ;
// - "is", "equals" and other words for "=", "≠", "<=", ">=", "=>".
// Chains: "12*3 = 36 - 4 = 32" gives two claims, 12*3 = 36 and 36 - 4 = 32
// (the running style of written reasoning); a claim whose right side goes on
// as an expression also holds when both sides are equal ("2*3 = 3+3").
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
// changes nothing; a claim's verdict applies to every step its text overlaps.
// A step is 0 when any claim it overlaps is 0 (reasons, most specific first:
// own-error, final-wrong, propagation); a step that states a final answer is
// 1 only if that answer matches problem.answer; otherwise it is 1 (a step with
// no claim and no answer has nothing wrong in it: restating, planning).
//
// ---- Final answers ----
// With a task, task.extractAnswer(step text) finds a step's answer (the
// built-in task's "Answer: N"). Without one (or when it finds none), a
// generic rule: "answer: N", "answer is N", "answer = N", "\boxed{N}" or
// "#### N". Answers compare as integers when both are integers, else as
// trimmed text.
//
// ---- Limits ----
// Only what is written as arithmetic is checked: a misread of the problem
// (using an operand the prompt does not give), a wrong formula or a false
// claim in words pass unless they show up in a false claim or a wrong answer.
import { applyOp, type Op } from '../tasks/arithmetic.ts';
import type { Problem, StepSpan, Task } from '../tasks/task.ts';
import type { Judge, JudgeInput, StepVerdict } from './judge.ts';

// ---- the tokenizer of arithmetic text ----

type TokKind = 'num' | 'dec' | 'op' | 'eq' | 'word' | 'other';
interface Tok {
  kind: TokKind;
  start: number;
  end: number;
  text: string;
  value?: bigint;
  op?: Op;
}

const TOKEN_RE = /(\s+)|(\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)+|\d+)|(==?|[-+*/%×÷−∗])|([\p{L}_]+)|(.)/suy;
const OP_MAP: Record<string, Op> = {
  '+': '+',
  '-': '-',
  '−': '-',
  '*': '*',
  '×': '*',
  '∗': '*',
  '/': '/',
  '÷': '/',
  '%': '%',
};

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  TOKEN_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN_RE.lastIndex < text.length && (m = TOKEN_RE.exec(text)) !== null) {
    const start = m.index;
    const end = start + m[0].length;
    if (m[1] !== undefined) continue;
    if (m[2] !== undefined) {
      if (m[2].includes('.')) toks.push({ kind: 'dec', start, end, text: m[2] });
      else toks.push({ kind: 'num', start, end, text: m[2], value: BigInt(m[2].replaceAll(',', '')) });
    } else if (m[3] !== undefined) {
      if (m[3].startsWith('=')) {
        const before = text[start - 1];
        const after = text[end];
        const comparison = (before !== undefined && '<>!:'.includes(before)) || after === '>';
        toks.push({ kind: comparison ? 'other' : 'eq', start, end, text: m[3] });
      } else {
        toks.push({ kind: 'op', start, end, text: m[3], op: OP_MAP[m[3]] });
      }
    } else if (m[4] !== undefined) toks.push({ kind: 'word', start, end, text: m[4] });
    else toks.push({ kind: 'other', start, end, text: m[0] });
  }
  // A minus that touches the integer after it, where no operand precedes it, is a sign.
  const out: Tok[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const next = toks[i + 1];
    const prev = out[out.length - 1];
    if (t.kind === 'op' && t.op === '-' && next?.kind === 'num' && next.start === t.end) {
      const operandBefore =
        prev !== undefined &&
        (prev.kind === 'num' ||
          prev.kind === 'dec' ||
          (prev.kind === 'word' && prev.end === t.start) ||
          (prev.kind === 'other' && ')]}'.includes(prev.text)));
      if (!operandBefore) {
        out.push({ kind: 'num', start: t.start, end: next.end, text: `-${next.text}`, value: -(next.value as bigint) });
        i++;
        continue;
      }
    }
    out.push(t);
  }
  // A lone x / X between two integers is a times sign.
  for (let i = 1; i + 1 < out.length; i++) {
    const t = out[i];
    if (
      t.kind === 'word' &&
      (t.text === 'x' || t.text === 'X') &&
      out[i - 1].kind === 'num' &&
      out[i + 1].kind === 'num'
    ) {
      out[i] = { ...t, kind: 'op', op: '*' };
    }
  }
  return out;
}

// ---- claims ----

export interface Claim {
  /** Offsets of the claim in the text: from its first operand to the end of its result. */
  start: number;
  end: number;
  /** The claim as written. */
  text: string;
  operands: bigint[];
  ops: Op[];
  /** The value written after "=". */
  stated: bigint;
  /** The value of the left side (null for a zero divisor). */
  value: bigint | null;
  /** When the right side goes on as an expression ("= 3+3"), its value. */
  rhsValue?: bigint | null;
  /** Whether the claim is true (value = stated, or value = rhsValue). */
  holds: boolean;
  /** True when it holds only as "both sides equal" (its stated number is not a result). */
  holdsAsEquation: boolean;
  /** "not N" / "instead of N" right after it: the value it says is wrong. */
  replaces?: bigint;
  /** The text rejects the claim ("is wrong", "?", "not … = …"). */
  rejected: boolean;
  /** With a rejection, the value the text gives instead ("…is wrong, it is 96"). */
  replacement?: bigint;
}

/** The value of n0 op1 n1 op2 n2 … with * / % before + -, left to right; null for a zero divisor. */
export function evaluate(operands: readonly bigint[], ops: readonly Op[]): bigint | null {
  // First fold * / % into terms, then add the terms.
  const terms: bigint[] = [operands[0]];
  const signs: Op[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const b = operands[i + 1];
    if (op === '+' || op === '-') {
      signs.push(op);
      terms.push(b);
    } else {
      const r = applyOp(terms[terms.length - 1], op, b);
      if (r === null) return null;
      terms[terms.length - 1] = r;
    }
  }
  let total = terms[0];
  for (let i = 0; i < signs.length; i++) total = signs[i] === '+' ? total + terms[i + 1] : total - terms[i + 1];
  return total;
}

function mayStartClaim(text: string, toks: Tok[], i: number): boolean {
  const prev = toks[i - 1];
  if (prev === undefined) return true;
  const touches = prev.end === toks[i].start;
  if (/[\n\r\u2028\u2029]/.test(text.slice(prev.end, toks[i].start))) return true; // a new line starts afresh
  switch (prev.kind) {
    case 'op':
    case 'num':
    case 'dec':
      return false;
    case 'eq':
      return true;
    case 'word':
      return !touches;
    case 'other':
      if (prev.text === '^') return false;
      return !touches || '([{:,;"\''.includes(prev.text);
  }
}

/** The expression n (op n)* starting at token i: its operands, ops and the index of its last token. */
function readExpression(toks: Tok[], i: number): { operands: bigint[]; ops: Op[]; last: number } {
  const operands = [toks[i].value as bigint];
  const ops: Op[] = [];
  let j = i;
  while (toks[j + 1]?.kind === 'op' && toks[j + 2]?.kind === 'num') {
    ops.push(toks[j + 1].op as Op);
    operands.push(toks[j + 2].value as bigint);
    j += 2;
  }
  return { operands, ops, last: j };
}

const NOT_RE = /^\s*[,;(]?\s*(?:and\s+)?(?:not|instead\s+of|rather\s+than)\s+(-?\d+)(?![\d.]\d)/i;
const REJECT_AFTER_RE =
  /^\s*(?:\?|[,;]?\s*(?:is|was)\s+(?:wrong|incorrect|a\s+mistake|an\s+error|not\s+(?:right|correct)))/i;
const REPLACEMENT_RE =
  /^[\s,;:.!—-]*(?:(?:so\s+)?(?:it|that|this)\s+(?:is|should\s+be)|it's|should\s+be|the\s+(?:correct|right)\s+(?:result|value|answer)\s+is|(?:it\s+is\s+)?actually|instead,?\s+(?:it\s+is)?)\s*(-?\d+)(?![\d.]\d)/i;
const REJECT_BEFORE_RE = /\b(?:not|isn't|is\s+not|never)\s*$/i;

/** Every arithmetic claim in a text, in order of position (see the rules at the top of this file). */
export function findClaims(text: string): Claim[] {
  const toks = tokenize(text);
  const claims: Claim[] = [];
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].kind !== 'num' || !mayStartClaim(text, toks, i)) continue;
    const lhs = readExpression(toks, i);
    if (lhs.ops.length === 0) continue;
    const eq = toks[lhs.last + 1];
    const result = toks[lhs.last + 2];
    if (eq?.kind !== 'eq' || result?.kind !== 'num') continue;
    const after = toks[lhs.last + 3];
    let rhsValue: bigint | null | undefined;
    if (after !== undefined) {
      if (after.kind === 'op') {
        if (toks[lhs.last + 4]?.kind !== 'num') continue; // "= 50%": not an integer result
        const rhs = readExpression(toks, lhs.last + 2);
        rhsValue = evaluate(rhs.operands, rhs.ops);
      } else if (after.start === result.end && (after.kind === 'word' || after.text === '^' || after.text === '(')) {
        continue;
      }
    }
    const value = evaluate(lhs.operands, lhs.ops);
    const stated = result.value as bigint;
    const holdsAsResult = value !== null && value === stated;
    const holdsAsEquation = !holdsAsResult && value !== null && rhsValue !== undefined && rhsValue === value;
    const start = toks[i].start;
    const end = result.end;
    const claim: Claim = {
      start,
      end,
      text: text.slice(start, end),
      operands: lhs.operands,
      ops: lhs.ops,
      stated,
      value,
      holds: holdsAsResult || holdsAsEquation,
      holdsAsEquation,
      rejected: false,
    };
    if (rhsValue !== undefined) claim.rhsValue = rhsValue;
    const tail = text.slice(end, end + 80);
    const not = NOT_RE.exec(tail);
    if (not) claim.replaces = BigInt(not[1]);
    const reject = REJECT_AFTER_RE.exec(tail);
    if (reject) {
      claim.rejected = true;
      const replacement = REPLACEMENT_RE.exec(tail.slice(reject[0].length));
      if (replacement) claim.replacement = BigInt(replacement[1]);
    } else if (REJECT_BEFORE_RE.test(text.slice(Math.max(0, start - 16), start))) {
      claim.rejected = true;
    }
    claims.push(claim);
  }
  return claims;
}

// ---- answers ----

const GENERIC_ANSWER_RES = [
  /\banswer\s*(?:is|:|=)\s*:?\s*\**\s*\$?(-?\d[\d,]*(?:\.\d+)?)/gi,
  /\\boxed\{([^{}]*)\}/g,
  /^#{4}\s*(-?\d[\d,]*(?:\.\d+)?)/gm,
];

/** Final-answer statements in a text by the generic rule: the answer and its offsets. */
export function findAnswers(text: string): { start: number; end: number; answer: string }[] {
  const found: { start: number; end: number; answer: string }[] = [];
  for (const re of GENERIC_ANSWER_RES) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) found.push({ start: m.index, end: m.index + m[0].length, answer: m[1] });
  }
  return found.sort((a, b) => a.start - b.start);
}

/** Whether a stated answer matches the reference: as integers when both are, else as trimmed text. */
export function sameAnswer(stated: string, reference: string): boolean {
  const clean = (s: string) => s.trim().replace(/[.\s]+$/, '');
  const a = clean(stated).replaceAll(',', '');
  const b = clean(reference).replaceAll(',', '');
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) return BigInt(a) === BigInt(b);
  return clean(stated) === clean(reference);
}

// ---- labelling ----

export type RuleReason =
  | 'own-error'
  | 'propagation'
  | 'termination'
  | 'check'
  | 'correct'
  | 'final-correct'
  | 'final-wrong'
  | 'no-claims';

export interface RuleLabel {
  score: 0 | 1;
  reason: RuleReason;
  /** What decided it, e.g. "7+5=13 is false (7+5 = 12)". */
  detail: string;
}

export interface RuleOptions {
  /** Its extractAnswer reads each step's final answer (falls back to the generic rule). */
  task?: Task;
}

interface Finding {
  start: number;
  end: number;
  score: 0 | 1;
  reason: RuleReason;
  detail: string;
}

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
  const findings = claimFindings(response, givenNumbers(reference.prompt));
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
    if (inside.length === 0)
      return { score: 1, reason: 'no-claims', detail: 'no arithmetic claim and no answer: nothing wrong' };
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
 * labeller): the steps are joined back into one response, a line break
 * added between two steps where the first does not end in whitespace.
 */
export function ruleStepLabeller(
  options: RuleOptions = {},
): (problem: string, steps: string[], reference: { answer: string }) => { score: 0 | 1; reason: string }[] {
  return (problem, stepTexts, reference) => {
    let response = '';
    const spans: StepSpan[] = [];
    stepTexts.forEach((text, i) => {
      if (i > 0 && response.length > 0 && !/\s$/.test(response)) response += '\n';
      const start = response.length;
      response += text;
      spans.push({ start, end: response.length });
    });
    return ruleLabels(response, spans, { prompt: problem, answer: reference.answer }, options).map((l) => ({
      score: l.score,
      reason: `${l.reason}: ${l.detail}`,
    }));
  };
}
