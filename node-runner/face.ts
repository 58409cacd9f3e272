// The stage library's face in Node and Deno: artifacts in the run folder,
// each stage run once and recorded in state.json (a resumed run skips what is
// done), headings and lines on the terminal, Ctrl-C as the stop, a GPU
// context of its own for each stage.
import { GpuContext } from '../src/gpu/context.ts';
import type { PipelineFace } from '../src/pipeline/face.ts';
import type { Task } from '../src/tasks/task.ts';
import { WorkerPool } from '../src/workers/pool.ts';
import { cliLlmJudge } from './commands/annotate.ts';
import { FolderStore } from './file-store.ts';
import type { InterruptFlag } from './interrupt.ts';
import { stageHooks, type Reporter } from './reporter.ts';
import type { RunFolder } from './run-folder.ts';

export interface NodeFaceOptions {
  folder: RunFolder;
  reporter: Reporter;
  interrupt: InterruptFlag;
  adapter?: string;
  llm: { llmUrl?: string; llmModel: string; llmNoise: number; llmCache?: string };
  /** The run's task (every checkpoint and rollout file the rounds read must have been made with it). */
  task?: Task;
  /** Where a stop before `stage` is reported ("before the iteration-1/train stage"). */
  before?: (stage: string) => string;
  /** Runs a stage's work and records it (default: folder.stage); the experiment also times it. */
  record?: <T>(stage: string, work: () => Promise<T>, onSkip: () => void) => Promise<T>;
}

export function nodeFace(o: NodeFaceOptions): PipelineFace {
  const { folder, reporter, interrupt } = o;
  const before = o.before ?? ((stage: string) => `before the ${stage} stage`);
  const record = o.record ?? ((stage, work, onSkip) => folder.stage(stage, work, onSkip));
  return {
    store: new FolderStore(folder.dir),
    stages: {
      run: (name, title, work) => {
        reporter.stage(name, title);
        interrupt.check(before(name));
        return record(
          name,
          () => work(stageHooks({ reporter, interrupt, stage: name })),
          () => reporter.info(`(${title}: done in an earlier leg of this run)`),
        );
      },
    },
    gpu: async () => {
      const context = await GpuContext.create({ adapter: o.adapter });
      return { context, release: () => context.destroy() };
    },
    task: o.task,
    pool: (workers) => WorkerPool.create(workers),
    llmJudge: (hooks) =>
      cliLlmJudge(
        o.llm,
        (line) => hooks.log(line),
        (line) => hooks.warn(line),
      ),
  };
}
