// `--solver key=value,...` on the commands that make π_ref's traces (sft --task, pipeline, experiment) and
// on task-stats: the option, its check against the task before any run folder is made, and the refusal
// of a π_ref that learned other traces (another solver's, or another difficulty's) than the ones asked for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { DEFAULT_TASK_NAME, getTask } from '../src/tasks/index.ts';
import { learnedRegime, type PolicyExtra } from '../src/pipeline/policy.ts';
import {
  describeSolver,
  parseSolverSpec,
  SOLVER_KEYS,
  sameSolver,
  type SolverSettings,
  SolverSpecError,
} from '../src/tasks/solver-spec.ts';
import type { Task } from '../src/tasks/task.ts';
import { BUNDLED_REFERENCE, referenceForTask, REFERENCE_MODES } from './bundled-reference.ts';
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
 * Refuses --solver or --difficulty when π_ref is not trained in the run and learned other traces: the
 * bundled one, or a --reference folder, whose checkpoint records its difficulty and knobs (no knobs
 * recorded: the defaults). Knobs that are the defaults ask for nothing different.
 */
export function checkReferenceRegime(
  o: { reference: string; preset: string; solver?: string; difficulty?: number },
  task: Task | null,
): void {
  const settings = solverSettings(o.solver, task);
  const runTask = task ?? getTask(DEFAULT_TASK_NAME);
  if (o.reference === 'train' || (o.solver === undefined && o.difficulty === undefined)) return;
  let dir = o.reference;
  let where = `the π_ref in ${o.reference}`;
  if ((REFERENCE_MODES as readonly string[]).includes(o.reference)) {
    if (referenceForTask(o.reference, o.preset, runTask.name, () => {}) === 'train') return;
    dir = BUNDLED_REFERENCE.dir;
    where = 'the bundled π_ref';
  }
  const path = join(dir, 'checkpoint.safetensors');
  const learned = learnedRegime(decodeCheckpoint(new Uint8Array(readFileSync(path)), path).extra as PolicyExtra);
  const retrain = 'give --reference train to train π_ref on them (or a folder from gemstone sft --task';
  if (o.solver !== undefined && !sameSolver(runTask, settings, learned.solver))
    throw new ConfigError(
      `--solver ${o.solver}: ${where} learned the traces of ${describeSolver(learned.solver)}` +
        `, not these; ${retrain} ${runTask.name} --solver ${o.solver}).`,
    );
  if (o.difficulty !== undefined && o.difficulty !== learned.difficulty)
    throw new ConfigError(
      `--difficulty ${o.difficulty}: ${where} learned problems of difficulty ${learned.difficulty}; ${retrain} ` +
        `${runTask.name} --difficulty ${o.difficulty}).`,
    );
}
