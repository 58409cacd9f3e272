// The rollout dataset format: validated reading with file/line/field errors,
// streaming, atomic writing; group filtering, statistics, pass@k.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRollouts, readRolloutFile, RolloutWriter } from '../src/data/rollout-files.ts';
import {
  keepMixedGroups,
  rolloutStats,
  ROLLOUT_FORMAT,
  ROLLOUT_VERSION,
  type Rollout,
  type RolloutHeader,
} from '../src/data/rollouts.ts';
import { passAtK } from '../src/train/evaluate.ts';

const header: RolloutHeader = {
  format: ROLLOUT_FORMAT,
  version: ROLLOUT_VERSION,
  task: 'arithmetic',
  tokenizer: { kind: 'char', alphabet: ['a'] },
  vocab_size: 10,
  context_length: 8,
  sampling: { temperature: 0.7, top_k: 0, seed: 1, group_size: 2 },
  policy: { checkpoint: 'ref', step: 5 },
};

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
  it('round-trips through the atomic writer and the streaming reader', async () => {
    const path = join(tempDir(), 'rollouts.jsonl');
    const writer = await RolloutWriter.create(path, header);
    const records = [rollout('a', 0, 1), rollout('a', 1, 0), rollout('b', 0, 0)];
    for (const r of records) await writer.write(r);
    expect(existsSync(path)).toBe(false); // nothing visible until commit
    await writer.commit();
    const read = await readRolloutFile(path);
    expect(read.header).toEqual(header);
    expect(read.rollouts).toEqual(records);
    const { records: stream } = await openRollouts(path);
    let count = 0;
    for await (const r of stream) expect(r).toEqual(records[count++]);
    expect(count).toBe(3);
  });

  it('keeps the old file when a write is abandoned', async () => {
    const dir = tempDir();
    const path = join(dir, 'rollouts.jsonl');
    writeFileSync(path, 'old contents\n');
    const writer = await RolloutWriter.create(path, header);
    await writer.write(rollout('a', 0, 1));
    await writer.abort();
    expect(readFileSync(path, 'utf8')).toBe('old contents\n');
    expect(readdirSync(dir)).toEqual(['rollouts.jsonl']);
  });

  const cases: [string, string, RegExp][] = [
    ['bad JSON', '{"prompt_id": ', /:3: not valid JSON/],
    ['a missing field', JSON.stringify({ ...rollout('a', 0, 1), reward: undefined }), /:3: field "reward": /],
    [
      'a token outside the vocabulary',
      JSON.stringify(rollout('a', 0, 1, [4, 12, 1])),
      /:3: field "response_tokens\.1": token id 12 is outside the vocabulary of 10/,
    ],
    [
      'a response longer than the context',
      JSON.stringify(rollout('a', 0, 1, [4, 4, 4, 4, 4, 4, 1])),
      /:3: field "response_tokens": prompt \+ response hold 9 tokens, longer than the context of 8/,
    ],
    [
      'misaligned log-probs',
      JSON.stringify({ ...rollout('a', 0, 1), logprobs_ref: [-1] }),
      /:3: field "logprobs_ref": has 1 values for 3 response tokens/,
    ],
  ];
  for (const [what, line, message] of cases) {
    it(`names the line and field of ${what}`, async () => {
      const path = join(tempDir(), 'bad.jsonl');
      writeFileSync(path, `${JSON.stringify(header)}\n${JSON.stringify(rollout('a', 0, 1))}\n${line}\n`);
      await expect(readRolloutFile(path)).rejects.toThrow(
        new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${message.source}`),
      );
    });
  }

  it('refuses a file without a valid header', async () => {
    const path = join(tempDir(), 'noheader.jsonl');
    writeFileSync(path, `${JSON.stringify(rollout('a', 0, 1))}\n`);
    await expect(readRolloutFile(path)).rejects.toThrow(
      /:1: field "format": .*header line of a gemstone-rollouts file/,
    );
    writeFileSync(path, '');
    await expect(readRolloutFile(path)).rejects.toThrow(/empty file: expected a header line/);
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
