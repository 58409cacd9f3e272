// The page's driver records the mechanism plot's data (run here in Node, as
// demo/scripts/make-example.ts runs it): after every epoch of BCPG-NSA and of
// the BCPG comparison, the log-probs of the followed wrong responses; π_ref's
// baseline agrees with a forward of π_ref; the comparison's last curve is its
// trained policy's; the record is kept in the run's store and a new driver on
// that store (a reload) draws it again before anything runs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type DemoConfig } from '../demo/src/config.ts';
import { Cancelled, RunControl } from '../demo/src/pipeline/control.ts';
import { MECHANISM_FILE, Pipeline, type PipelineDeps } from '../demo/src/pipeline/driver.ts';
import { responseLogprobs } from '../demo/src/pipeline/logprobs.ts';
import { MECHANISM_CANDIDATES, oracleLabels, parseMechanism } from '../demo/src/pipeline/mechanism.ts';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { Gpt2 } from '../src/model/gpt2.ts';
import { MemoryStore } from '../src/pipeline/store.ts';
import { WorkerPool } from '../src/workers/pool.ts';

const bundled = new Uint8Array(readFileSync(new URL('../demo/public/pi-ref-tiny.safetensors', import.meta.url)));

describe('the demo records the mechanism', () => {
  it('per-epoch log-probs of wrong responses under BCPG-NSA and BCPG, stored with the run', async () => {
    const store = new MemoryStore();
    const deps: PipelineDeps = {
      createContext: (onLost) => GpuContext.create({ onLost }),
      createPool: () => WorkerPool.create(1),
      loadBundledReference: async () => bundled,
      llmEndpoint: null,
      store,
    };
    const config: DemoConfig = {
      ...DEFAULT_CONFIG,
      records: 64,
      sftSteps: 1,
      prompts: 8,
      group: 4,
      keepAll: true,
      judges: ['rule', 'llm'],
      epochs: 2,
      evalPrompts: 4,
      evalSamples: 0,
      objective: 'bcpg-nsa',
      compare: 'bcpg',
    };
    const updates: string[] = [];
    const hooks = { stage: () => {}, progress: () => {}, update: (w: string) => updates.push(w), notice: () => {} };
    const pipeline = new Pipeline(config, deps, hooks, new RunControl());
    await pipeline.start();

    const mechanism = pipeline.run.mechanism!;
    const data = pipeline.run.iterations[0];
    expect(mechanism.iteration).toBe(1);
    expect(mechanism.responses.length).toBeGreaterThan(0);
    expect(mechanism.responses.length).toBeLessThanOrEqual(MECHANISM_CANDIDATES);
    for (const r of mechanism.responses) {
      const record = data.records[r.record];
      expect(record.reward).toBe(0);
      expect(oracleLabels(record)).toContain(1);
      expect(r.refLogprobs).toEqual(record.logprobs_ref);
    }
    expect(mechanism.curves.map((c) => `${c.run} ${c.objective} ${c.epoch}`)).toEqual([
      'main bcpg-nsa 1',
      'main bcpg-nsa 2',
      'compare bcpg 1',
      'compare bcpg 2',
    ]);
    for (const curve of mechanism.curves)
      curve.logprobs.forEach((l, k) => {
        expect(l.length).toBe(mechanism.responses[k].refLogprobs.length);
        for (const v of l) expect(Number.isFinite(v) && v <= 0).toBe(true);
      });
    expect(updates).toContain('mechanism');

    // The baseline and the curves are the same measure: a forward of π_ref gives π_ref's stored log-probs,
    // and a forward of the comparison's trained policy gives its last curve.
    const context = await GpuContext.create();
    try {
      const forward = async (bytes: Uint8Array) => {
        const state = decodeCheckpoint(bytes, 'policy');
        const model = new Gpt2(context, state.config);
        model.loadParameters(state.parameters);
        try {
          return await responseLogprobs(
            model,
            mechanism.responses.map((r) => ({
              promptTokens: data.records[r.record].prompt_tokens,
              responseTokens: data.records[r.record].response_tokens,
            })),
          );
        } finally {
          model.destroy();
        }
      };
      const near = (a: number[][], b: number[][], tolerance: number) =>
        a.forEach((row, k) => row.forEach((v, j) => expect(Math.abs(v - b[k][j])).toBeLessThan(tolerance)));
      near(
        await forward(pipeline.referenceBytes!),
        mechanism.responses.map((r) => r.refLogprobs),
        1e-3,
      );
      const compared = (await store.at('compare/bcpg').read('checkpoint.safetensors'))!;
      near(await forward(compared), mechanism.curves.at(-1)!.logprobs, 1e-4);
      // The two objectives moved the followed responses differently (they differ on the mined tokens' weight).
      const main = mechanism.curves[1].logprobs.flat();
      expect(main.some((v, i) => v !== mechanism.curves[3].logprobs.flat()[i])).toBe(true);
    } finally {
      context.destroy();
    }

    // Kept with the run: a new driver on the same store (a reload) draws it before any stage runs.
    const stored = parseMechanism(new TextDecoder().decode((await store.read(MECHANISM_FILE))!), MECHANISM_FILE);
    expect(stored).toEqual(mechanism);
    const control = new RunControl();
    control.cancel();
    const reloaded = new Pipeline(config, deps, hooks, control);
    await expect(reloaded.start()).rejects.toBeInstanceOf(Cancelled);
    expect(reloaded.run.mechanism).toEqual(mechanism);
  }, 300_000);
});
