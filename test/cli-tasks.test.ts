// `--task NAME|PATH` on the command line: the tiny pipeline end to end on the second built-in task
// and on the example module loaded by path (relative to the working folder, or to the --config
// file's folder), the task recorded in every file the run writes, a file made with one task refused
// by another, and a task module that breaks the contract refused with the rule's name before any
// run folder is made.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runGemstone } from './util/cli.ts';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';

const EXAMPLE = join(ROOT, 'examples', 'tasks', 'my-task.ts');

const gemstone = (args: string[], cwd: string = ROOT) => runGemstone(args, { cwd });

/** stderr without Dawn's adapter noise. */
function errors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/Warn|While init|Initialize|artificially reduced/.test(l));
}

const TINY = {
  preset: 'tiny',
  records: 64,
  sftSteps: 8,
  prompts: 4,
  group: 2,
  judges: 'rule,llm',
  epochs: 1,
  evalPrompts: 4,
  keepAll: true,
  workers: 1,
};
const TINY_FLAGS = [
  ...['--preset', 'tiny', '--records', '64', '--sft-steps', '8', '--prompts', '4', '--group', '2'],
  ...['--judges', 'rule,llm', '--epochs', '1', '--eval-prompts', '4', '--keep-all', '--workers', '1'],
];

const firstLine = (path: string) => JSON.parse(readFileSync(path, 'utf8').split('\n')[0]);
const checkpointExtra = (path: string) =>
  decodeCheckpoint(new Uint8Array(readFileSync(path)), path).extra as Record<string, unknown>;

/** The task every file of a pipeline run records: checkpoints, rollout and annotated headers, summary.json. */
function recordedTasks(out: string): Record<string, unknown>[] {
  const pick = (o: Record<string, unknown>) => ({ task: o.task, task_module: o.task_module });
  return [
    pick(checkpointExtra(join(out, 'reference', 'checkpoint.safetensors'))),
    pick(firstLine(join(out, 'iteration-1', 'rollouts.jsonl'))),
    pick(firstLine(join(out, 'iteration-1', 'annotated.jsonl'))),
    pick(checkpointExtra(join(out, 'iteration-1', 'policy', 'checkpoint.safetensors'))),
    pick(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))),
  ];
}

