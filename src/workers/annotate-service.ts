// What an annotation worker does: segmentation, the CPU judges (oracle, rule),
// consensus and the β mask, for a batch of rollouts. Judges that need the GPU
// or the network (PRM, LLM) run in the main thread on the same steps and come
// in as precomputed verdicts. Plain data in and out, so comlink can carry it.
import type { Rollout } from '../data/rollouts.ts';
import { CharTokenizer } from '../data/tokenizer.ts';
import { annotateRollout, type AnnotatedRollout } from '../judge/annotate.ts';
import type { ConsensusMode } from '../judge/consensus.ts';
import type { Judge, StepVerdict } from '../judge/judge.ts';
import { OracleJudge } from '../judge/oracle-judge.ts';
import { RuleJudge } from '../judge/rule-judge.ts';
import { defaultSegmenter, type SegmenterOptions } from '../segment/index.ts';
import { getTask } from '../tasks/index.ts';
import type { Problem, StepSpan, Task } from '../tasks/task.ts';

export interface AnnotateConfig {
  /** The task's name: a built-in task, or the one `taskModule` exports. */
  task: string;
  /** For a task from a module: its absolute path, which the worker loads too (Node and Deno; not in the page). */
  taskModule?: string;
  tokenizer: unknown;
  segmenter: Omit<SegmenterOptions, 'task'>;
  /** Judges in order; 'oracle' and 'rule' run here, the others must come in `external`. */
  judges: string[];
  mode: ConsensusMode;
  /** Also record the task oracle's verdicts (after the consensus, which they do not join), to measure the judges. */
  oracle?: boolean;
}

export interface ExternalVerdicts {
  simulated: boolean;
  /** One list of verdicts per rollout of the batch, one verdict per step. */
  verdicts: StepVerdict[][];
}

export interface AnnotateItem {
  rollout: Rollout;
  problem: Problem;
}

/** A judge whose verdicts were computed elsewhere (the PRM on the GPU, the LLM over the network). */
class PrecomputedJudge implements Judge {
  private next = 0;
  constructor(
    readonly name: string,
    readonly simulated: boolean,
    private readonly verdicts: StepVerdict[][],
  ) {}

  async judge(): Promise<StepVerdict[]> {
    return this.verdicts[this.next++];
  }
}

const loaded = new Map<string, Promise<Task>>();

/** The config's task: a built-in one by name, or the module's (imported once per worker). */
async function configTask(config: AnnotateConfig): Promise<Task> {
  if (config.taskModule === undefined) return getTask(config.task);
  let task = loaded.get(config.taskModule);
  if (task === undefined) {
    // A variable path: the page's bundle must not pull in the Node/Deno loader (it runs built-in tasks only).
    const loaderPath = '../tasks/load.ts';
    const { loadTask } = (await import(/* @vite-ignore */ loaderPath)) as typeof import('../tasks/load.ts');
    task = loadTask(config.taskModule);
    loaded.set(config.taskModule, task);
  }
  const found = await task;
  if (found.name !== config.task)
    throw new Error(`annotate: ${config.taskModule} exports the task "${found.name}", not "${config.task}".`);
  return found;
}

export const annotateService = {
  /** The steps of each response, for the judges that run elsewhere. */
  async segment(responses: string[], config: AnnotateConfig): Promise<StepSpan[][]> {
    const segmenter = defaultSegmenter(await configTask(config), config.segmenter);
    return responses.map((r) => segmenter.segment(r));
  },

  async annotate(
    items: AnnotateItem[],
    config: AnnotateConfig,
    external: Record<string, ExternalVerdicts> = {},
  ): Promise<AnnotatedRollout[]> {
    const task = await configTask(config);
    const tokenizer = CharTokenizer.fromJSON(config.tokenizer);
    const segmenter = defaultSegmenter(task, config.segmenter);
    const precomputed = new Map(
      Object.entries(external).map(([name, e]) => [name, new PrecomputedJudge(name, e.simulated, e.verdicts)]),
    );
    const judges: Judge[] = config.judges.map((name) => {
      if (name === 'oracle') return new OracleJudge(task);
      if (name === 'rule') return new RuleJudge({ task });
      const judge = precomputed.get(name);
      if (judge === undefined)
        throw new Error(`annotate: judge "${name}" runs outside the worker; its verdicts were not given.`);
      return judge;
    });
    const out: AnnotatedRollout[] = [];
    // One rollout at a time: precomputed judges hand out their verdicts in order.
    const oracle = new OracleJudge(task);
    for (const item of items) {
      const record = await annotateRollout(item.rollout, item.problem, tokenizer, segmenter, judges, config.mode);
      if (config.oracle && !config.judges.includes('oracle')) {
        const verdicts = await oracle.judge({
          problem: item.problem,
          response: record.response,
          steps: record.steps.map((s) => ({ start: s.start, end: s.end })),
        });
        record.judges.push({ name: 'oracle', simulated: false, verdicts });
      }
      out.push(record);
    }
    return out;
  },
};

export type AnnotateService = typeof annotateService;
