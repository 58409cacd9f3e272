// Stage 1, rule 1: paragraph / newline split (docs/algorithms.md §2).
//
// A cut is placed at the first non-whitespace character after a line break,
// so the break itself, any blank lines and the next line's indentation stay
// at the end of the step before. Every step but possibly the first therefore
// starts with text, and a blank line never becomes a step of its own. With
// `paragraph: true` only a blank line (two or more line breaks in the run of
// whitespace) cuts; single line breaks stay inside a step.
import type { Segmenter, StepSpan } from './segmenter.ts';
import { finishSpans, type MergeOptions } from './merge.ts';

export interface NewlineOptions {
  /** Cut only at blank lines (paragraphs), not at every line break. Default false. */
  paragraph?: boolean;
}

/** Cut points (offsets in (0, text.length)) of the newline rule, ascending. */
export function newlineCuts(text: string, options: NewlineOptions = {}): number[] {
  const cuts: number[] = [];
  const ws = /\s+/g;
  let m: RegExpExecArray | null;
  while ((m = ws.exec(text)) !== null) {
    const end = m.index + m[0].length;
    if (end >= text.length || m.index === 0) continue; // leading / trailing whitespace cuts nothing
    const breaks = countLineBreaks(m[0]);
    if (breaks >= (options.paragraph ? 2 : 1)) cuts.push(end);
  }
  return cuts;
}

/** Line breaks in a run of whitespace: \r\n counts once. */
function countLineBreaks(ws: string): number {
  let n = 0;
  for (let i = 0; i < ws.length; i++) {
    const c = ws[i];
    if (c === '\n' || c === '\u2028' || c === '\u2029') n++;
    else if (c === '\r' && ws[i + 1] !== '\n') n++;
  }
  return n;
}

export class NewlineSegmenter implements Segmenter {
  readonly name: string;
  constructor(readonly options: NewlineOptions & MergeOptions = {}) {
    this.name = options.paragraph ? 'paragraph' : 'newline';
  }
  segment(response: string): StepSpan[] {
    return finishSpans(response, newlineCuts(response, this.options), this.options);
  }
}
