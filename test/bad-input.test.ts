// Damaged input files as they happen in practice, through the command line: each is
// refused with one error naming file, line and field (exit status 2) before the run
// folder exists — or, for a byte-order mark, accepted.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGemstone } from './util/cli.ts';
import { rolloutText, validRollouts } from './util/rollout-data.ts';

const gemstone = (...args: string[]) => runGemstone(args);

const dir = mkdtempSync(join(tmpdir(), 'gemstone-bad-input-'));
const { header, rollouts } = validRollouts(2, 2);
const [r0, r1, ...rest] = rollouts;
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Writes the file, runs annotate on it; the run folder must not appear. */
async function annotateRefuses(name: string, text: string, message: RegExp): Promise<void> {
  const data = join(dir, `${name}.jsonl`);
  writeFileSync(data, text);
  const out = join(dir, `${name}-run`);
  const args = ['annotate', '--data', data, '--judges', 'oracle,rule', '--profile', 'software', '--out', out];
  const { code, stderr } = await gemstone(...args);
  expect(stderr).toMatch(new RegExp(`gemstone annotate: ${escaped(data)}${message.source}`));
  expect(code).toBe(2);
  expect(existsSync(out)).toBe(false);
}

describe('bad rollout files, refused before the run folder exists', () => {
  it('the same response (prompt_id, index) twice, naming both lines', () =>
    annotateRefuses(
      'duplicate',
      rolloutText(header, [r0, r1, { ...r1 }, ...rest]),
      /:4: field "index": response 1 of prompt "arithmetic-d1-10" appears twice, on line 3 and on line 4/,
    ));

  it('a log-prob above 0', () =>
    annotateRefuses(
      'logprob',
      rolloutText(header, [r0, { ...r1, logprobs_ref: r1.logprobs_ref.map((v, j) => (j === 1 ? 5 : v)) }, ...rest]),
      /:3: field "logprobs_ref\.1": a log-probability must be ≤ 0/,
    ));

  it("a reward that contradicts the task's verifier", () =>
    annotateRefuses(
      'reward',
      rolloutText(header, [r0, { ...r1, reward: 1 }, ...rest]),
      /:3: field "reward": is 1, but the task's verifier gives 0 .*pass --trust-rewards/,
    ));

  it('a response whose text does not match its tokens', () =>
    annotateRefuses(
      'text',
      rolloutText(header, [r0, { ...r1, response: r1.response.replace('Step 1', 'Step 7') }, ...rest]),
      /:3: field "response": does not match its tokens/,
    ));

  it('a header and no responses: exit status 2', () =>
    annotateRefuses('empty-body', rolloutText(header, []), /:1: no records/));

  it('a group smaller than the header says', () =>
    annotateRefuses(
      'group',
      rolloutText(header, [r0, ...rest]),
      /:2: field "prompt_id": prompt "arithmetic-d1-10" has 1 responses; the header's sampling\.group_size is 2/,
    ));
});

describe('accepted input', () => {
  it('a byte-order mark before the header, and rewards the user vouches for', async () => {
    const data = join(dir, 'bom.jsonl');
    writeFileSync(data, `\uFEFF${rolloutText(header, [r0, { ...r1, reward: 1 }, ...rest])}`);
    const out = join(dir, 'bom-run');
    const args = ['annotate', '--data', data, '--judges', 'oracle,rule', '--profile', 'software', '--out', out];
    const refused = await gemstone(...args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/:3: field "reward"/);
    const { code, stdout, stderr } = await gemstone(...args, '--trust-rewards', '--workers', '1');
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/annotated 4 responses/);
    expect(existsSync(join(out, 'annotated.jsonl'))).toBe(true);
  });
});

describe('bad annotated files, refused before the run folder exists', () => {
  it('export: an annotated file with a response twice, and one with a reward the verifier contradicts', async () => {
    const data = join(dir, 'for-annotated.jsonl');
    writeFileSync(data, rolloutText(header, rollouts));
    const annotated = join(dir, 'annotated-run');
    const args = ['annotate', '--data', data, '--judges', 'oracle,rule', '--profile', 'software', '--workers', '1'];
    const made = await gemstone(...args, '--out', annotated);
    expect(made.code, made.stderr).toBe(0);
    const lines = readFileSync(join(annotated, 'annotated.jsonl'), 'utf8').trimEnd().split('\n');
    const cases: [string, string[], RegExp][] = [
      ['twice', [...lines.slice(0, 3), lines[2], ...lines.slice(3)], /:4: field "index": .* on line 3 and on line 4/],
      [
        'reward',
        // A wrong response called right, its β mask made to match (a positive has none).
        lines.map((l, i) => {
          const r = JSON.parse(l);
          return i === 2 ? JSON.stringify({ ...r, reward: 1, beta_mask: r.beta_mask.map(() => 0) }) : l;
        }),
        /:3: field "reward": is 1, but the task's verifier gives 0/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const file = join(dir, `annotated-${name}.jsonl`);
      writeFileSync(file, `${text.join('\n')}\n`);
      const out = join(dir, `export-${name}`);
      const { code, stderr } = await gemstone('export', '--data', file, '--out', out);
      expect(stderr).toMatch(new RegExp(`gemstone export: ${escaped(file)}${message.source}`));
      expect(code).toBe(2);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('bad SFT data and config files, refused before the run folder exists', () => {
  it('SFT data with no records', async () => {
    const data = join(dir, 'sft-empty.jsonl');
    writeFileSync(data, '\uFEFF\n\n');
    const out = join(dir, 'sft-run');
    const { code, stderr } = await gemstone('sft', '--data', data, '--profile', 'software', '--out', out);
    expect(stderr).toMatch(new RegExp(`gemstone sft: ${escaped(data)}:2: no records`));
    expect(code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('a config file with a byte-order mark is read; a bad value in it names the line', async () => {
    const config = join(dir, 'config.json');
    const out = join(dir, 'config-run');
    writeFileSync(config, '\uFEFF{\n  "judges": "oracle",\n  "workers": -3\n}\n');
    const data = join(dir, 'ok.jsonl');
    writeFileSync(data, rolloutText(header, rollouts));
    const args = ['annotate', '--config', config, '--data', data, '--profile', 'software', '--out', out];
    const { code, stderr } = await gemstone(...args);
    expect(stderr).toMatch(new RegExp(`${escaped(config)}:3: "workers": `));
    expect(code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

describe('bad checkpoints, refused before the run folder exists', () => {
  const bundled = new URL('../assets/pi-ref-small', import.meta.url).pathname;

  it('a damaged checkpoint file', async () => {
    const checkpoint = join(dir, 'damaged.safetensors');
    writeFileSync(checkpoint, readFileSync(join(bundled, 'checkpoint.safetensors')).subarray(0, 4000));
    const out = join(dir, 'damaged-run');
    const { code, stderr } = await gemstone('eval', '--checkpoint', checkpoint, '--prompts', '2', '--out', out);
    expect(stderr).toMatch(new RegExp(`gemstone eval: .*${escaped(checkpoint)}`));
    expect(code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it("a checkpoint of another task than the run's", async () => {
    const out = join(dir, 'other-task-run');
    const args = ['eval', '--checkpoint', bundled, '--task', 'sorting', '--prompts', '2', '--out', out];
    const { code, stderr } = await gemstone(...args);
    expect(stderr).toMatch(/made with the task "arithmetic", but this run's task is "sorting"/);
    expect(code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});
