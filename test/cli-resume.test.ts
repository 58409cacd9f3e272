// Interrupting `gemstone pipeline` at every stage (SIGINT, SIGTERM, SIGKILL) and resuming it
// ends with the summary, the data and the policy of a run that was never interrupted (same
// seed, same adapter). The stages resume from what was last written atomically: stage markers
// in state.json, checkpoints every few steps, and saved chunks of sampled data.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GEMSTONE_BIN as BIN } from './util/cli.ts';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';

// Small, but every stage has several steps or chunks, so a kill can land inside it.
const ARGS = [
  'pipeline',
  '--preset',
  'tiny',
  '--records',
  '64',
  '--sft-steps',
  '60',
  '--prompts',
  '16',
  '--group',
  '2',
  '--batch',
  '4',
  '--judges',
  'rule,llm,prm',
  '--prm-steps',
  '30',
  '--prm-responses',
  '20',
  '--epochs',
  '2',
  '--eval-prompts',
  '4',
  '--keep-all',
  '--workers',
  '1',
  '--checkpoint-every',
  '5',
  '--profile',
  'software',
];

interface Event {
  event: string;
  stage?: string;
  [key: string]: unknown;
}
interface Outcome {
  code: number | null;
  signal: string | null;
  events: Event[];
  stderr: string;
}

/** Runs gemstone with --json; sends `signal` once an event matches `killWhen`. */
function gemstone(
  args: string[],
  killWhen?: (e: Event) => boolean,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], {
      env: { ...process.env, GEMSTONE_ADAPTER: 'llvmpipe' },
    });
    const events: Event[] = [];
    let stderr = '';
    let buffer = '';
    let sent = false;
    child.stdout.on('data', (data) => {
      buffer += data;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const event = JSON.parse(line) as Event;
        events.push(event);
        if (!sent && killWhen?.(event)) {
          sent = true;
          child.kill(signal);
        }
      }
    });
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    child.on('close', (code, sig) => resolve({ code, signal: sig, events, stderr }));
  });
}

/** The summary without what legitimately differs between runs (timings, folders). */
function summaryOf(dir: string): Record<string, unknown> {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  delete summary.seconds;
  return summary;
}

/** Records of a JSONL file with a header line (the header names folders, which differ). */
function records(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n').slice(1);
}

function parameters(path: string): Record<string, Float32Array> {
  return decodeCheckpoint(new Uint8Array(readFileSync(path)), path).parameters;
}

const root = mkdtempSync(join(tmpdir(), 'gemstone-resume-'));
const baseline = join(root, 'baseline');

describe('gemstone pipeline: interrupted and resumed', () => {
  beforeAll(async () => {
    const run = await gemstone([...ARGS, '--out', baseline]);
    expect(run.code, run.stderr).toBe(0);
  });

  const progressOf = (stage: string, unit: string, atLeast: number) => (e: Event) =>
    e.event === 'progress' && e.stage === stage && (e[unit] as number) >= atLeast;
  const cases: [string, NodeJS.Signals, (e: Event) => boolean][] = [
    ['π_ref SFT, mid-stage', 'SIGINT', progressOf('reference', 'steps', 20)],
    ['π_ref SFT, mid-stage', 'SIGKILL', progressOf('reference', 'steps', 32)],
    ['rollouts, after a chunk', 'SIGKILL', progressOf('iteration-1/rollout', 'responses', 8)],
    ['PRM labels, after a chunk', 'SIGTERM', progressOf('iteration-1/prm-labels', 'responses', 1)],
    ['PRM training, mid-stage', 'SIGKILL', progressOf('iteration-1/prm-train', 'steps', 25)],
    ['annotation', 'SIGKILL', (e) => e.event === 'stage' && e.stage === 'iteration-1/annotate'],
    ['offline RL, after epoch 1', 'SIGKILL', (e) => e.event === 'evaluation' && e.epoch === 1],
  ];

  it.each(cases)('%s (%s)', async (_, signal, killWhen) => {
    const dir = join(root, `${signal}-${Math.random().toString(36).slice(2, 8)}`);
    const first = await gemstone([...ARGS, '--out', dir], killWhen, signal);
    if (signal === 'SIGKILL') {
      expect(first.signal).toBe('SIGKILL');
    } else {
      // Ctrl-C/SIGTERM: the step finishes, a checkpoint is written, the exit says how to resume.
      expect(first.code, first.stderr).toBe(130);
      expect(first.stderr).toContain(`gemstone pipeline --resume ${dir}`);
      expect(first.events.at(-1)).toMatchObject({
        event: 'interrupted',
        signal,
        resume: `gemstone pipeline --resume ${dir}`,
      });
    }
    const second = await gemstone(['pipeline', '--resume', dir]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.events[0]).toMatchObject({ event: 'start', resumed: true });
    expect(summaryOf(dir)).toEqual(summaryOf(baseline));
    expect(records(join(dir, 'iteration-1', 'rollouts.jsonl'))).toEqual(
      records(join(baseline, 'iteration-1', 'rollouts.jsonl')),
    );
    expect(records(join(dir, 'iteration-1', 'annotated.jsonl'))).toEqual(
      records(join(baseline, 'iteration-1', 'annotated.jsonl')),
    );
    // The trained policy is the same to the bit: resume is exact on one adapter.
    const ours = parameters(join(dir, 'iteration-1', 'policy', 'checkpoint.safetensors'));
    const theirs = parameters(join(baseline, 'iteration-1', 'policy', 'checkpoint.safetensors'));
    for (const name of Object.keys(theirs)) expect(Array.from(ours[name]), name).toEqual(Array.from(theirs[name]));
  });
});
