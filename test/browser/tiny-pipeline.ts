// One tiny pipeline through the stage library, for the Node-versus-Chromium
// comparison (test/browser/pipeline.ts): π_ref is the demo's bundled tiny one,
// then one iteration — rollouts, a PRM from Monte-Carlo labels, the rule, LLM
// (simulated) and PRM judges with consensus, BCPG-NSA for one epoch, held-out
// evaluations — with the same options and seed on either runtime.
import { decodeCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { ANNOTATE_DEFAULTS, type PipelineOptions, PROFILES } from '../../src/pipeline/defaults.ts';
import { CHECKPOINT, type PolicyRef } from '../../src/pipeline/face.ts';
import { quietHooks, type StageHooks } from '../../src/pipeline/hooks.ts';
import { memoryFace } from '../../src/pipeline/memory-face.ts';
import { runPipelineRounds } from '../../src/pipeline/pipeline.ts';
import { type ArtifactStore, readText } from '../../src/pipeline/store.ts';
import { getTask } from '../../src/tasks/index.ts';
import type { WorkerPool } from '../../src/workers/pool.ts';

export const TINY_PIPELINE: Omit<PipelineOptions, 'out'> = {
  ...PROFILES.software.pipeline,
  ...ANNOTATE_DEFAULTS,
  preset: 'tiny',
  reference: 'bundled',
  prompts: 8,
  group: 4,
  judges: ['rule', 'llm', 'prm'],
  prmSteps: 6,
  prmResponses: 12,
  completions: 2,
  epochs: 2,
  groupsPerBatch: 2,
  evalPrompts: 8,
  evalSamples: 2,
  iterations: 1,
  batch: 16,
  keepAll: true,
  workers: 1,
  checkpointEvery: 3,
  seed: 7,
};

export interface TinyOutcome {
  adapter: string;
  rollouts: string;
  annotated: string;
  summary: Record<string, unknown>;
  /** The trained policy's parameters, by name. */
  parameters: Record<string, number[]>;
}

export async function runTinyPipeline(
  context: GpuContext,
  pool: (workers: number) => Promise<WorkerPool>,
  referenceBytes: Uint8Array,
  /** Where the artifacts live (default: memory) and the stage hooks (default: quiet), for the resume test. */
  place: { store?: ArtifactStore; hooks?: StageHooks } = {},
): Promise<TinyOutcome> {
  const face = memoryFace({
    context: async () => context,
    pool,
    hooks: place.hooks ?? quietHooks(),
    store: place.store,
  });
  await face.store.write(`reference/${CHECKPOINT}`, referenceBytes);
  const reference: PolicyRef = { store: face.store.at('reference'), name: CHECKPOINT };
  const summary = await runPipelineRounds(face, TINY_PIPELINE, {
    task: getTask('arithmetic'),
    difficulty: 0,
    reference,
    describe: (ref) => ref.store.locate(''),
  });
  const trained = decodeCheckpoint((await face.store.read(`iteration-1/policy/${CHECKPOINT}`))!, 'the trained policy');
  return {
    adapter: describeReport(context.report),
    rollouts: (await readText(face.store, 'iteration-1/rollouts.jsonl'))!,
    annotated: (await readText(face.store, 'iteration-1/annotated.jsonl'))!,
    summary,
    parameters: Object.fromEntries(Object.entries(trained.parameters).map(([k, v]) => [k, Array.from(v)])),
  };
}
