// `gemstone pipeline`: every stage with defaults — SFT of π_ref on the built-in
// task, rollouts, (PRM training,) annotation, offline RL, evaluation — for N
// iterations (the trained policy becomes the next π_ref), then summary.json.
//
// Each stage is recorded in state.json once complete; an interrupted run
// resumes at the first incomplete stage, which itself resumes from its own
// last checkpoint or chunk, so the summary is the one an uninterrupted run
// with the same seed and adapter writes. The stages and the loop over them are
// the stage library's (src/pipeline/pipeline.ts), which the page runs too; this
// command keeps the options, the run folder and the terminal (node-runner/face.ts).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PRESETS } from '../../src/model/config.ts';
import type { PipelineOptions } from '../../src/pipeline/defaults.ts';
import { pct } from '../../src/pipeline/evaluate.ts';
import { CHECKPOINT, type PolicyRef } from '../../src/pipeline/face.ts';
import { runPipelineRounds } from '../../src/pipeline/pipeline.ts';
import { DEFAULT_TASK_NAME, describeTask, getTask, taskRecord } from '../../src/tasks/index.ts';
import { checkReferenceTask, REFERENCE_MODES, referenceForTask, referenceProblem } from '../bundled-reference.ts';
import { defineCommand, shown, type RunContext } from '../command.ts';
import { ConfigError } from '../config.ts';
import { nodeFace } from '../face.ts';
import { FolderStore } from '../file-store.ts';
import { PROFILES } from '../presets.ts';
import type { StageIO } from '../reporter.ts';
import { checkReferenceRegime, solverOption, solverSettings } from '../solver-option.ts';
import { choice, int, num, taskOption, type DefaultContext, type OptionSpec } from '../spec.ts';
import { JUDGE_OPTIONS } from './annotate.ts';
import { profileHelp } from './sft.ts';
import { RL_OPTIONS } from './train.ts';

export type { PipelineOptions };

const P = (c: DefaultContext) => PROFILES[c.profile].pipeline;
/** An option whose default is the profile's value of the same name. */
const fromProfile = (
  key: keyof (typeof PROFILES)['software']['pipeline'],
  help: string,
  kind: OptionSpec['kind'],
): OptionSpec => ({
  key,
  help,
  kind,
  default: (c: DefaultContext) => P(c)[key],
  defaultHelp: profileHelp(key),
});

export const PIPELINE_OPTIONS: OptionSpec[] = [
  taskOption('the task to train on', DEFAULT_TASK_NAME),
  fromProfile('preset', 'model size of π_ref', choice(Object.keys(PRESETS))),
  fromProfile(
    'reference',
    `π_ref: "bundled" (arithmetic's, small preset, trained by gemstone; assets/pi-ref-small; another task or ` +
      'preset trains one), "train" (SFT here with the options below), or a folder from gemstone sft --task',
    { type: 'dir', or: REFERENCE_MODES },
  ),
  fromProfile('records', 'noisy-solver traces π_ref learns from', int()),
  solverOption("π_ref's traces: the noisy solver's knobs (default: the task's; needs a π_ref trained on them)"),
  fromProfile('sftSteps', 'π_ref SFT steps', int()),
  fromProfile('sftLr', 'π_ref SFT peak learning rate', num({ positive: true })),
  fromProfile('sftBatchSize', 'π_ref SFT sequences per step', int()),
  fromProfile('sftWarmup', 'π_ref SFT warmup steps', int(0)),
  fromProfile('prompts', 'rollout prompts per iteration', int()),
  fromProfile('group', 'responses per prompt (G)', int()),
  fromProfile('temperature', 'rollout (and Monte-Carlo label) temperature', num({ positive: true })),
  ...JUDGE_OPTIONS,
  fromProfile('prmSteps', 'PRM training steps', int()),
  fromProfile('prmResponses', 'responses the PRM learns from (Monte-Carlo labels are the costly part)', int()),
  fromProfile('prmLr', 'PRM peak learning rate', num({ positive: true })),
  fromProfile('prmBatchSize', 'PRM sequences per step', int()),
  fromProfile('completions', 'Monte-Carlo completions per step prefix for PRM labels', int()),
  ...RL_OPTIONS,
  fromProfile(
    'evalSamples',
    'samples per held-out prompt for pass@1 and pass@n at each evaluation (0: greedy only)',
    int(0),
  ),
  fromProfile('iterations', 'rollout → annotate → train rounds (the trained policy becomes the next π_ref)', int()),
  fromProfile('seed', 'seed of every stage', int()),
  {
    key: 'keepAll',
    help: 'keep all-right and all-wrong groups (they carry no advantage; for smoke runs of a weak π_ref)',
    kind: { type: 'boolean' },
  },
  fromProfile('batch', 'rows generated together (rollouts, evaluation, Monte-Carlo labels)', int()),
  fromProfile(
    'checkpointEvery',
    'training stages write a checkpoint every n steps (also on Ctrl-C and at the end)',
    int(),
  ),
];

