// Checkpoints named by --checkpoint and --prm are input files too: read, decoded and held to the
// run's task before the run folder exists, so a damaged or foreign one is bad input (status 2)
// and leaves nothing behind.
import { join } from 'node:path';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { readFileBytes } from '../src/checkpoint/files.ts';
import { checkpointTask } from '../src/pipeline/policy.ts';
import { checkSameTask } from '../src/tasks/index.ts';
import type { Task } from '../src/tasks/task.ts';
import { ConfigError } from './config.ts';

const CHECKPOINT_OPTIONS = ['checkpoint', 'prm'] as const;

/** `task`: the run's task when known (--task, or the task recorded in its input data). */
export async function checkInputCheckpoints(options: Record<string, unknown>, task: Task | undefined): Promise<void> {
  for (const key of CHECKPOINT_OPTIONS) {
    const location = options[key];
    if (typeof location !== 'string') continue;
    const path = location.endsWith('.safetensors') ? location : join(location, 'checkpoint.safetensors');
    try {
      const checkpoint = decodeCheckpoint(await readFileBytes(path), path);
      // A policy must carry its tokenizer and, when the run's task is known, have learned that task.
      if (key === 'checkpoint') {
        if (task !== undefined) checkpointTask(checkpoint, path, task);
        else if ((checkpoint.extra as { tokenizer?: unknown } | undefined)?.tokenizer === undefined)
          throw new Error(`${path}: no tokenizer in the checkpoint (was it written by gemstone sft?).`);
      } else if (task !== undefined) {
        // A PRM judges the task it was trained on.
        checkSameTask(path, (checkpoint.extra as { task?: string | null } | undefined)?.task, task);
      }
    } catch (error) {
      const message = (error as Error).message;
      throw new ConfigError(message.includes(path) ? message : `--${key} ${path}: ${message}`);
    }
  }
}
