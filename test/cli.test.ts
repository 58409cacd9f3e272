// The command line as a person uses it: help, doctor, config files and flags, bad input,
// run folders, every command end to end on the tiny preset, --json and --quiet, export.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { readRolloutFile } from '../src/data/rollout-files.ts';
import { getTask } from '../src/tasks/index.ts';
import { annotateCommand } from '../node-runner/commands/annotate.ts';
import { doctorCommand } from '../node-runner/commands/doctor.ts';
import { evalCommand } from '../node-runner/commands/evaluate.ts';
import { exportCommand } from '../node-runner/commands/export.ts';
import { taskStatsCommand } from '../node-runner/commands/task-stats.ts';
import { pipelineCommand } from '../node-runner/commands/pipeline.ts';
import { prmCommand } from '../node-runner/commands/prm.ts';
import { rolloutCommand } from '../node-runner/commands/rollout.ts';
import { sftCommand } from '../node-runner/commands/sft.ts';
import { trainCommand } from '../node-runner/commands/train.ts';
import { GEMSTONE_BIN, llvmpipeEnv, runGemstone } from './util/cli.ts';
import { PROFILES, type ProfileName } from '../src/pipeline/defaults.ts';

const SECRET = 'sk-gemstone-test-secret-0123456789';

const gemstone = (...args: string[]) => runGemstone(args, { env: llvmpipeEnv({ GEMSTONE_LLM_API_KEY: SECRET }) });

/** stderr without Dawn's adapter noise. */
function errors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/Warn|While init|Initialize|artificially reduced/.test(l));
}

function events(stdout: string): { event: string; [key: string]: unknown }[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gemstone-cli-'));
}

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const TINY_PIPELINE = [
  '--preset',
  'tiny',
  '--records',
  '64',
  '--sft-steps',
  '8',
  '--prompts',
  '4',
  '--group',
  '2',
  '--judges',
  'rule,llm',
  '--epochs',
  '1',
  '--eval-prompts',
  '4',
  '--keep-all',
  '--workers',
  '1',
];

const COMMANDS: [string, () => Command][] = [
  ['doctor', doctorCommand],
  ['pipeline', pipelineCommand],
  ['sft', sftCommand],
  ['rollout', rolloutCommand],
  ['prm', prmCommand],
  ['annotate', annotateCommand],
  ['train', trainCommand],
  ['eval', evalCommand],
  ['export', exportCommand],
  ['task-stats', taskStatsCommand],
];