export const DIFFICULTY_OPTION: OptionSpec = {
  key: 'difficulty',
  help: "problem difficulty π_ref is trained at (with --reference train; rollouts and evaluation follow π_ref's)",
  kind: int(0),
  defaultHelp: "the task's",
};

export function pipelineCommand() {
  return defineCommand<PipelineOptions & { difficulty?: number }>({
    name: 'pipeline',
    description:
      'the whole BCPG-NSA pipeline on a task (--task; arithmetic by default): π_ref SFT → rollouts → PRM → ' +
      "judges + consensus → offline RL → evaluation; prints accuracy before and after and the judges' agreement",
    options: [...PIPELINE_OPTIONS, DIFFICULTY_OPTION],
    examples: [
      'gemstone pipeline',
      'gemstone pipeline --reference runs/ref --out runs/pipeline',
      'gemstone pipeline --preset tiny --sft-steps 20 --keep-all      # a one-minute smoke run',
      'gemstone pipeline --task sorting --preset tiny --sft-steps 200  # another built-in task',
      'gemstone pipeline --reference train --solver slipWhere=late,catchRate=0.8   # π_ref in another regime',
      'gemstone pipeline --task ./my-task.ts --preset tiny            # your own task (docs/tasks.md)',
      'gemstone pipeline --resume runs/pipeline',
      'gemstone pipeline --config run.json --json | jq -c \'select(.event == "done")\'',
    ],
    validate: (o) => {
      const problem = referenceProblem(o.reference, (dir) => existsSync(join(dir, 'checkpoint.safetensors')));
      if (problem !== null) {
        throw new ConfigError(problem);
      }
    },
    prepare: (o, task) => {
      checkReferenceTask(o.reference, task);
      checkReferenceRegime(o, task);
    },
    run: runPipeline,
  });
}

export async function runPipeline({
  options: o,
  folder,
  reporter,
  interrupt,
  task: loaded,
}: RunContext<PipelineOptions & { difficulty?: number }>): Promise<Record<string, unknown>> {
  const options = o as PipelineOptions;
  const task = loaded ?? getTask(DEFAULT_TASK_NAME);
  const difficulty = o.difficulty ?? task.defaultDifficulty;
  const face = nodeFace({ folder, reporter, interrupt, adapter: options.adapter, llm: options, task });
  reporter.info(`task ${describeTask(task)} (difficulty ${difficulty})`);
  const reference = referenceForTask(options.reference, options.preset, task.name, (line) => reporter.info(line));
  const describe = (ref: PolicyRef) => {
    const dir = ref.store.locate('');
    return relative(folder.dir, dir) || dir;
  };
  const rounds = await runPipelineRounds(face, options, {
    task,
    difficulty,
    reference: reference === 'train' ? 'train' : { store: new FolderStore(reference), name: CHECKPOINT },
    describe,
  });
  const summary: Record<string, unknown> = {
    ...taskRecord(task),
    ...(options.solver !== undefined ? { solver: solverSettings(options.solver, task) } : {}),
    ...rounds,
    seconds: folder.seconds,
  };
  printResult(reporter, summary as Parameters<typeof printResult>[1], options);
  reporter.result(`summary: ${shown(join(folder.dir, 'summary.json'))} · ${folder.seconds.toFixed(0)} s`);
  return summary;
}

/** The lines a person reads at the end: accuracy before and after, and how well the judges agreed with the oracle. */
function printResult(
  reporter: StageIO['reporter'],
  s: {
    accuracy_before: number | null;
    accuracy_after: number | null;
    accuracy_measure: string | null;
    greedy_accuracy_before: number | null;
    greedy_accuracy_after: number | null;
    pass_at_k_before: Record<number, number> | null;
    pass_at_k_after: Record<number, number> | null;
    judges: Record<string, { precision: number; recall: number }>;
    judges_simulated: string[];
    eval_prompts: number;
    objective: string;
  },
  options: PipelineOptions,
): void {
  const passes = (p: Record<number, number> | null) =>
    p
      ? Object.entries(p)
          .map(([k, v]) => `pass@${k} ${pct(v)}`)
          .join(', ')
      : '';
  reporter.result('');
  reporter.result(
    `held-out ${s.accuracy_measure ?? 'accuracy'} on ${s.eval_prompts} prompts: π_ref ${pct(s.accuracy_before)} → ` +
      `${s.objective} ${pct(s.accuracy_after)}`,
  );
  reporter.result(
    `  greedy ${pct(s.greedy_accuracy_before)} → ${pct(s.greedy_accuracy_after)}` +
      (s.pass_at_k_before && s.pass_at_k_after
        ? ` · ${passes(s.pass_at_k_before)} → ${passes(s.pass_at_k_after)}`
        : ''),
  );
  const judges = Object.entries(s.judges).map(
    ([name, j]) =>
      `${name}${s.judges_simulated.includes(name) ? ' (SIMULATED)' : ''} ${pct(j.precision)} / ${pct(j.recall)}`,
  );
  if (judges.length > 0) reporter.result(`judge agreement with the oracle, precision / recall: ${judges.join(' · ')}`);
  if (options.iterations > 1)
    reporter.result(`(${options.iterations} iterations; per-iteration figures in summary.json)`);
}
