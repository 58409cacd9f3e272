// The written format of the built-in task `sorting`: one place builds it, one
// place reads it. Lists are integers separated by single spaces.
//
//   Sort 5 2 8 1                  <- prompt, ends in "\n"
//   Insert 2: 2 5                 <- a step: the next number, the list after inserting it
//   Check: 2 5 ok                 <- a check of a step
//   Insert 8: 2 8 5               <- a slip: 8 lands in the wrong place
//   Check: 2 5 8, not 2 8 5       <- a correction (Error Termination)
//   Insert 1: 1 2 5 8
//   Answer: 1 2 5 8               <- the final answer
import { splitLines } from '../lines.ts';

/** Problem.data for this task. */
export interface SortingData {
  difficulty: number;
  /** The numbers in the order the prompt gives them. */
  items: number[];
  /** prefixes[k]: the first k + 1 items, sorted (the true list after k insertions). */
  prefixes: number[][];
}

export const listText = (list: readonly number[]) => list.join(' ');

export function formatPrompt(items: readonly number[]): string {
  return `Sort ${listText(items)}\n`;
}
export function formatInsert(x: number, list: readonly number[]): string {
  return `Insert ${x}: ${listText(list)}`;
}
export function formatCheck(list: readonly number[]): string {
  return `Check: ${listText(list)} ok`;
}
export function formatCorrection(right: readonly number[], wrong: readonly number[]): string {
  return `Check: ${listText(right)}, not ${listText(wrong)}`;
}
export function formatAnswer(list: readonly number[]): string {
  return `Answer: ${listText(list)}`;
}

/** x inserted before the first number greater than it (the step of insertion sort). */
export function insert(list: readonly number[], x: number): number[] {
  const at = list.findIndex((v) => v > x);
  return at === -1 ? [...list, x] : [...list.slice(0, at), x, ...list.slice(at)];
}

export const sameList = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

const LIST = String.raw`(\d+(?:\s+\d+)*)`;
const INSERT_RE = new RegExp(String.raw`^Insert\s+(\d+)\s*:\s*${LIST}\s*\.?$`);
const CHECK_OK_RE = new RegExp(String.raw`^Check\s*:\s*${LIST}\s*,?\s*ok\s*\.?$`, 'i');
const CHECK_NOT_RE = new RegExp(String.raw`^Check\s*:\s*${LIST}\s*,?\s*not\s+${LIST}\s*\.?$`, 'i');
const ANSWER_RE = new RegExp(String.raw`^Answer\s*:\s*${LIST}\s*\.?$`);

const readList = (text: string) => text.trim().split(/\s+/).map(Number);

/** One line of a response, read. */
export type ParsedLine =
  | { kind: 'insert'; x: number; list: number[] }
  /** A check; `replaces` is set when it corrects the running list (the list it says was wrong). */
  | { kind: 'check'; list: number[]; replaces: number[] | null }
  | { kind: 'answer'; list: number[] }
  | { kind: 'blank' }
  | { kind: 'unparseable' };

export function parseLine(line: string): ParsedLine {
  const text = line.trim();
  if (text === '') return { kind: 'blank' };
  let m = INSERT_RE.exec(text);
  if (m) return { kind: 'insert', x: Number(m[1]), list: readList(m[2]) };
  m = ANSWER_RE.exec(text);
  if (m) return { kind: 'answer', list: readList(m[1]) };
  m = CHECK_OK_RE.exec(text);
  if (m) return { kind: 'check', list: readList(m[1]), replaces: null };
  m = CHECK_NOT_RE.exec(text);
  if (m) return { kind: 'check', list: readList(m[1]), replaces: readList(m[2]) };
  return { kind: 'unparseable' };
}

/** The list of the last `Answer:` line, in canonical form ("1 2 5"); null when there is none. */
export function extractAnswer(response: string): string | null {
  let found: string | null = null;
  for (const line of splitLines(response)) {
    const parsed = parseLine(response.slice(line.start, line.end));
    if (parsed.kind === 'answer') found = listText(parsed.list);
  }
  return found;
}
