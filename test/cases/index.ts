// Every GPU-vs-twin case, run alike in Node, Deno and Chromium. Add a file's cases here.
import type { GpuContext } from '../../src/gpu/context.ts';
import { annotateCases } from './annotate-cases.ts';
import { checkpointCases } from './checkpoint-cases.ts';
import { chunkCases } from './chunk-cases.ts';
import { kernelCases, type KernelCase } from './kernel-cases.ts';
import { layerCasesB } from './layer-cases-b.ts';
import { layerCasesA } from './layer-cases-a.ts';
import { modelCases } from './model-cases.ts';
import { objectiveCases } from './objective-cases.ts';
import { sampleCases } from './sample-cases.ts';

export type { KernelCase };

export const allCases: KernelCase[] = [
  ...annotateCases,
  ...kernelCases,
  ...checkpointCases,
  ...layerCasesB,
  ...layerCasesA,
  ...modelCases,
  ...sampleCases,
  ...objectiveCases,
  ...chunkCases,
];

/** Runs every case and collects outcomes; used by the Deno and browser runners. */
export async function runAllCases(
  context: GpuContext,
  log: (line: string) => void = () => {},
): Promise<{ name: string; ok: boolean; error?: string }[]> {
  const results: { name: string; ok: boolean; error?: string }[] = [];
  for (const kernelCase of allCases) {
    try {
      await kernelCase.run(context);
      results.push({ name: kernelCase.name, ok: true });
      log(`ok   ${kernelCase.name}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({ name: kernelCase.name, ok: false, error: message });
      log(`FAIL ${kernelCase.name}: ${message}`);
    }
  }
  return results;
}
