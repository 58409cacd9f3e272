// Stage 1: segmenters. A property test on random texts (seeded) with a
// character tokenizer and a multi-character one: spans partition the text and
// every token gets exactly one step, in nondecreasing order. Then the rules
// one by one: newline and paragraph cuts, markers, merging, the cap.
import { describe, expect, it } from 'vitest';
import { CharTokenizer, type Tokenizer } from '../src/data/tokenizer.ts';
import {
  capSteps,
  checkPartition,
  defaultSegmenter,
  getSegmenter,
  mergeShort,
  SEGMENTER_NAMES,
  spansFromCuts,
  tokenSteps,
  type Segmenter,
  type StepSpan,
} from '../src/segment/index.ts';
import { markerOnlyTest } from '../src/segment/markers.ts';
import { arithmetic } from '../src/tasks/arithmetic.ts';
import { NoisySolver } from '../src/tasks/noisy-solver.ts';
import { Random } from '../src/util/random.ts';
import { ChunkTokenizer } from './util/tokenizers.ts';

const PIECES = [
  'the',
  'value',
  'is',
  'so',
  '7+5=12',
  '12*3=36',
  'x',
  'Answer: 12',
  'Step 2:',
  'Step',
  'Wait',
  'Wait,',
  'But wait',
  'Hmm',
  'Hmm.',
  'Alternatively',
  'Let me check',
  'Let me verify',
  'Let me double-check',
  'On second thought',
  'Hold on',
  'Actually,',
  'Actually',
  'Check:',
  'wait',
  'Waiting',
  '.',
  '!',
  '?',
  ':',
  ',',
  '"',
  ')',
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '\n',
  '\n',
  '\n\n',
  '\r\n',
  ' \n ',
  'é',
  '😀',
  '',
  '4',
  '-3',
];

function randomText(rng: Random): string {
  const n = Math.floor(rng.next() * 60);
  let text = '';
  for (let i = 0; i < n; i++) {
    text += PIECES[Math.floor(rng.next() * PIECES.length)];
    if (rng.next() < 0.5) text += ' ';
  }
  return text;
}

function texts(count: number, seed: number): string[] {
  const rng = new Random(seed);
  const out = ['', ' ', '\n', '\n\n\n', 'Wait', 'Wait,\n', 'Check: 7+5=12, not 13', '  Hmm.  ', 'a\n\nb'];
  while (out.length < count) out.push(randomText(rng));
  return out;
}

const CONFIGS: { label: string; segmenter: Segmenter; minChars: number; maxSteps: number }[] = [
  { label: 'newline', segmenter: getSegmenter('newline'), minChars: 0, maxSteps: Infinity },
  { label: 'paragraph', segmenter: getSegmenter('paragraph'), minChars: 0, maxSteps: Infinity },
  { label: 'markers', segmenter: getSegmenter('markers'), minChars: 0, maxSteps: Infinity },
  { label: 'markers min 5', segmenter: getSegmenter('markers', { minChars: 5 }), minChars: 5, maxSteps: Infinity },
  { label: 'default', segmenter: defaultSegmenter(), minChars: 8, maxSteps: 64 },
  { label: 'default arithmetic', segmenter: defaultSegmenter(arithmetic), minChars: 8, maxSteps: 64 },
  {
    label: 'default min 20 cap 3',
    segmenter: getSegmenter('default', { minChars: 20, maxSteps: 3 }),
    minChars: 20,
    maxSteps: 3,
  },
  { label: 'newline cap 1', segmenter: getSegmenter('newline', { maxSteps: 1 }), minChars: 0, maxSteps: 1 },
];

const isMarkerOnly = markerOnlyTest({ extraMarkers: [String.raw`Step\b`] });