describe('gemstone --task: the tiny pipeline on another task', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gemstone-tasks-'));
  const sortingRun = join(dir, 'sorting');

  it('runs end to end on the built-in sorting task, which every file it writes records', async () => {
    const { stdout, stderr, code } = await gemstone([
      'pipeline',
      '--task',
      'sorting',
      ...TINY_FLAGS,
      '--out',
      sortingRun,
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('task sorting (difficulty 1)');
    // The bundled π_ref learned arithmetic: on sorting, π_ref is trained in the run.
    expect(stdout).toContain('the bundled one learned arithmetic, not sorting, so it is trained here');
    const traces = readFileSync(join(sortingRun, 'iteration-1', 'rollouts.jsonl'), 'utf8').split('\n')[1];
    expect(JSON.parse(traces).prompt_id).toMatch(/^sorting-d1-\d+$/);
    expect(recordedTasks(sortingRun)).toEqual(new Array(5).fill({ task: 'sorting', task_module: undefined }));
  });

  it('runs end to end on examples/tasks/my-task.ts loaded by a path relative to the --config file', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'gemstone-task-config-'));
    const config = join(configDir, 'run.json');
    writeFileSync(config, JSON.stringify({ task: relative(configDir, EXAMPLE), ...TINY }));
    const out = join(dir, 'reverse');
    // Run from another folder: the path is read from the config file's folder, not the working one.
    const { stdout, stderr, code } = await gemstone(['pipeline', '--config', config, '--out', out], tmpdir());
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`task reverse (${EXAMPLE})`);
    // The annotation worker loaded the module too: its oracle labelled every step.
    const annotated = readFileSync(join(out, 'iteration-1', 'annotated.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(annotated).toHaveLength(1 + 8);
    for (const line of annotated.slice(1)) {
      const record = JSON.parse(line);
      expect(record.prompt_id).toMatch(/^reverse-d\d+-\d+$/);
      expect(record.judges.map((j: { name: string }) => j.name)).toEqual(['rule', 'llm', 'oracle']);
    }
    expect(recordedTasks(out)).toEqual(new Array(5).fill({ task: 'reverse', task_module: EXAMPLE }));
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).options.task).toBe(EXAMPLE);
    // export reads the run's annotated files with the module their headers record.
    const exported = join(dir, 'reverse-export');
    const exporting = await gemstone(['export', '--run', out, '--out', exported]);
    expect(exporting.code, exporting.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(exported, 'manifest.json'), 'utf8'))).toMatchObject({
      task: 'reverse',
      task_module: EXAMPLE,
      records: 8,
    });
  });

  it('experiment runs on the module too, and records it in summary.json and results.json', async () => {
    const out = join(dir, 'reverse-experiment');
    const { stderr, code } = await gemstone(
      ['experiment', '--task', EXAMPLE, ...TINY_FLAGS, '--batch', '8', '--eval-samples', '2'].concat([
        '--seeds',
        '2',
        '--methods',
        'bcpg',
        '--out',
        out,
      ]),
    );
    expect(code, stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({
      task: 'reverse',
      task_module: EXAMPLE,
    });
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).config.task).toBe(EXAMPLE);
    expect(firstLine(join(out, 'seed-1', 'iteration-1', 'annotated.jsonl')).task).toBe('reverse');
  });

  it('sft, rollout and eval take the module by a path relative to the working folder', async () => {
    const ref = join(dir, 'reverse-ref');
    const sft = await gemstone(
      ['sft', '--task', relative(dir, EXAMPLE), '--preset', 'tiny', '--records', '32', '--steps', '4'].concat([
        '--eval-prompts',
        '0',
        '--samples',
        '0',
        '--out',
        ref,
      ]),
      dir,
    );
    expect(sft.code, sft.stderr).toBe(0);
    expect(checkpointExtra(join(ref, 'checkpoint.safetensors'))).toMatchObject({
      task: 'reverse',
      task_module: EXAMPLE,
    });
    // rollout and eval find the task from the checkpoint's record, without --task.
    const rollouts = join(dir, 'reverse-rollouts');
    const rollout = await gemstone(
      ['rollout', '--checkpoint', ref, '--prompts', '2', '--group', '2', '--keep-all', '--out', rollouts],
      dir,
    );
    expect(rollout.code, rollout.stderr).toBe(0);
    expect(firstLine(join(rollouts, 'rollouts.jsonl'))).toMatchObject({ task: 'reverse', task_module: EXAMPLE });
    const evaluated = await gemstone([
      'eval',
      '--checkpoint',
      ref,
      '--prompts',
      '2',
      '--samples',
      '0',
      '--out',
      join(dir, 'reverse-eval'),
    ]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    // --samples 0: the headline accuracy is the greedy one, printed once.
    expect(evaluated.stdout.match(/greedy accuracy/g)).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, 'reverse-eval', 'summary.json'), 'utf8'))).toMatchObject({
      task: 'reverse',
      task_module: EXAMPLE,
      prompts: 2,
    });
    // annotate loads the module the rollouts' header records (in its worker too).
    const annotated = join(dir, 'reverse-annotated');
    const annotate = await gemstone(
      [
        'annotate',
        '--data',
        join(rollouts, 'rollouts.jsonl'),
        '--judges',
        'rule',
        '--workers',
        '1',
        '--out',
        annotated,
      ],
      tmpdir(),
    );
    expect(annotate.code, annotate.stderr).toBe(0);
    expect(firstLine(join(annotated, 'annotated.jsonl'))).toMatchObject({ task: 'reverse', task_module: EXAMPLE });
  });

  it('a file made with one task is refused by a run of another, naming the file and both tasks', async () => {
    const checkpoint = join(sortingRun, 'reference', 'checkpoint.safetensors');
    const evaluated = await gemstone([
      'eval',
      '--checkpoint',
      checkpoint,
      '--task',
      'arithmetic',
      '--prompts',
      '2',
      '--out',
      join(dir, 'never-eval'),
    ]);
    expect(evaluated.code).toBe(2);
    expect(existsSync(join(dir, 'never-eval')), 'no run folder').toBe(false);
    expect(errors(evaluated.stderr)[0]).toBe(
      `gemstone eval: ${checkpoint} was made with the task "sorting", but this run's task is "arithmetic": ` +
        'give --task sorting (or a file made with arithmetic).',
    );
    const rollouts = join(sortingRun, 'iteration-1', 'rollouts.jsonl');
    const annotate = await gemstone([
      'annotate',
      '--data',
      rollouts,
      '--task',
      EXAMPLE,
      '--judges',
      'rule',
      '--out',
      join(dir, 'never-annotate'),
    ]);
    expect(annotate.code).toBe(2);
    expect(errors(annotate.stderr)[0]).toBe(
      `gemstone annotate: ${rollouts} was made with the task "sorting", but this run's task is "reverse": ` +
        'give --task sorting (or a file made with reverse).',
    );
    expect(existsSync(join(dir, 'never-annotate')), 'no run folder').toBe(false);
    // The pipeline on sorting from arithmetic's bundled π_ref folder.
    const bundled = join(ROOT, 'assets', 'pi-ref-small');
    const out = join(dir, 'never-pipeline');
    const pipeline = await gemstone([
      'pipeline',
      '--task',
      'sorting',
      '--reference',
      bundled,
      ...TINY_FLAGS,
      '--out',
      out,
    ]);
    expect(pipeline.code).toBe(2);
    expect(errors(pipeline.stderr)).toEqual([
      `gemstone pipeline: ${join(bundled, 'checkpoint.safetensors')} was made with the task "arithmetic", ` +
        `but this run's task is "sorting": give --task arithmetic (or a file made with sorting).`,
    ]);
    expect(existsSync(out), 'no run folder').toBe(false);
    // A PRM of another task is refused by annotate too (the sorting run's rollouts, a PRM trained on reverse).
    const reverseRollouts = join(dir, 'reverse-rollouts', 'rollouts.jsonl');
    const prmOut = join(dir, 'reverse-prm');
    const prm = await gemstone(
      ['prm', '--checkpoint', join(dir, 'reverse-ref'), '--data', reverseRollouts, '--labels', 'oracle'].concat([
        '--steps',
        '2',
        '--out',
        prmOut,
      ]),
    );
    expect(prm.code, prm.stderr).toBe(0);
    expect(checkpointExtra(join(prmOut, 'checkpoint.safetensors'))).toMatchObject({ kind: 'prm', task: 'reverse' });
    const withPrm = await gemstone([
      'annotate',
      '--data',
      rollouts,
      '--judges',
      'prm',
      '--prm',
      prmOut,
      '--out',
      join(dir, 'never-prm'),
    ]);
    expect(withPrm.code).toBe(2);
    expect(existsSync(join(dir, 'never-prm')), 'no run folder').toBe(false);
    expect(withPrm.stderr).toContain(
      `${join(prmOut, 'checkpoint.safetensors')} was made with the task "reverse", but this run's task is "sorting"`,
    );
  });

  it('a task module that breaks the contract is refused with the rule it broke, before any run folder', async () => {
    const broken = join(dir, 'broken-task.ts');
    writeFileSync(
      broken,
      `import reverse from ${JSON.stringify(EXAMPLE)};\n` +
        'export default { ...reverse,\n' +
        '  oracle: (problem, response, steps) => reverse.oracle(problem, response, steps).slice(1) };\n',
    );
    for (const command of ['pipeline', 'sft']) {
      const out = join(dir, `broken-${command}`);
      const { code, stderr } = await gemstone([command, '--task', broken, '--preset', 'tiny', '--out', out]);
      expect(code, stderr).toBe(2);
      expect(errors(stderr)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^gemstone ${command}: --task: Task "reverse" breaks the task contract, rule oracle-count: ` +
              'on reverse-d1-0 \\(natural steps\\) the oracle gave \\d+ labels for \\d+ steps',
          ),
        ),
      ]);
      expect(existsSync(out), 'no run folder').toBe(false);
    }
    const unknown = await gemstone(['pipeline', '--task', 'chess', '--out', join(dir, 'never-unknown')]);
    expect(unknown.code).toBe(2);
    expect(errors(unknown.stderr)[0]).toMatch(
      new RegExp(
        /^error: option '--task <name\|path>' argument 'chess' is invalid\. /.source +
          /must be a built-in task \(arithmetic, sorting\) or the path of a task module/.source,
      ),
    );
  });
});