describe('gemstone CLI: help and options', () => {
  it('lists every command, and each command explains every option', async () => {
    const top = await gemstone('--help');
    expect(top.code).toBe(0);
    for (const [name] of COMMANDS) expect(top.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    for (const [name, make] of COMMANDS) {
      const { stdout, code } = await gemstone(name, '--help');
      expect(code, name).toBe(0);
      const options = make().options;
      expect(options.length).toBeGreaterThan(3);
      for (const option of options) {
        expect(option.description.length, `${name} ${option.long}`).toBeGreaterThan(10);
        expect(stdout, `${name} --help shows ${option.long}`).toContain(option.long!);
      }
      expect(stdout).toContain('--config FILE.json');
    }
  });

  const doctorTitle =
    'doctor names the adapter, runs the smoke test, and says which profile a bare pipeline would use and why';
  it(doctorTitle, async () => {
    const { stdout, code } = await gemstone('doctor', '--json');
    expect(code).toBe(0);
    const done = events(stdout).at(-1)!;
    expect(done.event).toBe('done');
    const report = done.summary as Record<string, any>;
    expect(report).toMatchObject({ runtime: 'node', backend: 'opengles', kind: 'llvmpipe', fallback: true });
    expect(report.smokeTest.ok).toBe(true);
    expect(report.profile.name).toBe('software');
    expect(report.profile.reason).toMatch(/software adapter/);
    expect(report.profile.pipeline.sftSteps).toBeGreaterThan(0);

    const human = await gemstone('doctor');
    expect(human.stdout).toMatch(/^profile\s+software, because .*software adapter/m);
    expect(human.stdout).toMatch(/a bare `gemstone pipeline` would run: π_ref: the bundled small one/);
  });
});

describe('gemstone CLI: bad input gets one clear error before any work starts', () => {
  const dir = tempDir();
  const bad = async (config: string, ...flags: string[]) => {
    const path = join(dir, `run-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, config);
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const result = await gemstone('pipeline', '--config', path, '--out', out, ...flags);
    expect(result.code, result.stderr).toBe(2);
    expect(existsSync(out), 'no run folder for a bad config').toBe(false);
    const lines = errors(result.stderr);
    expect(lines).toHaveLength(1);
    return { path, line: lines[0] };
  };

  it('an unknown key: file, line, key and a suggestion', async () => {
    const { path, line } = await bad('{\n  "preset": "tiny",\n  "sftStep": 10\n}\n');
    expect(line).toBe(
      `gemstone pipeline: ${path}:3: unknown key "sftStep" for gemstone pipeline (did you mean "sftSteps"?).`,
    );
  });

  it('a wrong type', async () => {
    const { path, line } = await bad('{\n  "seed": "one"\n}');
    expect(line).toBe(`gemstone pipeline: ${path}:2: "seed": must be a positive integer, got "one"`);
  });

  it('a path that does not exist', async () => {
    const { path, line } = await bad('{"reference": "no/such/ref"}');
    expect(line).toBe(`gemstone pipeline: ${path}:1: "reference": no such folder: ${join(dir, 'no/such/ref')}`);
  });

  it('a negative batch size (kebab-case key)', async () => {
    const { path, line } = await bad('{\n  "sft-batch-size": -4\n}');
    expect(line).toBe(`gemstone pipeline: ${path}:2: "sft-batch-size": must be a positive integer, got -4`);
  });

  it('invalid JSON names the line', async () => {
    const { path, line } = await bad('{\n  "seed": 1,\n}');
    expect(line).toMatch(new RegExp(`^gemstone pipeline: ${path}:3: not valid JSON`));
  });

  it('a bad flag value, and an option of another command', async () => {
    const flag = await gemstone('pipeline', '--sft-batch-size', '-4', '--out', join(dir, 'never'));
    expect(flag.code).toBe(2);
    expect(errors(flag.stderr)[0]).toMatch(
      /option '--sft-batch-size <n>' argument '-4' is invalid\. must be a positive integer, got -4/,
    );
    const other = await gemstone('rollout', '--steps', '3');
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/unknown option '--steps'/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
    // A URL with a password is refused without being echoed.
    const url = await gemstone(
      'annotate',
      '--data',
      GEMSTONE_BIN,
      '--llm-url',
      'https://user:hunter2@example.com/v1',
      '--out',
      join(dir, 'never'),
    );
    expect(url.code).toBe(2);
    expect(errors(url.stderr)).toEqual([
      'gemstone annotate: --llm-url: must not hold credentials (put the key in env GEMSTONE_LLM_API_KEY), got that URL',
    ]);
  });

  it('bad rollouts: the file and line, before a run folder exists', async () => {
    const data = join(dir, 'rollouts.jsonl');
    writeFileSync(data, '{"format":"gemstone-rollouts"}\n');
    const out = join(dir, 'annotate-bad');
    const { code, stderr } = await gemstone('annotate', '--data', data, '--judges', 'rule', '--out', out);
    expect(code).toBe(2);
    expect(errors(stderr)[0]).toMatch(new RegExp(`^gemstone annotate: ${data}:1`));
    expect(existsSync(out)).toBe(false);
  });

  it('bad data: the file, line and field', async () => {
    const data = join(dir, 'bad.jsonl');
    writeFileSync(data, '{"prompt":"a","completion":"b"}\n\n{"prompt":"c"}\n');
    const out = join(dir, 'sft-bad');
    const { code, stderr } = await gemstone('sft', '--data', data, '--out', out);
    expect(code).toBe(2);
    expect(stderr).toContain(`${data}:3: field "completion"`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('gemstone CLI: runs', () => {
  it('sft trains into a run folder, refuses to overwrite it, and --resume continues it', async () => {
    const dir = tempDir();
    const data = join(dir, 'data.jsonl');
    writeFileSync(
      data,
      [
        '{"prompt":"1+1=","completion":"2"}',
        '{"prompt":"2+3=","completion":"5"}',
        '{"prompt":"4+4=","completion":"8"}',
      ].join('\n'),
    );
    const out = join(dir, 'run');
    const args = [
      '--preset',
      'tiny',
      '--data',
      data,
      '--steps',
      '6',
      '--batch-size',
      '2',
      '--log-every',
      '3',
      '--no-progress',
    ];
    const first = await gemstone('sft', ...args, '--samples', '1', '--out', out);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/sft 6\/6 steps · loss \d+\.\d+ · lr [\d.e-]+ · tok\/s \d+/);
    expect(first.stdout).toMatch(/"1\+1=" → /);
    expect(decodeCheckpoint(new Uint8Array(readFileSync(join(out, 'checkpoint.safetensors'))), 'checkpoint').step).toBe(
      6,
    );
    expect(
      readFileSync(join(out, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).step),
    ).toEqual([3, 6]);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      command: 'sft',
      profile: 'software',
      options: { steps: 6, batchSize: 2, data, preset: 'tiny', lr: 3e-3 },
    });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({ step: 6 });

    const again = await gemstone('sft', ...args, '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already holds a run; continue it with --resume');

    const second = await gemstone('sft', '--resume', out, '--steps', '9', '--samples', '0');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/resuming with changed options: steps 6 → 9/);
    expect(second.stdout).toMatch(/steps 7–9/);
    expect(
      readFileSync(join(out, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).step),
    ).toEqual([3, 6, 9]);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).options.steps).toBe(9);
  });

  it('every stage as its own command: sft --task, rollout, eval, prm, annotate, train, export', async () => {
    const dir = tempDir();
    const ref = join(dir, 'ref');
    const sft = await gemstone(
      'sft',
      '--task',
      'arithmetic',
      '--preset',
      'tiny',
      '--records',
      '64',
      '--steps',
      '4',
      '--batch-size',
      '4',
      '--out',
      ref,
      '--eval-prompts',
      '4',
      '--samples',
      '0',
    );
    expect(sft.code, sft.stderr).toBe(0);
    expect(sft.stdout).toMatch(/64 records of arithmetic traces/);
    expect(sft.stdout).toMatch(/held-out greedy accuracy \d+\.\d% on 4 prompts/);

    const rollouts = join(dir, 'rollouts');
    const rollout = await gemstone(
      'rollout',
      '--checkpoint',
      ref,
      '--prompts',
      '3',
      '--group',
      '2',
      '--temperature',
      '1',
      '--out',
      rollouts,
      '--keep-all',
    );
    expect(rollout.code, rollout.stderr).toBe(0);
    expect(rollout.stdout).toMatch(/sampled: 3 prompts, 6 responses/);
    const { header, rollouts: data } = await readRolloutFile(join(rollouts, 'rollouts.jsonl'));
    expect(header.sampling.group_size).toBe(2);
    expect(data).toHaveLength(6);
    const task = getTask('arithmetic');
    for (const r of data) {
      expect(r.logprobs_ref).toHaveLength(r.response_tokens.length);
      expect(r.reward).toBe(
        task.verify({ id: r.prompt_id, prompt: r.prompt, answer: r.reference_answer, data: null }, r.response) ? 1 : 0,
      );
    }
    expect(existsSync(join(rollouts, 'rollout-chunks')), 'chunks are removed once the output is whole').toBe(false);

    const evaluation = await gemstone(
      'eval',
      '--checkpoint',
      ref,
      '--prompts',
      '3',
      '--samples',
      '2',
      '--k',
      '1,2',
      '--out',
      join(dir, 'eval'),
      '--json',
    );
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const result = events(evaluation.stdout).at(-1)!.summary as Record<string, any>;
    expect(result).toMatchObject({ prompts: 3, task: 'arithmetic', samples: 2 });
    expect(Object.keys(result.passAtK)).toEqual(['1', '2']);

    const prm = await gemstone(
      'prm',
      '--checkpoint',
      ref,
      '--data',
      join(rollouts, 'rollouts.jsonl'),
      '--labels',
      'oracle',
      '--steps',
      '3',
      '--out',
      join(dir, 'prm'),
    );
    expect(prm.code, prm.stderr).toBe(0);
    expect(existsSync(join(dir, 'prm', 'checkpoint.safetensors'))).toBe(true);

    const annotated = join(dir, 'annotated');
    const annotate = await gemstone(
      'annotate',
      '--data',
      join(rollouts, 'rollouts.jsonl'),
      '--judges',
      'llm,prm',
      '--prm',
      join(dir, 'prm'),
      '--workers',
      '1',
      '--stepwise',
      '--out',
      annotated,
    );
    expect(annotate.code, annotate.stderr).toBe(0);
    expect(annotate.stdout).toMatch(/llm judge: SIMULATED/);
    expect(readFileSync(join(annotated, 'stepwise.jsonl'), 'utf8').trim().split('\n')).toHaveLength(6);

    const train = await gemstone(
      'train',
      '--data',
      join(annotated, 'annotated.jsonl'),
      '--checkpoint',
      ref,
      '--epochs',
      '1',
      '--eval-prompts',
      '2',
      '--samples',
      '0',
      '--out',
      join(dir, 'rl'),
      '--quiet',
    );
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^held-out greedy accuracy \d+\.\d% → \d+\.\d% \(bcpg-nsa\)$/),
    ]);
    expect(existsSync(join(dir, 'rl', 'checkpoint.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'rl', 'resume.safetensors'))).toBe(false);

    const exported = join(dir, 'export');
    const exp = await gemstone(
      'export',
      '--data',
      join(annotated, 'annotated.jsonl'),
      '--beta',
      '0.25',
      '--out',
      exported,
    );
    expect(exp.code, exp.stderr).toBe(0);
    const dataset = readFileSync(join(exported, 'dataset.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dataset).toHaveLength(6);
    let mined = 0;
    for (const r of dataset) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining([
          'prompt',
          'response',
          'reward',
          'steps',
          'beta_weights',
          'ref_logprobs',
          'response_tokens',
        ]),
      );
      expect(r.ref_logprobs).toHaveLength(r.response_tokens.length);
      expect(r.beta_weights).toHaveLength(r.response_tokens.length);
      r.beta_weights.forEach((w: number, j: number) =>
        expect(w).toBe(r.reward === 0 && r.beta_mask[j] === 1 ? 0.25 : 1),
      );
      mined += r.beta_weights.filter((w: number) => w === 0.25).length;
      expect(r.steps.map((s: { text: string }) => s.text).join('')).toBe(r.response);
      for (const s of r.steps) {
        expect(Object.keys(s.labels)).toEqual(['llm', 'prm', 'oracle']);
        // The PRM gives a probability with each label (it abstains on steps past its context).
        if (s.labels.prm !== null) expect(s.scores.prm).toBeGreaterThanOrEqual(0);
        expect([0, 1]).toContain(s.consensus);
      }
    }
    const stepwise = readFileSync(join(exported, 'stepwise.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(stepwise[0]).toEqual({
      prompt: dataset[0].prompt,
      completions: dataset[0].steps.map((s: { text: string }) => s.text),
      labels: dataset[0].steps.map((s: { consensus: number }) => s.consensus === 1),
    });
    const manifest = JSON.parse(readFileSync(join(exported, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'gemstone-export',
      records: 6,
      beta: 0.25,
      judges: ['llm', 'prm'],
      simulated_judges: ['llm'],
      mined_tokens: mined,
    });
  });

  const configFileTitle =
    'pipeline from a config file with flags over it: summary, resolved config without secrets, --json events';
  it(configFileTitle, async () => {
    const dir = tempDir();
    const config = join(dir, 'run.json');
    writeFileSync(
      config,
      JSON.stringify(
        {
          command: 'pipeline',
          preset: 'tiny',
          records: 64,
          'sft-steps': 8,
          prompts: 4,
          group: 2,
          judges: 'rule,llm',
          epochs: 1,
          evalPrompts: 4,
          keepAll: true,
          workers: 1,
          seed: 3,
          out: 'runs/p',
        },
        null,
        2,
      ),
    );
    const { stdout, stderr, code } = await gemstone('pipeline', '--config', config, '--seed', '2', '--json');
    expect(code, stderr).toBe(0);
    const out = join(dir, 'runs', 'p'); // relative to the config file
    const all = events(stdout); // every line of stdout is one JSON event
    expect(all[0]).toMatchObject({
      event: 'start',
      command: 'pipeline',
      dir: out,
      resumed: false,
      profile: 'software',
    });
    expect(all.filter((e) => e.event === 'stage').map((e) => e.stage)).toEqual([
      'reference',
      'iteration-1/rollout',
      'iteration-1/annotate',
      'iteration-1/train',
    ]);
    const progress = all.find((e) => e.event === 'progress' && e.stage === 'reference')!;
    expect(progress).toMatchObject({ steps: 8, total: 8 });
    for (const key of ['loss', 'tokens_per_s', 'eta_s']) expect(typeof progress[key]).toBe('number');
    const done = all.at(-1)!;
    expect(done.event).toBe('done');

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(done.summary).toEqual(summary);
    expect(summary).toMatchObject({
      objective: 'bcpg-nsa',
      beta: 0.5,
      tau: 0.05,
      seed: 2,
      judges_simulated: ['llm'],
      dataset: { prompts: 4, responses: 8 },
    });
    for (const key of ['accuracy_before', 'accuracy_after']) expect(typeof summary[key]).toBe('number');
    expect(Object.keys(summary.judges)).toEqual(['rule', 'llm', 'consensus:and']);
    const resolved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    // The file's values, the flags over them, and the profile's defaults for the rest.
    const { lr, adamEps } = PROFILES[resolved.profile as ProfileName].pipeline;
    expect(resolved.options).toMatchObject({
      seed: 2,
      sftSteps: 8,
      judges: ['rule', 'llm'],
      tau: 0.05,
      lr,
      adamEps,
      out,
    });
    expect(resolved.options.json).toBeUndefined();
    const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    expect(Object.keys(state.stages)).toEqual([
      'reference',
      'iteration-1/rollout',
      'iteration-1/annotate',
      'iteration-1/train',
    ]);
    // export --run finds the run's annotated data and takes its β.
    const exported = await gemstone('export', '--run', out, '--out', join(dir, 'export'));
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'export', 'manifest.json'), 'utf8'))).toMatchObject({
      records: 8,
      beta: 0.5,
      judges: ['rule', 'llm'],
    });
    expect(
      readFileSync(join(dir, 'export', 'dataset.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).iteration),
    ).toEqual(new Array(8).fill(1));
    // GEMSTONE_LLM_API_KEY was set: it appears in no output and no file of the run.
    expect(stdout + stderr).not.toContain(SECRET);
    for (const file of filesUnder(out)) expect(readFileSync(file).includes(SECRET), file).toBe(false);
  });

  it("pipeline --quiet prints only the result: accuracy before and after, and the judges' agreement", async () => {
    const out = join(tempDir(), 'p');
    const { stdout, stderr, code } = await gemstone('pipeline', ...TINY_PIPELINE, '--out', out, '--quiet');
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          /^held-out accuracy \(pass@1: \d+ samples at temperature 0\.7\) on 4 prompts: /.source +
            /π_ref \d+\.\d% → bcpg-nsa \d+\.\d%$/.source,
        ),
      ),
      expect.stringMatching(/^ {2}greedy \d+\.\d% → \d+\.\d% · pass@1 .* → pass@1 /),
      expect.stringMatching(
        /^judge agreement with the oracle, precision \/ recall: rule .* · llm \(SIMULATED\) .* · consensus:and /,
      ),
      expect.stringMatching(/^summary: .*summary\.json · \d+ s$/),
    ]);
  });
});
