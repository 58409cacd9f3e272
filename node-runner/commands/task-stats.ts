// `gemstone task-stats`: the regime of a task's noisy-solver traces, the data π_ref learns from, at
// some solver knobs (--solver) and difficulty: how many end right, how many wrong ones hold a right
// step, and the mined share (the negatives' tokens in oracle-correct steps; the paper: 22%), with how
// slips move results. No GPU, no run folder: seconds on a CPU.
import { pct } from '../../src/pipeline/evaluate.ts';
import { DEFAULT_TASK_NAME, getTask } from '../../src/tasks/index.ts';
import { type RegimeStats, regimeStats } from '../../src/tasks/regime.ts';
import { formatSolverSpec } from '../../src/tasks/solver-spec.ts';
import { defineCommand } from '../command.ts';
import type { Reporter } from '../reporter.ts';
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
      { key: 'traces', help: 'traces to draw, from training seeds 0 … n − 1', kind: int(), default: 2000 },
      { key: 'seed', help: "the solver's seed (π_ref's SFT uses its --seed, 1 by default)", kind: int(0), default: 1 },
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
      if (options.markdown) reporter.result(markdownRow(stats));
      else printStats(reporter, stats, options);
      return { ...stats };
    },
  });
}

/** "| 1 | slipWhere=late | 48.3% | 61.6% | 40.3% | 92 / 128 |": one row of the regime table. */
export function markdownRow(s: RegimeStats): string {
  const solver = formatSolverSpec(s.solver) || '(defaults)';
  const cells = [
    String(s.difficulty),
    `\`${solver}\``,
    pct(s.accuracy),
    pct(s.laterCorrectShare),
    pct(s.minedShare),
    `${s.meanChars.toFixed(0)} / ${s.maxChars}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

function printStats(reporter: Reporter, s: RegimeStats, o: TaskStatsOptions): void {
  const solver = formatSolverSpec(s.solver) || "the solver's defaults";
  reporter.result(
    `${s.task} · difficulty ${s.difficulty} · ${solver} (solver seed ${o.seed}) · ${s.responses} traces ` +
      `(seeds 0–${s.responses - 1})`,
  );
  reporter.result(`  accuracy of the traces                                ${pct(s.accuracy)}`);
  reporter.result(
    `  negatives holding a correct step after the first     ${pct(s.laterCorrectShare)} of ${s.negatives}`,
  );
  reporter.result(
    `  mined share: negatives' tokens in correct steps      ${pct(s.minedShare)} ` +
      `(${s.minedTokens} of ${s.negativeTokens}; the paper: 22%)`,
  );
  reporter.result(
    `  prompt + trace: mean ${s.meanChars.toFixed(0)}, longest ${s.maxChars} characters; ${pct(s.over)} over ` +
      `maxChars, ${pct(s.redrawn)} redrawn to fit`,
  );
  if (s.slips.length > 0) {
    reporter.result('  slipped step results against the right result r:');
    reporter.result('    r        slips    below    above');
    for (const r of s.slips)
      reporter.result(
        `    ${r.range.padEnd(8)} ${String(r.slips).padStart(5)}   ${pct(r.below / r.slips).padStart(6)}   ` +
          `${pct(r.above / r.slips).padStart(6)}`,
      );
  }
  const wrong = s.wrongBelow + s.wrongAbove;
  if (wrong > 0)
    reporter.result(
      `  wrong final answers: ${pct(s.wrongBelow / wrong)} below the reference, ${pct(s.wrongAbove / wrong)} above`,
    );
}
