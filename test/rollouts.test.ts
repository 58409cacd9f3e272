// The rollout dataset format: validated reading with file/line/field errors,
// streaming, atomic writing; group filtering, statistics, pass@k.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/data/jsonl.ts';
import { openRollouts, readRolloutFile, RolloutWriter } from '../src/data/rollout-files.ts';
import { keepMixedGroups, parseRolloutText, rolloutStats, type Rollout } from '../src/data/rollouts.ts';
import { passAtK } from '../src/train/evaluate.ts';
import { rolloutText, validRollouts } from './util/rollout-data.ts';

function rollout(prompt_id: string, index: number, reward: 0 | 1, tokens = [4, 5, 1]): Rollout {
  return {
    prompt_id,
    prompt: 'p',
    reference_answer: '3',
    index,
    response: 'r',
    prompt_tokens: [3, 3],
    response_tokens: tokens,
    logprobs_ref: tokens.map(() => -0.5),
    logprobs_sample: tokens.map(() => -0.4),
    reward,
    answer: reward ? '3' : '4',
  };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gemstone-rollouts-'));
}

describe('rollout files', () => {
  const valid = validRollouts(2, 2);
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('round-trips through the atomic writer and the streaming reader', async () => {
    const path = join(tempDir(), 'rollouts.jsonl');
    const writer = await RolloutWriter.create(path, valid.header);
    for (const r of valid.rollouts) await writer.write(r);
    expect(existsSync(path)).toBe(false); // nothing visible until commit
    await writer.commit();
    const read = await readRolloutFile(path);
    expect(read.header).toEqual(valid.header);
    expect(read.rollouts).toEqual(valid.rollouts);
    const { records: stream } = await openRollouts(path);
    let count = 0;
    for await (const r of stream) expect(r).toEqual(valid.rollouts[count++]);
    expect(count).toBe(4);
  });

  it('keeps the old file when a write is abandoned', async () => {
    const dir = tempDir();
    const path = join(dir, 'rollouts.jsonl');
    writeFileSync(path, 'old contents\n');
    const writer = await RolloutWriter.create(path, valid.header);
    await writer.write(valid.rollouts[0]);
    await writer.abort();
    expect(readFileSync(path, 'utf8')).toBe('old contents\n');
    expect(readdirSync(dir)).toEqual(['rollouts.jsonl']);
  });

  it('accepts a byte-order mark, CRLF line ends and blank lines', async () => {
    const path = join(tempDir(), 'bom.jsonl');
    const text = rolloutText(valid.header, valid.rollouts).replaceAll('\n', '\r\n\r\n');
    writeFileSync(path, `\uFEFF${text}`);
    expect((await readRolloutFile(path)).rollouts).toEqual(valid.rollouts);
    expect(parseRolloutText(`\uFEFF${text}`, 'bom.jsonl').rollouts).toEqual(valid.rollouts);
  });

  const [r0, r1, r2] = valid.rollouts;
  const V = valid.header.vocab_size;
  // Each case replaces the record on line 3 (the second response of the first prompt).
  const cases: [string, unknown, RegExp][] = [
    ['bad JSON', '{"prompt_id": ', /:3: not valid JSON/],
    ['a missing field', { ...r1, reward: undefined }, /:3: field "reward": /],
    [
      'a token outside the vocabulary',
      { ...r1, response_tokens: [4, V + 2, 1] },
      new RegExp(`:3: field "response_tokens\\.1": token id ${V + 2} is outside the vocabulary of ${V}`),
    ],
    [
      'a response longer than the context',
      { ...r1, response_tokens: new Array(600).fill(4) },
      /:3: field "response_tokens": prompt \+ response hold \d+ tokens, longer than the context of 512/,
    ],
    ['misaligned log-probs', { ...r1, logprobs_ref: [-1] }, /:3: field "logprobs_ref": has 1 values for \d+ response/],
    [
      'a log-prob above 0',
      { ...r1, logprobs_sample: r1.logprobs_sample.map((v, j) => (j === 2 ? 5 : v)) },
      /:3: field "logprobs_sample\.2": a log-probability must be ≤ 0/,
    ],
    [
      'an infinite log-prob',
      JSON.stringify({ ...r1, logprobs_ref: [] }).replace(
        '"logprobs_ref":[]',
        `"logprobs_ref":[${r1.logprobs_ref.map((v, j) => (j === 0 ? '-1e999' : v)).join(',')}]`,
      ),
      /:3: field "logprobs_ref\.0": /,
    ],
    [
      'the same response twice',
      { ...r1, index: 0 },
      /:3: field "index": response 0 of prompt "arithmetic-d1-10" appears twice, on line 2 and on line 3/,
    ],
    ['an index outside the group', { ...r1, index: 2 }, /:3: field "index": 2 is outside a group of 2/],
    [
      'a reward the verifier contradicts',
      { ...r1, reward: 1 },
      /:3: field "reward": is 1, but the task's verifier gives 0 .*--trust-rewards/,
    ],
    [
      'text that does not match its tokens',
      { ...r1, response: `${r1.response}0` },
      /:3: field "response": does not match its tokens/,
    ],
    [
      'prompt tokens that do not encode the prompt',
      { ...r1, prompt_tokens: [...r1.prompt_tokens, 4] },
      /:3: field "prompt_tokens": do not encode the prompt/,
    ],
    [
      'a prompt id the task does not regenerate',
      { ...r2, index: 1, prompt_id: 'arithmetic-d1-999' },
      /:3: field "prompt_id": Problem "arithmetic-d1-999" regenerates to a different prompt/,
    ],
  ];
  for (const [what, record, message] of cases) {
    it(`names the line and field of ${what}`, async () => {
      const path = join(tempDir(), 'bad.jsonl');
      const line = typeof record === 'string' ? record : JSON.stringify(record);
      const lines = [valid.header, r0].map((r) => JSON.stringify(r));
      const rest = valid.rollouts.slice(2).map((r) => JSON.stringify(r));
      writeFileSync(path, [...lines, line, ...rest].join('\n'));
      await expect(readRolloutFile(path)).rejects.toThrow(new RegExp(`^${escaped(path)}${message.source}`));
      await expect(readRolloutFile(path)).rejects.toBeInstanceOf(DataError);
    });
  }

  it('keeps rewards the verifier contradicts with trustRewards', async () => {
    const path = join(tempDir(), 'own-rewards.jsonl');
    writeFileSync(path, rolloutText(valid.header, [r0, { ...r1, reward: 1 }, ...valid.rollouts.slice(2)]));
    const read = await readRolloutFile(path, { trustRewards: true });
    expect(read.rollouts[1].reward).toBe(1);
  });

  it('refuses a group with fewer responses than the header says, naming its first line', async () => {
    const path = join(tempDir(), 'short.jsonl');
    writeFileSync(path, rolloutText(valid.header, [r0, ...valid.rollouts.slice(2)]));
    await expect(readRolloutFile(path)).rejects.toThrow(
      new RegExp(
        `^${escaped(path)}:2: field "prompt_id": prompt "arithmetic-d1-10" has 1 responses; .*group_size is 2`,
      ),
    );
  });

  it('refuses a header with no responses', async () => {
    const path = join(tempDir(), 'header-only.jsonl');
    writeFileSync(path, rolloutText(valid.header, []));
    await expect(readRolloutFile(path)).rejects.toThrow(
      new RegExp(`^${escaped(path)}:1: no records: the file has a header line and no responses`),
    );
  });

  it('refuses a file without a valid header', async () => {
    const path = join(tempDir(), 'noheader.jsonl');
    writeFileSync(path, `${JSON.stringify(r0)}\n`);
    await expect(readRolloutFile(path)).rejects.toThrow(
      /:1: field "format": .*header line of a gemstone-rollouts file/,
    );
    writeFileSync(path, '');
    await expect(readRolloutFile(path)).rejects.toThrow(/empty file: expected a header line/);
    writeFileSync(path, rolloutText({ ...valid.header, task: 'chess' }, valid.rollouts));
    await expect(readRolloutFile(path)).rejects.toThrow(/:1: field "task": Unknown task "chess"/);
  });
});