describe('segmentation: spans partition the text, tokens map to exactly one step (property test)', () => {
  const tokenizers: { label: string; tokenizer: Tokenizer }[] = [
    { label: 'char', tokenizer: CharTokenizer.fromTexts(PIECES) },
    { label: '3-char chunks', tokenizer: new ChunkTokenizer(3) },
  ];
  for (const { label, segmenter, minChars, maxSteps } of CONFIGS) {
    it(label, () => {
      let total = 0;
      for (const text of texts(400, 1234 + label.length)) {
        const spans = segmenter.segment(text);
        checkPartition(text.length, spans); // contiguous, non-empty, exactly covering
        expect(spans.length === 0).toBe(text.length === 0);
        expect(spans.length).toBeLessThanOrEqual(maxSteps);
        total += spans.length;
        if (spans.length > 1) {
          for (const [k, s] of spans.entries()) {
            const content = text.slice(s.start, s.end).trim();
            // No step is blank, shorter than the minimum, or a marker alone.
            expect(content.length, `${label}: step ${k} of ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(
              Math.max(1, minChars),
            );
            if (label.startsWith('markers') || label.startsWith('default')) expect(isMarkerOnly(content)).toBe(false);
            // Every step but the first starts with text (whitespace stays with the step before).
            if (k > 0) expect(/\s/.test(text[s.start])).toBe(false);
          }
        }
        for (const { tokenizer } of tokenizers) {
          const { offsets } = tokenizer.encodeWithOffsets(text);
          if (spans.length === 0) continue;
          const withEos = [...offsets, text.length]; // a token past the text (eos) goes to the last step
          const stepOf = tokenSteps(withEos, spans);
          const where = `${label}, ${JSON.stringify(text)}`;
          if (stepOf.length !== withEos.length)
            throw new Error(`${where}: ${stepOf.length} step indices for ${withEos.length} tokens`);
          for (let j = 0; j < stepOf.length; j++) {
            if (!(stepOf[j] >= 0 && stepOf[j] < spans.length))
              throw new Error(`${where}: token ${j} has step ${stepOf[j]}`);
            if (j > 0 && stepOf[j] < stepOf[j - 1])
              throw new Error(`${where}: token ${j} goes back to step ${stepOf[j]}`);
            const offset = withEos[j];
            const span = spans[stepOf[j]];
            const inside =
              offset < text.length ? offset >= span.start && offset < span.end : stepOf[j] === spans.length - 1;
            if (!inside)
              throw new Error(`${where}: token ${j} at ${offset} is not in its step [${span.start}, ${span.end})`);
          }
        }
      }
      expect(total).toBeGreaterThan(0);
    });
  }
});

const show = (text: string, spans: StepSpan[]) => spans.map((s) => text.slice(s.start, s.end));

describe('segmentation: the rules', () => {
  const lineBreaksTitle =
    'cuts at line breaks, keeping blank lines and indentation with the step before; paragraphs at blank lines only';
  it(lineBreaksTitle, () => {
    const text = 'one\ntwo\n\n  three\r\nfour\n';
    expect(show(text, getSegmenter('newline').segment(text))).toEqual(['one\n', 'two\n\n  ', 'three\r\n', 'four\n']);
    expect(show(text, getSegmenter('paragraph').segment(text))).toEqual(['one\ntwo\n\n  ', 'three\r\nfour\n']);
    expect(show('\n\nlead', getSegmenter('newline').segment('\n\nlead'))).toEqual(['\n\nlead']);
  });

  it('splits before markers at a sentence start, and only there', () => {
    const seg = getSegmenter('markers');
    const text = 'So 7+5=13. Wait, 7+5=12. Hmm, fine! Let me double-check: ok. Actually, 12. Check: 7+5=12 ok';
    expect(show(text, seg.segment(text))).toEqual([
      'So 7+5=13. ',
      'Wait, 7+5=12. ',
      'Hmm, fine! ',
      'Let me double-check: ok. ',
      'Actually, 12. ',
      'Check: 7+5=12 ok',
    ]);
    // Not at a sentence start, lower case, part of a longer word, "Actually" without its comma: no cut.
    for (const t of ['I said Wait, no.', 'so. wait, no', 'Done. Waiting now.', 'Fine. Actually it is.', 'x.Wait, no'])
      expect(seg.segment(t)).toHaveLength(1);
    // "But wait" is one marker: the cut is before "But", not before "wait".
    expect(show('It is 12. But wait, 13.', seg.segment('It is 12. But wait, 13.'))).toEqual([
      'It is 12. ',
      'But wait, 13.',
    ]);
    // After closing quotes / brackets; at a line start with indentation.
    expect(show('He said "fine." Hold on, no.', seg.segment('He said "fine." Hold on, no.'))).toEqual([
      'He said "fine." ',
      'Hold on, no.',
    ]);
    expect(
      show('a\n  Alternatively, b', defaultSegmenter(undefined, { minChars: 0 }).segment('a\n  Alternatively, b')),
    ).toEqual(['a\n  ', 'Alternatively, b']);
  });

  it('splits before "Step" for the built-in task only', () => {
    const text = 'Step 1: 7+5=12. Step 2: 12*3=36.';
    expect(show(text, defaultSegmenter(arithmetic).segment(text))).toEqual(['Step 1: 7+5=12. ', 'Step 2: 12*3=36.']);
    expect(show(text, defaultSegmenter('arithmetic').segment(text))).toEqual(['Step 1: 7+5=12. ', 'Step 2: 12*3=36.']);
    expect(defaultSegmenter().segment(text)).toHaveLength(1);
  });

  it('gives the built-in task its natural one-line-a-step segmentation on noisy-solver traces', () => {
    const seg = defaultSegmenter(arithmetic);
    const solver = new NoisySolver({ seed: 3 });
    for (let seed = 0; seed < 500; seed++) {
      const text = solver.solve(arithmetic.generate(seed, seed % 4)).text;
      expect(seg.segment(text)).toEqual(arithmetic.naturalSteps(text));
    }
  });

  it('merges short segments into their predecessor, the first into its successor', () => {
    const text = 'ab\nlonger line one\nok\nlonger line two\nx';
    const spans = spansFromCuts(text.length, [3, 19, 22, 38]);
    expect(show(text, spans)).toEqual(['ab\n', 'longer line one\n', 'ok\n', 'longer line two\n', 'x']);
    expect(show(text, mergeShort(text, spans, { minChars: 5 }))).toEqual([
      'ab\nlonger line one\nok\n',
      'longer line two\nx',
    ]);
    expect(show(text, mergeShort(text, spans, { minChars: 0 }))).toEqual(show(text, spans));
    // Whitespace-only segments always merge.
    expect(show(' \nab', mergeShort(' \nab', spansFromCuts(4, [2]), {}))).toEqual([' \nab']);
    expect(show('tiny', mergeShort('tiny', [{ start: 0, end: 4 }], { minChars: 100 }))).toEqual(['tiny']);
  });

  it('lets a marker start a step but never stand alone', () => {
    const seg = defaultSegmenter(undefined, { minChars: 0 });
    expect(show('7+5=13.\nWait,\n7+5=12 instead.', seg.segment('7+5=13.\nWait,\n7+5=12 instead.'))).toEqual([
      '7+5=13.\n',
      'Wait,\n7+5=12 instead.',
    ]);
    expect(show('7+5=12.\nHmm.', seg.segment('7+5=12.\nHmm.'))).toEqual(['7+5=12.\nHmm.']);
    expect(show('Hmm.', seg.segment('Hmm.'))).toEqual(['Hmm.']);
  });

  it('caps the step count by merging the shortest adjacent pair (leftmost on ties)', () => {
    const spans = spansFromCuts(20, [5, 7, 10, 18]); // lengths 5 2 3 8 2
    expect(capSteps(spans, 4)).toEqual([
      { start: 0, end: 5 },
      { start: 5, end: 10 },
      { start: 10, end: 18 },
      { start: 18, end: 20 },
    ]);
    expect(capSteps(spans, 2)).toEqual([
      { start: 0, end: 10 },
      { start: 10, end: 20 },
    ]);
    expect(capSteps(spans, 1)).toEqual([{ start: 0, end: 20 }]);
    expect(capSteps(spans, 9)).toEqual(spans);
    expect(() => capSteps(spans, 0)).toThrow(/maxSteps/);
    const text = Array.from({ length: 100 }, (_, i) => `line number ${i}`).join('\n');
    expect(getSegmenter('default').segment(text)).toHaveLength(64);
    expect(getSegmenter('default', { maxSteps: 7 }).segment(text)).toHaveLength(7);
  });

  it('has a registry with clear errors', () => {
    expect(SEGMENTER_NAMES).toEqual(expect.arrayContaining(['newline', 'markers', 'default']));
    expect(getSegmenter('newline').name).toBe('newline');
    expect(getSegmenter('markers').name).toBe('markers');
    expect(() => getSegmenter('sat')).toThrow(/Unknown segmenter "sat"; the segmenters are: newline/);
  });
});
