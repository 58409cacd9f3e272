// Tasks in Deno: loadTask by name and by path (a .ts module, dynamic import),
// checkTask, and the task-side stages, run by test/deno/task-stages.ts.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const DENO = new URL('../node_modules/.bin/deno', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;

describe('tasks in Deno', () => {
  it('loads the example by path and sorting by name, checks them, and annotates their traces', () => {
    const run = spawnSync(DENO, ['run', '-A', 'test/deno/task-stages.ts', './examples/tasks/my-task.ts', 'sorting'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(out.runtime).toBe('deno');
    expect(out.reverse).toMatchObject({ rules: 14 });
    expect(out.sorting).toMatchObject({ rules: 14 });
    for (const name of ['reverse', 'sorting']) {
      expect(out[name].negatives).toBeGreaterThan(0);
      expect(out[name].kept).toBeGreaterThan(0);
      expect(out[name].rejected).toBeGreaterThan(0);
    }
  });

  it('refuses an unknown task with the list of tasks', () => {
    const run = spawnSync(DENO, ['run', '-A', 'test/deno/task-stages.ts', 'chess'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Unknown task "chess"; the tasks are: arithmetic, sorting/);
  });
});
