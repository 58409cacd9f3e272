// The built-in task `arithmetic`: a start value and a chain of operations,
// solved one line per step on a written scratchpad, ending in `Answer: N`.
// Small enough for a ~1M-parameter character-level GPT-2 with a context of
// 128 characters, and every line's truth is known, so judges can be measured
// against the oracle below (docs/algorithms.md §3.4).
//
// Format (prompt, then a response; `Check:` lines are optional):
//
//   Start 17: +15 *3 -14          <- prompt, ends in "\n"
//   Step 1: 17+15=33              <- a step: input, the operation, its result
//   Check: 17+15=32, not 33       <- a correction (Error Termination)
//   Step 2: 32*3=96
//   Check: 32*3=96 ok             <- a check of a step
//   Step 3: 96-14=82
//   Answer: 82                    <- the final answer
//
// The short `Check:` wording is this project's choice so that a trace with a
// check and a correction fits 128 characters at the default difficulty; the
// oracle also reads the longer `Wait, let me check: 32*3=98 is wrong, it is
// 96.` and `... 32*3=96. Correct.` forms.
//
// Arithmetic on integers. Integer division floors (rounds toward −∞) and mod
// takes the sign of the divisor, so a = b·(a / b) + a % b always holds and,
// as divisors are positive, a % b lies in [0, b): −7 / 2 = −4, −7 % 2 = 1.
// Generated problems keep every true running value in [0, maxValue], so
// negative values appear only where a response goes astray.
import { Random } from '../util/random.ts';
import { isHeldOutSeed, type Problem, type StepLabel, type StepReason, type StepSpan, type Task } from './task.ts';

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

/**
 * Difficulty d (an integer ≥ 0) → the chain and its numbers:
 * chain length 2 + d; the start value and every + / − operand in [1, 10·(d+1)];
 * multipliers in [2, min(9, 3 + d)]; divisors (for / and %) in [2, min(9, 5 + d)];
 * true running values kept in [0, 10^(2 + ⌊d/2⌋) − 1] (99 for d ≤ 1, 999 for d ≤ 3).
 */
export interface DifficultySpec {
  chainLength: number;
  maxOperand: number;
  maxMultiplier: number;
  maxDivisor: number;
  maxValue: number;
}

/** The default: 3 operations on numbers below 100, so a trace with a check and a correction fits 128 characters with room to spare. */
export const DEFAULT_DIFFICULTY = 1;

export function difficultySpec(difficulty: number): DifficultySpec {
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > 20) {
    throw new Error(`arithmetic: difficulty must be an integer from 0 to 20, got ${difficulty}.`);
  }
  return {
    chainLength: 2 + difficulty,
    maxOperand: 10 * (difficulty + 1),
    maxMultiplier: Math.min(9, 3 + difficulty),
    maxDivisor: Math.min(9, 5 + difficulty),
    maxValue: 10 ** (2 + Math.floor(difficulty / 2)) - 1,
  };
}

// ---- the written format: one place builds it, one place reads it ----

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

/** A line of a response with its offsets: [start, end) includes the newline; [contentStart, contentEnd) is the text without surrounding whitespace. */
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

/** The canonical text of an integer written in a response ("007" → "7", "-0" → "0"). */
function canonicalInteger(text: string): string {
  return BigInt(text).toString();
}

// ---- the oracle: line labels, then step labels ----

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

/** Which reason a step with several lines gets when one of them is wrong: the most specific first. */
const WRONG_PRIORITY: StepReason[] = ['own-error', 'final-wrong', 'propagation'];

/**
 * Labels arbitrary step spans from the line labels. A step holds the lines
 * whose text (not counting surrounding whitespace) it overlaps, so a step may
 * be one line, several merged lines, or part of a line.
 * - Any line in it wrong → score 0, reason own-error if any line has one, else
 *   final-wrong if it holds a wrong final answer, else propagation.
 * - All lines right → final-correct if it holds the final answer, else
 *   termination if a line fixes an error, else check if every line is a check,
 *   else correct.
 * - A step of whitespace only says nothing verifiable: own-error, as an
 *   unparseable line (never produced by naturalSteps on well-formed traces).
 */
