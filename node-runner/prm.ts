// Training and loading the PRM judge for the command line: the PRM stage
// (src/pipeline/prm.ts) into a folder, and a judge from such a folder.
import { join } from 'node:path';
import { readFileBytes } from '../src/checkpoint/files.ts';
import type { Rollout } from '../src/data/rollouts.ts';
import { GpuContext } from '../src/gpu/context.ts';
import type { PrmJudge } from '../src/judge/prm.ts';
import { quietHooks } from '../src/pipeline/hooks.ts';
import { PRM_SCRATCH, prmStage, type PrmLabelSource, type PrmStageOptions } from '../src/pipeline/prm.ts';
import { prmJudgeOn } from '../src/pipeline/rounds.ts';
import type { Problem, Task } from '../src/tasks/task.ts';
import { FolderStore } from './file-store.ts';
import type { Policy } from './policy.ts';
import { stageHooks, type StageIO } from './reporter.ts';

export { PRM_SCRATCH, type PrmLabelSource };

export interface TrainPrmOptions extends PrmStageOptions {
  /** The PRM's folder: checkpoint.safetensors, and while it works, label chunks and a resume checkpoint. */
  out: string;
}

/** Labels each response's steps, trains a PRM from π_ref's weights, writes <out>/checkpoint.safetensors. */
export async function trainPrm(
  policy: Policy,
  task: Task,
  rollouts: Rollout[],
  problems: Map<string, Problem>,
  options: TrainPrmOptions,
  io?: StageIO,
): Promise<{ examples: number; path: string; correctShare: number }> {
  const store = new FolderStore(options.out);
  const hooks = io !== undefined ? stageHooks(io) : quietHooks('prm');
  const r = await prmStage(policy, task, rollouts, problems, options, store, hooks);
  return { examples: r.examples, path: store.locate('checkpoint.safetensors'), correctShare: r.correctShare };
}

/** A PRM judge from a folder written by trainPrm; close() releases its GPU. */
export async function loadPrmJudge(
  location: string | undefined,
  threshold: number,
  adapter?: string,
  /** The rollouts' task: a PRM trained on another task's is refused. */
  task?: Task,
): Promise<{ judge: PrmJudge; close(): void }> {
  if (location === undefined) throw new Error('--judges prm needs --prm DIR (train one with gemstone prm).');
  const path = location.endsWith('.safetensors') ? location : join(location, 'checkpoint.safetensors');
  const bytes = await readFileBytes(path);
  const context = await GpuContext.create({ adapter });
  return prmJudgeOn({ context, release: () => context.destroy() }, bytes, path, threshold, task);
}
