// gemstone's command line. Each command lives in its own module under node-runner/commands/,
// built with defineCommand (node-runner/command.ts): the option table, config file, run folder,
// --resume, --json and Ctrl-C handling are shared. Register a new command with one line below.
import process from 'node:process';
import { Command } from 'commander';
import { GEMSTONE_VERSION } from './command.ts';
import { annotateCommand } from './commands/annotate.ts';
import { doctorCommand } from './commands/doctor.ts';
import { evalCommand } from './commands/evaluate.ts';
import { experimentCommand } from './commands/experiment.ts';
import { exportCommand } from './commands/export.ts';
import { pipelineCommand } from './commands/pipeline.ts';
import { prmCommand } from './commands/prm.ts';
import { rolloutCommand } from './commands/rollout.ts';
import { sftCommand } from './commands/sft.ts';
import { taskStatsCommand } from './commands/task-stats.ts';
import { trainCommand } from './commands/train.ts';

const program = new Command()
  .name('gemstone')
  .description(
    'Train small GPT-2 models with BCPG-NSA and its baselines on WebGPU, headless.\nStart with `gemstone doctor`, ' +
      'then `gemstone pipeline`.',
  )
  .version(GEMSTONE_VERSION)
  .helpOption('-h, --help', 'show this help')
  .showHelpAfterError('(run gemstone --help for the commands)')
  .addHelpText(
    'after',
    '\nEvery command takes --help, --config FILE.json, --json, --quiet, --out DIR and --resume DIR.',
  );

program.addCommand(doctorCommand());
program.addCommand(pipelineCommand());
program.addCommand(sftCommand());
program.addCommand(rolloutCommand());
program.addCommand(prmCommand());
program.addCommand(annotateCommand());
program.addCommand(trainCommand());
program.addCommand(evalCommand());
program.addCommand(exportCommand());
program.addCommand(experimentCommand());
program.addCommand(taskStatsCommand());

// Commander's own errors (unknown option, bad value) are bad options: status 2, like a bad config.
program.exitOverride((error) => {
  throw error;
});
for (const command of program.commands)
  command.exitOverride((error) => {
    throw error;
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const e = error as { code?: string; exitCode?: number; message: string };
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
    process.exitCode = 0;
  else if (e.code?.startsWith('commander.'))
    process.exitCode = 2; // commander already printed the error
  else {
    process.stderr.write(`gemstone: ${e.message}\n`);
    process.exitCode = 1;
  }
}
// Dawn keeps the event loop alive; leave once the command is done.
process.exit(process.exitCode ?? 0);
