// The task-agnostic core: segmentation, judges, consensus, objectives,
// training and the model know a task only through src/tasks/task.ts (and the
// registry, src/tasks/index.ts, by name). No module there imports a
// particular task or names one, so a task from outside the repository gets
// exactly what a built-in one gets.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TASK_NAMES } from '../src/tasks/index.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const CORE = ['src/segment', 'src/judge', 'src/objectives', 'src/train', 'src/model'];
/** The only modules under src/tasks the core may import. */
const ALLOWED_TASK_IMPORTS = new Set(['src/tasks/task.ts', 'src/tasks/index.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(?:ts|js|mjs|wgsl)$/.test(e.name) ? [path] : [];
  });
}

/** Every import or export-from specifier of a module, resolved against the repository root. */
function imports(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, join(ROOT, file, '..', s)).replaceAll('\\', '/'));
}

describe('the core names no particular task', () => {
  const files = CORE.flatMap(sourceFiles);

  it('finds the core modules', () => {
    for (const dir of CORE) expect(files.some((f) => f.startsWith(dir))).toBe(true);
    expect(TASK_NAMES.length).toBeGreaterThanOrEqual(2);
  });

  it('imports from src/tasks only the interface and the registry', () => {
    const offending = files.flatMap((file) =>
      imports(file, readFileSync(join(ROOT, file), 'utf8'))
        .filter((target) => target.startsWith('src/tasks/') && !ALLOWED_TASK_IMPORTS.has(target))
        .map((target) => `${file} imports ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('never names a built-in task, in code, strings or comments', () => {
    const names = new RegExp(`\\b(?:${TASK_NAMES.join('|')})\\b`, 'i');
    const offending = files.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (names.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });

  it('the stage library and the annotation workers never name a built-in task either', () => {
    // They take the run's task (or load the one a file records), so `--task ./my-task.ts` reaches every stage.
    const names = new RegExp(`\\b(?:${TASK_NAMES.join('|')})\\b`, 'i');
    const stages = ['src/pipeline', 'src/workers'].flatMap(sourceFiles);
    expect(stages.length).toBeGreaterThan(10);
    const offending = stages.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (names.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });

  it('would catch an offending line (the check itself can fail)', () => {
    const names = new RegExp(`\\b(?:${TASK_NAMES.join('|')})\\b`, 'i');
    expect(names.test("import { arithmetic } from '../tasks/arithmetic.ts';")).toBe(true);
    expect(imports('src/judge/x.ts', "import { applyOp } from '../tasks/arithmetic/format.ts';")).toEqual([
      'src/tasks/arithmetic/format.ts',
    ]);
  });
});
