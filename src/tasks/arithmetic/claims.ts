// The claim parser of the built-in task `arithmetic`'s rule judge: every
// arithmetic claim written anywhere in a text. It knows nothing of the task's
// format, so it reads the task's `Step 1: 7+5=12` as well as free text such
// as "so 12 × 3 = 36, then 36 - 4 = 32".
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
import { applyOp, type Op } from './format.ts';

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
const REPLACEMENT_RE = new RegExp(
  String.raw`^[\s,;:.!—-]*(?:(?:so\s+)?(?:it|that|this)\s+(?:is|should\s+be)|it's|should\s+be|` +
    String.raw`the\s+(?:correct|right)\s+(?:result|value|answer)\s+is|(?:it\s+is\s+)?actually|` +
    String.raw`instead,?\s+(?:it\s+is)?)\s*(-?\d+)(?![\d.]\d)`,
  'i',
);
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
