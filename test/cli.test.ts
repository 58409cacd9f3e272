// The command line as a person uses it: doctor, sft with resume, and bad input.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { readRolloutFile } from '../src/data/rollout-files.ts';
import { getTask } from '../src/tasks/index.ts';

const run = promisify(execFile);
const BIN = new URL('../node-runner/bin/gemstone.js', import.meta.url).pathname;

async function gemstone(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, GEMSTONE_ADAPTER: 'llvmpipe' } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('gemstone CLI', () => {
  it('doctor --json names the adapter', async () => {
    const { stdout, code } = await gemstone('doctor', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(report).toMatchObject({ runtime: 'node', backend: 'opengles', kind: 'llvmpipe', fallback: true });
    expect(report.adapter).toMatch(/llvmpipe/i);
    expect(report.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(report.smokeTest.ok).toBe(true);
  });

  it('sft trains, writes a checkpoint and metrics, and resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemstone-cli-'));
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, ['{"prompt":"1+1=","completion":"2"}', '{"prompt":"2+3=","completion":"5"}', '{"prompt":"4+4=","completion":"8"}'].join('\n'));
    const out = join(dir, 'run');
    const first = await gemstone('sft', '--preset', 'tiny', '--data', data, '--out', out, '--steps', '6', '--batch-size', '2', '--log-every', '3', '--samples', '1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/step 6\/6 · loss \d+\.\d+/);
    expect(first.stdout).toMatch(/"1\+1=" → /);
    const checkpoint = decodeCheckpoint(new Uint8Array(readFileSync(join(out, 'checkpoint.safetensors'))), 'checkpoint.safetensors');
    expect(checkpoint.step).toBe(6);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)).toEqual([3, 6]);

    const second = await gemstone('sft', '--preset', 'tiny', '--data', data, '--out', out, '--steps', '9', '--batch-size', '2', '--log-every', '3', '--samples', '0', '--resume');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/steps 7–9/);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)).toEqual([3, 6, 9]);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
  });

  it('names the file, line and field of bad data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemstone-cli-'));
    const data = join(dir, 'bad.jsonl');
    writeFileSync(data, '{"prompt":"a","completion":"b"}\n\n{"prompt":"c"}\n');
    const { code, stderr } = await gemstone('sft', '--data', data, '--out', join(dir, 'run'));
    expect(code).not.toBe(0);
    expect(stderr).toContain(`${data}:3: field "completion"`);
  });

  it('trains π_ref on the built-in task, samples rollouts from it, and evaluates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemstone-cli-'));
    const ref = join(dir, 'ref');
    const sft = await gemstone('sft', '--task', 'arithmetic', '--preset', 'tiny', '--records', '64', '--steps', '4', '--batch-size', '4', '--out', ref, '--eval-prompts', '4', '--samples', '0');
    expect(sft.code, sft.stderr).toBe(0);
    expect(sft.stdout).toMatch(/64 records of arithmetic traces/);
    expect(sft.stdout).toMatch(/held-out greedy accuracy \d+\.\d% on 4 prompts/);

    const out = join(dir, 'rollouts.jsonl');
    const rollout = await gemstone('rollout', '--checkpoint', ref, '--prompts', '3', '--group', '2', '--temperature', '1', '--out', out, '--keep-all');
    expect(rollout.code, rollout.stderr).toBe(0);
    expect(rollout.stdout).toMatch(/sampled: 3 prompts, 6 responses/);
    const { header, rollouts } = await readRolloutFile(out);
    expect(header.sampling.group_size).toBe(2);
    expect(rollouts).toHaveLength(6);
    const task = getTask('arithmetic');
    for (const r of rollouts) {
      expect(r.logprobs_ref).toHaveLength(r.response_tokens.length);
      expect(r.reward).toBe(task.verify({ id: r.prompt_id, prompt: r.prompt, answer: r.reference_answer, data: null }, r.response) ? 1 : 0);
      for (const lp of r.logprobs_ref) expect(lp).toBeLessThanOrEqual(0);
    }

    const evaluation = await gemstone('eval', '--checkpoint', ref, '--prompts', '3', '--samples', '2', '--k', '1,2', '--json');
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const result = JSON.parse(evaluation.stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ prompts: 3, task: 'arithmetic', samples: 2 });
    expect(result.greedyAccuracy).toBeGreaterThanOrEqual(0);
    expect(Object.keys(result.passAtK)).toEqual(['1', '2']);
  });

  it('runs the whole pipeline (a smoke run on a tiny π_ref) and writes summary.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemstone-cli-'));
    const out = join(dir, 'pipeline');
    const run = await gemstone('pipeline', '--preset', 'tiny', '--records', '64', '--sft-steps', '4', '--prompts', '4', '--group', '2', '--judges', 'rule,llm',
      '--epochs', '1', '--eval-prompts', '4', '--keep-all', '--workers', '1', '--out', out);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/llm judge: SIMULATED/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ objective: 'bcpg-nsa', beta: 0.5, tau: 0.05, seed: 1, judges_simulated: ['llm'] });
    for (const key of ['accuracy_before', 'accuracy_after', 'seconds', 'adapter']) expect(summary[key]).not.toBeUndefined();
    expect(summary.dataset).toMatchObject({ prompts: 4, responses: 8 });
    expect(Object.keys(summary.judges)).toEqual(expect.arrayContaining(['rule', 'llm', 'consensus:and']));
    const annotated = readFileSync(join(out, 'iteration-1', 'annotated.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(annotated[0]).annotation.voters).toEqual(['rule', 'llm']);
    expect(annotated).toHaveLength(9);
  });
});
