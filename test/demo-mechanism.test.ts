// The demo's mechanism plot, its pure parts: step log-probs from token
// log-probs (sum and mean, against hand values), which wrong responses are
// followed, the plot's lines, and what the plot needs of the settings.
import { describe, expect, it } from 'vitest';
import { configQuery, DEFAULT_CONFIG, parseConfig } from '../demo/src/config.ts';
import {
  addCurve,
  mechanismCandidates,
  mechanismLines,
  mechanismNeeds,
  newMechanism,
  parseMechanism,
  relativeToReference,
  stepLogprobs,
} from '../demo/src/pipeline/mechanism.ts';
import type { AnnotatedRecord } from '../src/data/annotated.ts';

/** A record with the fields the mechanism reads: steps of the given token counts and oracle labels. */
function record(reward: 0 | 1, steps: [tokens: number, oracle: 0 | 1, mined: 0 | 1][], index = 0): AnnotatedRecord {
  let token = 0;
  let char = 0;
  const spans = steps.map(([n]) => {
    const s = { start: char, end: char + n, token_start: token, token_end: token + n };
    token += n;
    char += n;
    return s;
  });
  const response = 'x'.repeat(char);
  return {
    prompt_id: `p${index}`,
    prompt: ` 1+2 `,
    reference_answer: '3',
    index,
    response,
    prompt_tokens: [1],
    response_tokens: Array.from({ length: token }, () => 2),
    logprobs_ref: Array.from({ length: token }, (_, j) => -0.1 * (j + 1)),
    logprobs_sample: Array.from({ length: token }, () => -0.5),
    reward,
    answer: null,
    steps: spans,
    judges: [
      { name: 'rule', simulated: false, verdicts: steps.map(() => ({ label: 1 as const, reason: '' })) },
      { name: 'oracle', simulated: false, verdicts: steps.map(([, o]) => ({ label: o, reason: '' })) },
    ],
    consensus: { mode: 'and', labels: steps.map(([, , m]) => m), abstained: steps.map(() => 0) },
    beta_mask: steps.flatMap(([n, , m]) => Array.from({ length: n }, () => (reward === 0 ? m : 0))),
  } as AnnotatedRecord;
}

describe('step log-probabilities', () => {
  const tokens = [-0.5, -1.5, -2, -0.25, -0.75, -3];
  const steps = [
    { tokenStart: 0, tokenEnd: 2 },
    { tokenStart: 2, tokenEnd: 5 },
    { tokenStart: 5, tokenEnd: 5 },
    { tokenStart: 5, tokenEnd: 6 },
  ];

  it('sums each step’s token log-probs', () => {
    const got = stepLogprobs(tokens, steps, 'sum');
    expect(got[0]).toBeCloseTo(-2, 12);
    expect(got[1]).toBeCloseTo(-3, 12);
    expect(got[2]).toBeNaN(); // a step with no tokens is not plotted as 0
    expect(got[3]).toBeCloseTo(-3, 12);
  });

  it('or averages them per token', () => {
    const got = stepLogprobs(tokens, steps, 'mean');
    expect(got[0]).toBeCloseTo(-1, 12);
    expect(got[1]).toBeCloseTo(-1, 12);
    expect(got[2]).toBeNaN();
    expect(got[3]).toBeCloseTo(-3, 12);
  });
});

