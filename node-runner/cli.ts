// gemstone's command line. Each command lives in its own module under node-runner/commands/.
import { Command } from 'commander';
import { annotateCommand } from './commands/annotate.ts';
import { doctorCommand } from './commands/doctor.ts';
import { evalCommand } from './commands/evaluate.ts';
import { pipelineCommand } from './commands/pipeline.ts';
import { prmCommand } from './commands/prm.ts';
import { rolloutCommand } from './commands/rollout.ts';
import { sftCommand } from './commands/sft.ts';
import { trainCommand } from './commands/train.ts';

const program = new Command()
  .name('gemstone')
  .description('Train small transformer language models with BCPG-NSA and its baselines on WebGPU.')
  .version('0.1.0')
  .showHelpAfterError();

program.addCommand(doctorCommand());
program.addCommand(sftCommand());
program.addCommand(rolloutCommand());
program.addCommand(evalCommand());
program.addCommand(prmCommand());
program.addCommand(annotateCommand());
program.addCommand(trainCommand());
program.addCommand(pipelineCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`gemstone: ${(error as Error).message}`);
  process.exitCode = 1;
}
// Dawn keeps the event loop alive; leave once the command is done.
process.exit(process.exitCode ?? 0);
