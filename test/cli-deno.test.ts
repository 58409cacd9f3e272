// The same CLI under Deno (`deno run -A node-runner/main.ts …`, WebGPU from Deno's own
// navigator.gpu): doctor, and the whole tiny pipeline, uninterrupted and interrupted by
// Ctrl-C then resumed, with the same summary and the same policy to the bit; and the tiny
// pipeline on the sorting task and on the example task module loaded by path (--task).
//
// Deno runs on lavapipe (Vulkan) and Node on llvmpipe (OpenGL ES) here: different adapters,
// so their numbers are compared within each runtime, not across them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';

const DENO = new URL('../node_modules/.bin/deno', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;

const ARGS = [
  'pipeline',
  '--preset',
  'tiny',
  '--records',
  '64',
  '--sft-steps',
  '30',
  '--prompts',
  '8',
  '--group',
  '2',
  '--batch',
  '4',
  '--judges',
  'rule,llm,prm',
  '--prm-steps',
  '10',
  '--prm-responses',
  '16',
  '--epochs',
  '1',
  '--eval-prompts',
  '4',
  '--keep-all',
  '--workers',
  '1',
  '--checkpoint-every',
  '5',
];

interface Event {
  event: string;
  stage?: string;
  [key: string]: unknown;
}

function deno(
  args: string[],
  interruptWhen?: (e: Event) => boolean,
): Promise<{ code: number | null; events: Event[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(DENO, ['run', '-A', 'node-runner/main.ts', ...args, '--json'], { cwd: ROOT });
    const events: Event[] = [];
    let stderr = '';
    let buffer = '';
    let sent = false;
    child.stdout.on('data', (data) => {
      buffer += data;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffer.slice(0, newline)) as Event;
        buffer = buffer.slice(newline + 1);
        events.push(event);
        if (!sent && interruptWhen?.(event)) {
          sent = true;
          child.kill('SIGINT');
        }
      }
    });
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    child.on('close', (code) => resolve({ code, events, stderr }));
  });
}

function summaryOf(dir: string): Record<string, unknown> {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  delete summary.seconds;
  return summary;
}

describe('gemstone CLI in Deno', () => {
  it('doctor: Deno, its adapter, the profile', async () => {
    const { code, events, stderr } = await deno(['doctor']);
    expect(code, stderr).toBe(0);
    const report = events.at(-1)!.summary as Record<string, any>;
    expect(report).toMatchObject({ runtime: 'deno', fallback: true });
    expect(report.smokeTest.ok).toBe(true);
    expect(report.profile.name).toBe('software');
  });

  it('the tiny pipeline end to end; Ctrl-C and --resume end with the same summary and policy', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gemstone-deno-'));
    const whole = join(root, 'whole');
    const first = await deno([...ARGS, '--out', whole]);
    expect(first.code, first.stderr).toBe(0);
    const summary = summaryOf(whole);
    expect(summary.adapter).toMatch(/^deno · wgpu · /);
    for (const key of ['accuracy_before', 'accuracy_after']) expect(typeof summary[key]).toBe('number');
    expect(summary).toMatchObject({
      dataset: { prompts: 8, responses: 16 },
      judges_simulated: ['llm'],
      objective: 'bcpg-nsa',
    });
    expect(Object.keys(summary.judges as object)).toEqual(['rule', 'llm', 'prm', 'consensus:and']);

    const split = join(root, 'split');
    const stopped = await deno(
      [...ARGS, '--out', split],
      (e) => e.event === 'progress' && e.stage === 'iteration-1/rollout',
    );
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain(`deno run -A node-runner/main.ts pipeline --resume ${split}`);
    const resumed = await deno(['pipeline', '--resume', split]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(summaryOf(split)).toEqual(summary);
    const policy = (dir: string) =>
      decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'iteration-1', 'policy', 'checkpoint.safetensors'))))
        .parameters;
    const [a, b] = [policy(whole), policy(split)];
    for (const name of Object.keys(a)) expect(Array.from(b[name]), name).toEqual(Array.from(a[name]));
  });

  it('--task: the tiny pipeline on sorting, and on examples/tasks/my-task.ts loaded by path', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gemstone-deno-tasks-'));
    const tiny = [
      ...['--preset', 'tiny', '--records', '64', '--sft-steps', '8', '--prompts', '4', '--group', '2'],
    ].concat(['--judges', 'rule,llm', '--epochs', '1', '--eval-prompts', '4', '--keep-all', '--workers', '1']);
    const example = join(ROOT, 'examples', 'tasks', 'my-task.ts');
    for (const [task, name, module] of [
      ['sorting', 'sorting', undefined],
      ['./examples/tasks/my-task.ts', 'reverse', example],
    ] as const) {
      const out = join(root, name);
      const { code, stderr } = await deno(['pipeline', '--task', task, ...tiny, '--out', out]);
      expect(code, stderr).toBe(0);
      const summary = summaryOf(out);
      expect(summary.adapter).toMatch(/^deno · /);
      expect(summary).toMatchObject({ task: name, dataset: { prompts: 4, responses: 8 } });
      expect(summary.task_module).toBe(module);
      // The annotation workers (Deno workers) found the task: every record has the oracle's verdicts.
      const annotated = readFileSync(join(out, 'iteration-1', 'annotated.jsonl'), 'utf8')
        .trim()
        .split('\n');
      const header = JSON.parse(annotated[0]);
      expect([header.task, header.task_module]).toEqual([name, module]);
      for (const line of annotated.slice(1)) {
        const record = JSON.parse(line);
        expect(record.prompt_id.startsWith(`${name}-d`)).toBe(true);
        expect(record.judges.map((j: { name: string }) => j.name)).toEqual(['rule', 'llm', 'oracle']);
      }
    }
  });
});
