// Stage 1, rule 2: split before reflection and transition markers that start
// a sentence (docs/algorithms.md §2): "Wait", "But wait", "Hmm",
// "Alternatively", "Let me check", "Let me verify", "Let me double-check",
// "On second thought", "Hold on", "Actually,", "Check:", and a task's own
// markers (Task.stepMarkers).
//
// Project choices (the paper uses the SaT segmenter and lists no markers):
// - Markers match case-sensitively, capitalised as written, so "wait" inside
//   a sentence never cuts. A word marker must end at a word boundary
//   ("Waiting" is not "Wait"); "Hmm" also matches "Hm", "Hmmm" and so on.
// - A sentence starts at the beginning of the text, after a line break
//   (indentation allowed), or after ". ", "! ", "? ", "; " or ": " — the
//   punctuation may be followed by closing quotes or brackets — with at
//   least one whitespace character before the marker.
// - The cut is placed at the marker's first character; the whitespace before
//   it stays with the step before.
import type { Segmenter, StepSpan } from './segmenter.ts';
import { finishSpans, type MergeOptions } from './merge.ts';

/** The reflection and transition markers of docs/algorithms.md §2, as regular-expression sources. */
export const REFLECTION_MARKERS: readonly string[] = [
  String.raw`But wait\b`,
  String.raw`Wait\b`,
  String.raw`Hm+\b`,
  String.raw`Alternatively\b`,
  String.raw`Let me double-check\b`,
  String.raw`Let me check\b`,
  String.raw`Let me verify\b`,
  String.raw`On second thought\b`,
  String.raw`Hold on\b`,
  'Actually,',
  'Check:',
];

export interface MarkerOptions {
  /** Marker sources (regular expressions, matched at a sentence start). Default REFLECTION_MARKERS. */
  markers?: readonly string[];
  /** Added to `markers` (e.g. a task's stepMarkers). */
  extraMarkers?: readonly string[];
}

export function markerList(options: MarkerOptions = {}): string[] {
  return [...(options.markers ?? REFLECTION_MARKERS), ...(options.extraMarkers ?? [])];
}

function markerRegex(markers: readonly string[]): RegExp {
  return new RegExp(`(?:${markers.join('|')})`, 'y');
}

/** Whether offset p starts a sentence (see the rules at the top of this file). */
export function isSentenceStart(text: string, p: number): boolean {
  let i = p - 1;
  let sawSpace = false;
  while (i >= 0 && /[ \t\f\v\u00a0]/.test(text[i])) {
    i--;
    sawSpace = true;
  }
  if (i < 0) return true;
  if (/[\n\r\u2028\u2029]/.test(text[i])) return true;
  if (!sawSpace) return false;
  while (i >= 0 && /["'”’)\]}*_]/.test(text[i])) i--;
  return i >= 0 && /[.!?;:…]/.test(text[i]);
}

/** Cut points of the marker rule, ascending. */
export function markerCuts(text: string, options: MarkerOptions = {}): number[] {
  const re = markerRegex(markerList(options));
  const cuts: number[] = [];
  for (let p = 1; p < text.length; p++) {
    const c = text.charCodeAt(p);
    if (c < 65 || c > 90) continue; // every marker starts with a capital A–Z
    re.lastIndex = p;
    if (re.test(text) && isSentenceStart(text, p)) cuts.push(p);
  }
  return cuts;
}

/**
 * Whether a step's text is a marker and nothing else (trailing punctuation and
 * whitespace aside): such a step never stands alone (merge.ts).
 */
export function markerOnlyTest(options: MarkerOptions = {}): (content: string) => boolean {
  const re = new RegExp(`^(?:${markerList(options).join('|')})[\\s.,:;!?…\\-—]*$`);
  return (content) => re.test(content.trim());
}

/** Splits at markers only (no newline rule). */
export class MarkerSegmenter implements Segmenter {
  readonly name = 'markers';
  constructor(readonly options: MarkerOptions & MergeOptions = {}) {}
  segment(response: string): StepSpan[] {
    return finishSpans(response, markerCuts(response, this.options), {
      isMarkerOnly: markerOnlyTest(this.options),
      ...this.options,
    });
  }
}