export function labelSteps(data: ArithmeticData, response: string, steps: StepSpan[]): StepLabel[] {
  checkCoverage(response, steps);
  const lines = labelLines(data, response).filter((l) => l.label !== null);
  return steps.map((step) => {
    const inside = lines.filter(
      (l) => Math.max(step.start, l.line.contentStart) < Math.min(step.end, l.line.contentEnd),
    );
    if (inside.length === 0) return { score: 0, reason: 'own-error' };
    const labels = inside.map((l) => l.label as StepLabel);
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

function checkCoverage(response: string, steps: StepSpan[]): void {
  let at = 0;
  steps.forEach((s, i) => {
    if (s.start !== at || s.end <= s.start) {
      throw new Error(
        `arithmetic oracle: steps must cover the response exactly once, in order; step ${i} is [${s.start}, ${s.end}), expected it to start at ${at} and be non-empty.`,
      );
    }
    at = s.end;
  });
  if (at !== response.length) {
    throw new Error(
      `arithmetic oracle: steps must cover the response exactly once; they end at ${at}, the response at ${response.length}.`,
    );
  }
}

// ---- generation ----

/** A 32-bit avalanche (murmur3 fmix32). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes integers into one 32-bit seed, so nearby seeds give unrelated streams. */
export function mixSeed(...parts: number[]): number {
  let h = 0x3c6ef372;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 2 ** 32) >>> 0;
    h = fmix32(h ^ fmix32(lo + 0x9e3779b9));
    h = fmix32(h ^ fmix32(hi + 0x7f4a7c15));
  }
  return h;
}

/** FNV-1a over UTF-16 code units. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return fmix32(h);
}

/**
 * Held-out prompts are kept apart from training ones by the prompt itself, not
 * only by the seed: a prompt whose hash falls in 1 bucket of 16 is held-out.
 * A training seed (< HELD_OUT_SEED_BASE) redraws until its prompt is not
 * held-out, a held-out seed until it is; so no training seed can ever produce
 * a held-out prompt, however many are drawn. The buckets are a pseudo-random
 * split, so both sides follow the same distribution of problems.
 */
export const HELD_OUT_BUCKETS = 16;
export function isHeldOutPrompt(prompt: string): boolean {
  return hashString(prompt) % HELD_OUT_BUCKETS === 0;
}

function intIn(rng: Random, low: number, high: number): number {
  return low + Math.floor(rng.next() * (high - low + 1));
}

function drawChain(rng: Random, spec: DifficultySpec): { start: number; ops: Operation[]; values: number[] } {
  const start = intIn(rng, 1, spec.maxOperand);
  const ops: Operation[] = [];
  const values = [start];
  let v = start;
  for (let i = 0; i < spec.chainLength; i++) {
    // Each operation that keeps the value in [0, maxValue] and is not trivial.
    const choices: { op: Op; low: number; high: number }[] = [];
    if (v < spec.maxValue) choices.push({ op: '+', low: 1, high: Math.min(spec.maxOperand, spec.maxValue - v) });
    if (v >= 1) choices.push({ op: '-', low: 1, high: Math.min(spec.maxOperand, v) });
    if (v >= 1 && 2 * v <= spec.maxValue)
      choices.push({ op: '*', low: 2, high: Math.min(spec.maxMultiplier, Math.floor(spec.maxValue / v)) });
    if (v >= 2) choices.push({ op: '/', low: 2, high: Math.min(spec.maxDivisor, v) });
    if (v >= 3) choices.push({ op: '%', low: 2, high: Math.min(spec.maxDivisor, v - 1) });
    const choice = choices[Math.floor(rng.next() * choices.length)];
    const operand = intIn(rng, choice.low, choice.high);
    ops.push({ op: choice.op, operand });
    v = applyOpNumber(v, choice.op, operand);
    values.push(v);
  }
  return { start, ops, values };
}

export class ArithmeticTask implements Task {
  readonly name = 'arithmetic';

  /** The same (seed, difficulty) always gives the same problem; see isHeldOutPrompt for how held-out seeds stay apart. */
  generate(seed: number, difficulty: number = DEFAULT_DIFFICULTY): Problem {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`arithmetic: a seed must be a non-negative integer, got ${seed}.`);
    const spec = difficultySpec(difficulty);
    const heldOut = isHeldOutSeed(seed);
    const rng = new Random(mixSeed(seed, difficulty));
    for (let attempt = 0; attempt < 100_000; attempt++) {
      const { start, ops, values } = drawChain(rng, spec);
      const prompt = formatPrompt(start, ops);
      if (isHeldOutPrompt(prompt) !== heldOut) continue;
      const data: ArithmeticData = { difficulty, start, ops, values };
      return { id: `arithmetic-d${difficulty}-${seed}`, prompt, answer: String(values[values.length - 1]), data };
    }
    throw new Error(
      `arithmetic: seed ${seed} found no ${heldOut ? 'held-out' : 'training'} problem at difficulty ${difficulty}.`,
    );
  }

  verify(problem: Problem, response: string): boolean {
    const answer = this.extractAnswer(response);
    return answer !== null && answer === canonicalInteger(problem.answer);
  }

  /** The N of the last `Answer: N` line, as a canonical integer; null when there is none. */
  extractAnswer(response: string): string | null {
    let found: string | null = null;
    for (const line of splitLines(response)) {
      const parsed = parseLine(response.slice(line.start, line.end));
      if (parsed.kind === 'answer') found = parsed.n.toString();
    }
    return found;
  }

  oracle(problem: Problem, response: string, steps: StepSpan[]): StepLabel[] {
    return labelSteps(problem.data as ArithmeticData, response, steps);
  }

  /** One span per line, each with its trailing newline; together they cover the response exactly once. */
  naturalSteps(response: string): StepSpan[] {
    return splitLines(response).map((l) => ({ start: l.start, end: l.end }));
  }
}

export const arithmetic = new ArithmeticTask();