describe('the followed wrong responses', () => {
  const records = [
    record(
      1,
      [
        [4, 1, 0],
        [3, 1, 0],
      ],
      0,
    ), // right: never followed
    record(
      0,
      [
        [2, 1, 1],
        [5, 0, 0],
      ],
      1,
    ), // 2 correct tokens
    record(
      0,
      [
        [3, 0, 0],
        [3, 0, 0],
      ],
      2,
    ), // no correct step
    record(
      0,
      [
        [4, 1, 1],
        [3, 1, 0],
        [2, 0, 0],
      ],
      3,
    ), // 7 correct tokens
    record(
      0,
      [
        [2, 0, 0],
        [2, 1, 0],
      ],
      4,
    ), // 2 correct tokens, after #1
  ];

  it('are negatives with oracle-correct steps, most correct tokens first', () => {
    expect(mechanismCandidates(records)).toEqual([3, 1, 4]);
    expect(mechanismCandidates(records, 2)).toEqual([3, 1]);
  });

  it('keep their steps’ text, labels and π_ref’s log-probs', () => {
    const m = newMechanism(1, records);
    expect(m.responses.map((r) => r.record)).toEqual([3, 1, 4]);
    const first = m.responses[0];
    expect(first.correctTokens).toBe(7);
    expect(first.steps.map((s) => [s.oracle, s.mined, s.tokenStart, s.tokenEnd])).toEqual([
      [1, 1, 0, 4],
      [1, 0, 4, 7],
      [0, 0, 7, 9],
    ]);
    expect(first.refLogprobs).toEqual(records[3].logprobs_ref);
  });

  it('draw π_ref, then each epoch of each run; an epoch run again replaces its curve', () => {
    const m = newMechanism(1, records);
    const logprobs = m.responses.map((r) => records[r.record].response_tokens.map(() => -1));
    addCurve(m, { run: 'compare', objective: 'bcpg', epoch: 1, logprobs });
    addCurve(m, { run: 'main', objective: 'bcpg-nsa', epoch: 2, logprobs });
    addCurve(m, { run: 'main', objective: 'bcpg-nsa', epoch: 1, logprobs });
    addCurve(m, { run: 'main', objective: 'bcpg-nsa', epoch: 1, logprobs: logprobs.map((l) => l.map(() => -2)) });
    const lines = mechanismLines(m, 0, 'sum');
    expect(lines.map((l) => l.label)).toEqual(['π_ref', 'bcpg-nsa, epoch 1', 'bcpg-nsa, epoch 2', 'bcpg, epoch 1']);
    // π_ref: tokens −0.1 … −0.9 in steps of 4, 3, 2 tokens.
    expect(lines[0].values[0]).toBeCloseTo(-(0.1 + 0.2 + 0.3 + 0.4), 12);
    expect(lines[0].values[2]).toBeCloseTo(-(0.8 + 0.9), 12);
    expect(lines[1].values).toEqual([-8, -6, -4]);
    expect(lines[3].values).toEqual([-4, -3, -2]);
    expect(mechanismLines(m, 0, 'mean')[3].values).toEqual([-1, -1, -1]);
    const relative = relativeToReference(mechanismLines(m, 0, 'mean'));
    expect(relative[0].values).toEqual([0, 0, 0]);
    // bcpg, epoch 1: −1 per token against π_ref's means −0.25, −0.6, −0.85.
    relative[3].values.forEach((v, k) => expect(v).toBeCloseTo([-0.75, -0.4, -0.15][k], 12));
    expect(parseMechanism(JSON.stringify(m), 'mechanism.json')).toEqual(m);
    expect(() => parseMechanism('{"curves": []}', 'mechanism.json')).toThrow(/mechanism.json: not a mechanism/);
  });
});

describe('what the plot needs', () => {
  it('BCPG-NSA against BCPG, either way round', () => {
    expect(mechanismNeeds({ objective: 'bcpg-nsa', compare: 'bcpg' })).toBeNull();
    expect(mechanismNeeds({ objective: 'bcpg', compare: 'bcpg-nsa' })).toBeNull();
    expect(mechanismNeeds({ objective: 'bcpg-nsa', compare: '' })).toMatch(/set "compare with" to bcpg\.$/);
    expect(mechanismNeeds({ objective: 'bcpg', compare: '' })).toMatch(/set "compare with" to bcpg-nsa\.$/);
    expect(mechanismNeeds({ objective: 'rft', compare: '' })).toMatch(/to bcpg and the objective to bcpg-nsa\.$/);
    expect(mechanismNeeds({ objective: 'bcpg-nsa', compare: 'rft' })).toMatch(/\(now bcpg-nsa and rft\)/);
  });
});

describe('the comparison follows the objective by default', () => {
  it('BCPG beside BCPG-NSA, BCPG-NSA beside BCPG; an explicit choice stays, and the address stays short', () => {
    expect(DEFAULT_CONFIG).toMatchObject({ objective: 'bcpg-nsa', compare: 'bcpg' });
    expect(parseConfig('').config.compare).toBe('bcpg');
    expect(parseConfig('?objective=bcpg').config.compare).toBe('bcpg-nsa');
    expect(parseConfig('?objective=rft').config.compare).toBe('bcpg');
    expect(parseConfig('?objective=bcpg&compare=rft').config.compare).toBe('rft');
    expect(parseConfig('?compare=').config.compare).toBe('');
    const bcpg = parseConfig('?objective=bcpg').config;
    expect(configQuery(bcpg)).toBe('objective=bcpg');
    expect(configQuery({ ...bcpg, compare: 'bcpg' })).toBe('objective=bcpg&compare=bcpg');
    for (const query of ['objective=bcpg&compare=bcpg', 'compare=', 'objective=dpo&compare=bcpg-nsa'])
      expect(configQuery(parseConfig(`?${query}`).config)).toBe(query);
  });
});
