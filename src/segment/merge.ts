// Stage 1, rule 3: merging (docs/algorithms.md §2). Cut points become spans,
// spans too short to be a step merge into a neighbour, and the number of
// steps is capped by merging the shortest adjacent pair.
//
// Project choices, written down because the paper (SaT) has none of them:
// - A segment's length is the length of its text without surrounding
//   whitespace (`content`), in UTF-16 code units.
// - A segment whose content is shorter than `minChars` merges into its
//   predecessor; the first segment, having none, merges into its successor.
//   A segment of whitespace only always merges, whatever `minChars`.
// - A segment that is a marker and nothing else ("Wait,", "Hmm.") merges into
//   its SUCCESSOR, so the marker starts the step it introduces; as the last
//   segment it merges into its predecessor. So a marker may start a step but
//   never stands alone.
// - The cap merges the adjacent pair with the smallest combined length in
//   characters (ties: the leftmost pair) until at most `maxSteps` remain.
// The result always covers the text exactly once, in order, with no empty
// span; an empty text has no steps.
import type { StepSpan } from './segmenter.ts';

export interface MergeOptions {
  /**
   * Segments whose content (trimmed) is shorter than this merge into a neighbour.
   * Default 0 (only whitespace-only ones).
   */
  minChars?: number;
  /** At most this many steps (≥ 1); the shortest adjacent pair merges first. Default unlimited. */
  maxSteps?: number;
  /** Whether a segment's content is a marker alone (it then merges into its successor). */
  isMarkerOnly?: (content: string) => boolean;
}

/** Spans between sorted cut points: [0, c1), [c1, c2), …, [ck, n). Cuts outside (0, n) and repeats are ignored. */
export function spansFromCuts(length: number, cuts: Iterable<number>): StepSpan[] {
  if (length === 0) return [];
  const points = [...new Set(cuts)].filter((c) => Number.isInteger(c) && c > 0 && c < length).sort((a, b) => a - b);
  const spans: StepSpan[] = [];
  let start = 0;
  for (const c of points) {
    spans.push({ start, end: c });
    start = c;
  }
  spans.push({ start, end: length });
  return spans;
}

/** Merges short and marker-only segments (rules at the top of this file). */
export function mergeShort(text: string, spans: readonly StepSpan[], options: MergeOptions = {}): StepSpan[] {
  const minChars = options.minChars ?? 0;
  const isMarkerOnly = options.isMarkerOnly ?? (() => false);
  const out: StepSpan[] = [];
  let carry: number | null = null; // start of a segment waiting to merge into its successor
  spans.forEach((s, i) => {
    const span = { start: carry ?? s.start, end: s.end };
    carry = null;
    const last = i === spans.length - 1;
    const content = text.slice(span.start, span.end).trim();
    const short = content.length === 0 || content.length < minChars;
    if (!last && isMarkerOnly(content)) {
      carry = span.start;
      return;
    }
    if (short || (last && isMarkerOnly(content))) {
      if (out.length > 0) {
        out[out.length - 1].end = span.end;
        return;
      }
      if (!last) {
        carry = span.start;
        return;
      }
    }
    out.push(span);
  });
  return out;
}

/** Merges the shortest adjacent pair (by characters; leftmost on ties) until at most maxSteps spans remain. */
export function capSteps(spans: readonly StepSpan[], maxSteps: number): StepSpan[] {
  if (!(maxSteps >= 1)) throw new Error(`capSteps: maxSteps must be at least 1, got ${maxSteps}.`);
  const out = spans.map((s) => ({ ...s }));
  while (out.length > maxSteps) {
    let best = 0;
    let bestLength = Infinity;
    for (let i = 0; i + 1 < out.length; i++) {
      const length = out[i + 1].end - out[i].start;
      if (length < bestLength) {
        best = i;
        bestLength = length;
      }
    }
    out.splice(best, 2, { start: out[best].start, end: out[best + 1].end });
  }
  return out;
}

/** Cuts → spans → merge short and marker-only segments → cap. */
export function finishSpans(text: string, cuts: Iterable<number>, options: MergeOptions = {}): StepSpan[] {
  const merged = mergeShort(text, spansFromCuts(text.length, cuts), options);
  return options.maxSteps === undefined || !Number.isFinite(options.maxSteps)
    ? merged
    : capSteps(merged, options.maxSteps);
}

/** Throws unless spans cover a text of this length exactly once, in order, with no empty span. */
export function checkPartition(length: number, spans: readonly StepSpan[]): void {
  let at = 0;
  spans.forEach((s, i) => {
    if (s.start !== at || !(s.end > s.start)) {
      throw new Error(
        `segmentation: step ${i} is [${s.start}, ${s.end}), expected a non-empty span starting at ${at}.`,
      );
    }
    at = s.end;
  });
  if (at !== length) throw new Error(`segmentation: steps end at ${at}, the text at ${length}.`);
}
