// `--solver key=value,...` on the commands that make π_ref's traces (sft --task, pipeline, experiment) and
// on task-stats: the option, its check against the task before any run folder is made, and the refusal
// of a π_ref that learned another solver's traces than the one asked for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { DEFAULT_TASK_NAME, getTask } from '../src/tasks/index.ts';
import {
  formatSolverSpec,
  parseSolverSpec,
  resolvedSolver,
  SOLVER_KEYS,
  type SolverSettings,
  SolverSpecError,
} from '../src/tasks/solver-spec.ts';
import type { Task } from '../src/tasks/task.ts';
import { referenceForTask, REFERENCE_MODES } from './bundled-reference.ts';
import { ConfigError } from './config.ts';
import type { OptionSpec } from './spec.ts';

export function solverOption(help: string): OptionSpec {
  return {
    key: 'solver',
    help:
      `${help}: key=value,... of ${SOLVER_KEYS.join(', ')} (probabilities, a length, uniform|early|late) and ` +
      "the task's own (arithmetic: slipShape=clamped|symmetric|reflected); docs/tasks.md",
    kind: { type: 'string' },
    arg: '<key=value,...>',
  };
}

/** The --solver text read for the task, or a ConfigError naming the key (exit status 2, nothing done). */
export function solverSettings(text: string | undefined, task: Task | null): SolverSettings {
  if (text === undefined) return {};
  try {
    return parseSolverSpec(text, task ?? getTask(DEFAULT_TASK_NAME));
  } catch (error) {
    if (error instanceof SolverSpecError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * Refuses --solver when π_ref is not trained in the run and learned another solver's traces: the bundled
 * one (the default knobs), or a --reference folder whose checkpoint records other knobs (none recorded:
 * the defaults). Knobs that are the defaults ask for nothing different.
 */
export function checkReferenceSolver(
  o: { reference: string; preset: string; solver?: string },
  task: Task | null,
): void {
  const settings = solverSettings(o.solver, task);
  const runTask = task ?? getTask(DEFAULT_TASK_NAME);
  if (o.solver === undefined || o.reference === 'train') return;
  let learned: SolverSettings = {};
  let where: string;
  if ((REFERENCE_MODES as readonly string[]).includes(o.reference)) {
    if (referenceForTask(o.reference, o.preset, runTask.name, () => {}) === 'train') return;
    where = 'the bundled π_ref';
  } else {
    const path = join(o.reference, 'checkpoint.safetensors');
    const extra = (decodeCheckpoint(new Uint8Array(readFileSync(path)), path).extra ?? {}) as { solver?: unknown };
    learned = (extra.solver ?? {}) as SolverSettings;
    where = `the π_ref in ${o.reference}`;
  }
  const same = JSON.stringify(resolvedSolver(runTask, settings)) === JSON.stringify(resolvedSolver(runTask, learned));
  if (!same)
    throw new ConfigError(
      `--solver ${o.solver}: ${where} learned the traces of ${formatSolverSpec(learned) || "the solver's defaults"}, ` +
        'not these; give --reference train to train π_ref on them (or a folder from gemstone sft --task ' +
        `${runTask.name} --solver ${o.solver}).`,
    );
}
