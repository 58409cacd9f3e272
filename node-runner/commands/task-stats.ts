// `gemstone task-stats`: the regime of a task's noisy-solver traces, the data π_ref learns from, at
// some solver knobs (--solver) and difficulty: how many end right, how many wrong ones hold a right
// step, and the mined share (the negatives' tokens in oracle-correct steps; the paper: 22%), with how
// slips move results. No GPU, no run folder: seconds on a CPU.
import { pct } from '../../src/pipeline/evaluate.ts';
import { DEFAULT_TASK_NAME, getTask } from '../../src/tasks/index.ts';
import { type RegimeStats, regimeStats } from '../../src/tasks/regime.ts';
import { formatSolverSpec } from '../../src/tasks/solver-spec.ts';
import { defineCommand } from '../command.ts';
import { solverOption, solverSettings } from '../solver-option.ts';
import { int, taskOption } from '../spec.ts';

interface TaskStatsOptions {
  task: string;
  solver?: string;
  difficulty?: number;
  traces: number;
  seed: number;
  markdown?: boolean;
}

/** The defaults of --traces and --seed (π_ref's SFT draws its traces at solver seed 1, its --seed). */
export const TRACES = 2000;
export const SEED = 1;

export function taskStatsCommand() {
  return defineCommand<TaskStatsOptions>({
    name: 'task-stats',
    description:
      "the regime of a task's noisy-solver traces (what π_ref learns from): accuracy, wrong traces holding a right " +
      "step, the mined share (negatives' tokens in oracle-correct steps), and how slips move results",
    options: [
      taskOption('the task', DEFAULT_TASK_NAME),
      solverOption("the noisy solver's knobs (default: the task's)"),
      { key: 'difficulty', help: "problem difficulty (default: the task's)", kind: int(0) },
      { key: 'traces', help: 'traces to draw, from training seeds 0 … n − 1', kind: int(), default: TRACES },
      {
        key: 'seed',
        help: "the solver's seed (π_ref's SFT draws its traces at its own --seed)",
        kind: int(0),
        default: SEED,
      },
      {
        key: 'markdown',
        help: 'print one markdown table row (the rows of docs/tasks.md) instead of the report',
        kind: { type: 'boolean' },
        transient: true,
      },
    ],
    runFolder: false,
    profiled: false,
    examples: [
      'gemstone task-stats',
      'gemstone task-stats --task arithmetic --solver slipWhere=late,catchRate=0.8 --difficulty 2',
      'gemstone task-stats --solver slipShape=symmetric --traces 20000',
      'gemstone task-stats --task sorting --json | tail -1',
    ],
    prepare: (o, task) => solverSettings(o.solver, task),
    run: async ({ options, reporter, task: loaded }) => {
      const task = loaded ?? getTask(options.task);
      const settings = solverSettings(options.solver, task);
      const difficulty = options.difficulty ?? task.defaultDifficulty;
      const stats = regimeStats(task, settings, { difficulty, count: options.traces, seed: options.seed });
      const lines = options.markdown ? [markdownRow(stats, options)] : reportLines(stats, options);
      for (const line of lines) reporter.result(line);
      return { ...stats };
    },
  });
}

/** The command that prints these figures (the defaults left out), as a row of docs/tasks.md names it. */
export function commandLine(s: RegimeStats, o: { traces: number; seed: number }): string {
  const words = ['gemstone task-stats'];
  if (s.task !== DEFAULT_TASK_NAME) words.push(`--task ${s.task}`);
  words.push(`--difficulty ${s.difficulty}`);
  const solver = formatSolverSpec(s.solver);
  if (solver !== '') words.push(`--solver ${solver}`);
  if (o.traces !== TRACES) words.push(`--traces ${o.traces}`);
  if (o.seed !== SEED) words.push(`--seed ${o.seed}`);
  return words.join(' ');
}

/** One row of the regime table: its command, then accuracy, later-correct share, mined share, lengths. */
export function markdownRow(s: RegimeStats, o: { traces: number; seed: number }): string {
  const cells = [
    `\`${commandLine(s, o)}\``,
    pct(s.accuracy),
    pct(s.laterCorrectShare),
    pct(s.minedShare),
    `${s.meanChars.toFixed(0)} / ${s.maxChars}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The report a person reads. */
export function reportLines(s: RegimeStats, o: { seed: number }): string[] {
  const solver = formatSolverSpec(s.solver) || "the solver's defaults";
  const lines = [
    `${s.task} · difficulty ${s.difficulty} · ${solver} (solver seed ${o.seed}) · ${s.responses} traces ` +
      `(seeds 0–${s.responses - 1})`,
    `  accuracy of the traces                               ${pct(s.accuracy)}`,
    `  negatives holding a correct step after the first     ${pct(s.laterCorrectShare)} of ${s.negatives}`,
    `  mined share: negatives' tokens in correct steps      ${pct(s.minedShare)} ` +
      `(${s.minedTokens} of ${s.negativeTokens}; the paper: 22%)`,
    `  prompt + trace: mean ${s.meanChars.toFixed(0)}, longest ${s.maxChars} characters; ${pct(s.over)} over ` +
      `maxChars, ${pct(s.redrawn)} redrawn to fit`,
  ];
  if (s.slips.length > 0) {
    lines.push('  slipped step results against the right result r:', '    r        slips    below    above');
    const all = s.slips.reduce(
      (sum, r) => ({
        range: 'all',
        slips: sum.slips + r.slips,
        below: sum.below + r.below,
        above: sum.above + r.above,
      }),
      { range: 'all', slips: 0, below: 0, above: 0 },
    );
    for (const r of [...s.slips, all])
      lines.push(
        `    ${r.range.padEnd(8)} ${String(r.slips).padStart(5)}   ${pct(r.below / r.slips).padStart(6)}   ` +
          `${pct(r.above / r.slips).padStart(6)}`,
      );
  }
  const wrong = s.wrongBelow + s.wrongAbove;
  if (wrong > 0)
    lines.push(
      `  wrong final answers: ${pct(s.wrongBelow / wrong)} below the reference, ${pct(s.wrongAbove / wrong)} above`,
    );
  return lines;
}