describe('rollout statistics', () => {
  it('drops all-right and all-wrong groups, as the paper does', () => {
    const rollouts = [
      rollout('a', 0, 1),
      rollout('a', 1, 0),
      rollout('b', 0, 1),
      rollout('b', 1, 1),
      rollout('c', 0, 0),
      rollout('c', 1, 0),
    ];
    const { kept, droppedGroups } = keepMixedGroups(rollouts);
    expect(droppedGroups).toBe(2);
    expect(kept.map((r) => r.prompt_id)).toEqual(['a', 'a']);
    expect(rolloutStats(rollouts)).toEqual({
      prompts: 3,
      responses: 6,
      positives: 3,
      negatives: 3,
      tokens: 18,
      negativeTokens: 9,
    });
  });

  it('computes unbiased pass@k', () => {
    expect(passAtK(10, 0, 1)).toBe(0);
    expect(passAtK(10, 10, 5)).toBe(1);
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    // 1 − C(7,2)/C(10,2) = 1 − 21/45
    expect(passAtK(10, 3, 2)).toBeCloseTo(1 - 21 / 45, 12);
    expect(() => passAtK(2, 1, 3)).toThrow(/needs at least 3 samples/);
  });
});

describe('mineable steps in negatives', () => {
  it('counts negatives with an oracle-correct step after the first', async () => {
    const { mineableStats } = await import('../src/train/rollouts.ts');
    const { getTask } = await import('../src/tasks/index.ts');
    const task = getTask('arithmetic');
    const problem = task.generate(3, 1);
    const [, first, second] = (problem.data as { values: number[] }).values; // values[0] is the start
    const data = problem.data as { start: number; ops: { op: string; operand: number }[] };
    const line = (k: number, a: number, b: number) =>
      `Step ${k}: ${a}${data.ops[k - 1].op}${data.ops[k - 1].operand}=${b}`;
    // Right first two steps, then a wrong answer: a correct step after the first.
    const late = `${line(1, data.start, first)}\n${line(2, first, second)}\nAnswer: ${Number(problem.answer) + 1}`;
    // A slip in the first step that every later step builds on: nothing to mine.
    const early = `${line(1, data.start, first + 1)}\nAnswer: ${Number(problem.answer) + 7}`;
    const base = rollout(problem.id, 0, 0);
    const stats = mineableStats(task, new Map([[problem.id, problem]]), [
      { ...base, response: late },
      { ...base, index: 1, response: early },
      { ...base, index: 2, reward: 1, response: late },
    ]);
    expect(stats.negatives).toBe(2);
    expect(stats.negativesWithCorrectLaterStep).toBe(1);
    expect(stats.correctChars).toBeGreaterThan(0);
    expect(stats.incorrectChars).toBeGreaterThan(0);
  });
});
