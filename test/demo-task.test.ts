// The demo's task selector: the task lives in the address like every setting, and choosing
// sorting trains π_ref from scratch through the page's driver (the bundled tiny π_ref learned
// arithmetic), then runs an iteration on sorting problems. The driver runs here in Node, as
// demo/scripts/make-example.ts runs it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type DemoConfig, parseConfig } from '../demo/src/config.ts';
import { RunControl } from '../demo/src/pipeline/control.ts';
import { Pipeline, type PipelineDeps } from '../demo/src/pipeline/driver.ts';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { WorkerPool } from '../src/workers/pool.ts';

describe('the demo: a task selector', () => {
  it('keeps the task in the address, and refuses a task it does not have', () => {
    expect(DEFAULT_CONFIG.task).toBe('arithmetic');
    expect(parseConfig('?task=sorting&preset=tiny').config).toMatchObject({ task: 'sorting', preset: 'tiny' });
    const unknown = parseConfig('?task=chess');
    expect(unknown.config.task).toBe('arithmetic');
    expect(unknown.warnings).toEqual(['task=chess ignored: tasks: arithmetic, sorting.']);
  });

  it('sorting trains π_ref from scratch in the page, then samples and judges sorting problems', async () => {
    const notices: string[] = [];
    let bundledLoads = 0;
    const deps: PipelineDeps = {
      createContext: (onLost) => GpuContext.create({ onLost }),
      createPool: () => WorkerPool.create(1),
      loadBundledReference: async () => {
        bundledLoads++;
        throw new Error('the bundled π_ref learned arithmetic');
      },
      llmEndpoint: null,
    };
    const config: DemoConfig = {
      ...DEFAULT_CONFIG,
      task: 'sorting',
      ref: 'bundled',
      records: 64,
      sftSteps: 4,
      prompts: 4,
      group: 2,
      keepAll: true,
      judges: ['rule', 'llm'],
      epochs: 1,
      evalPrompts: 4,
      evalSamples: 0,
      compare: '',
    };
    const hooks = { stage: () => {}, progress: () => {}, update: () => {}, notice: (m: string) => notices.push(m) };
    const pipeline = new Pipeline(config, deps, hooks, new RunControl());
    await pipeline.start();
    expect(bundledLoads).toBe(0);
    expect(notices).toContain('The bundled π_ref learned arithmetic; training π_ref for sorting from scratch instead.');
    expect(pipeline.run.task).toBe('sorting');
    const reference = decodeCheckpoint(pipeline.referenceBytes!, 'π_ref');
    expect(reference.extra).toMatchObject({ task: 'sorting', difficulty: config.difficulty });
    const iteration = pipeline.run.iterations[0];
    expect(iteration.records.length).toBe(8);
    for (const record of iteration.records) expect(record.prompt_id).toMatch(/^sorting-d0-\d+$/);
  }, 120_000);
});
