// The written format of the built-in task `arithmetic`: one place builds it,
// one place reads it. Arithmetic on integers: integer division floors (rounds
// toward −∞) and mod takes the sign of the divisor, so a = b·(a / b) + a % b
// always holds and, as divisors are positive, a % b lies in [0, b):
// −7 / 2 = −4, −7 % 2 = 1.
import { type LineSpan, splitLines } from '../lines.ts';

export { type LineSpan, splitLines };

export type Op = '+' | '-' | '*' | '/' | '%';
export const OPS: readonly Op[] = ['+', '-', '*', '/', '%'];

export interface Operation {
  op: Op;
  operand: number;
}

/** Problem.data for this task. */
export interface ArithmeticData {
  difficulty: number;
  start: number;
  ops: Operation[];
  /** The true running value after k operations: values[0] = start, values[ops.length] = the answer. */
  values: number[];
}

export function formatPrompt(start: number, ops: readonly Operation[]): string {
  return `Start ${start}: ${ops.map((o) => `${o.op}${o.operand}`).join(' ')}\n`;
}
export function formatStep(k: number, a: number, op: Op, b: number, c: number): string {
  return `Step ${k}: ${a}${op}${b}=${c}`;
}
/** A check that finds the step right: `Check: 32*3=96 ok`. */
export function formatCheck(a: number, op: Op, b: number, c: number): string {
  return `Check: ${a}${op}${b}=${c} ok`;
}
/** A check that finds the step wrong and corrects it: `Check: 32*3=96, not 98`. */
export function formatCorrection(a: number, op: Op, b: number, right: number, wrong: number): string {
  return `Check: ${a}${op}${b}=${right}, not ${wrong}`;
}
export function formatAnswer(n: number | string): string {
  return `Answer: ${n}`;
}

/** The result of a op b on integers (floor division, mod with the divisor's sign); null for a zero divisor. */
export function applyOp(a: bigint, op: Op, b: bigint): bigint | null {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/': {
      if (b === 0n) return null;
      const q = a / b; // BigInt division truncates toward zero
      return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
    }
    case '%': {
      if (b === 0n) return null;
      const r = a % b;
      return r !== 0n && r < 0n !== b < 0n ? r + b : r;
    }
  }
}

/** The same on small JavaScript integers (generation and the noisy solver). */
export function applyOpNumber(a: number, op: Op, b: number): number {
  const r = applyOp(BigInt(a), op, BigInt(b));
  if (r === null) throw new Error(`arithmetic: ${a}${op}${b} divides by zero.`);
  return Number(r);
}

const NUM = String.raw`(-?\d+)`;
const EXPR = String.raw`${NUM}\s*([-+*/%])\s*(\d+)`;
const STEP_RE = new RegExp(String.raw`^Step\s+(\d+)\s*:\s*${EXPR}\s*=\s*${NUM}\s*\.?$`);
const CHECK_PREFIX_RE = /^(?:Check|Wait,?\s+let\s+me\s+check)\s*:\s*(.*)$/i;
const CHECK_OK_RE = new RegExp(String.raw`^${EXPR}\s*=\s*${NUM}\s*(?:,?\s*ok|\.?\s*correct)\s*\.?$`, 'i');
const CHECK_NOT_RE = new RegExp(String.raw`^${EXPR}\s*=\s*${NUM}\s*,?\s*not\s+${NUM}\s*\.?$`, 'i');
const CHECK_WRONG_RE = new RegExp(
  String.raw`^${EXPR}\s*=\s*${NUM}\s*,?\s*is\s+wrong\s*,?\s*it\s+is\s+${NUM}\s*\.?$`,
  'i',
);
const ANSWER_RE = new RegExp(String.raw`^Answer\s*:\s*${NUM}\s*\.?$`);

/** One line of a response, read. */
export type ParsedLine =
  | { kind: 'step'; k: number; a: bigint; op: Op; b: bigint; c: bigint }
  /** A check; `replaces` is set when it corrects the running value (the value it says was wrong). */
  | { kind: 'check'; a: bigint; op: Op; b: bigint; c: bigint; replaces: bigint | null }
  | { kind: 'answer'; n: bigint }
  | { kind: 'blank' }
  | { kind: 'unparseable' };

export function parseLine(line: string): ParsedLine {
  const text = line.trim();
  if (text === '') return { kind: 'blank' };
  let m = STEP_RE.exec(text);
  if (m) return { kind: 'step', k: Number(m[1]), a: BigInt(m[2]), op: m[3] as Op, b: BigInt(m[4]), c: BigInt(m[5]) };
  m = ANSWER_RE.exec(text);
  if (m) return { kind: 'answer', n: BigInt(m[1]) };
  const check = CHECK_PREFIX_RE.exec(text);
  if (check) {
    const body = check[1].trim();
    if ((m = CHECK_OK_RE.exec(body)))
      return { kind: 'check', a: BigInt(m[1]), op: m[2] as Op, b: BigInt(m[3]), c: BigInt(m[4]), replaces: null };
    if ((m = CHECK_NOT_RE.exec(body)))
      return {
        kind: 'check',
        a: BigInt(m[1]),
        op: m[2] as Op,
        b: BigInt(m[3]),
        c: BigInt(m[4]),
        replaces: BigInt(m[5]),
      };
    if ((m = CHECK_WRONG_RE.exec(body)))
      return {
        kind: 'check',
        a: BigInt(m[1]),
        op: m[2] as Op,
        b: BigInt(m[3]),
        c: BigInt(m[5]),
        replaces: BigInt(m[4]),
      };
  }
  return { kind: 'unparseable' };
}

/** The canonical text of an integer written in a response ("007" → "7", "-0" → "0"). */
export function canonicalInteger(text: string): string {
  return BigInt(text).toString();
}
