// Makes the demo's bundled files from a real run, in Node on the WebGPU adapter
// gemstone finds (llvmpipe on a machine without a GPU):
//   demo/public/pi-ref-tiny.safetensors — a tiny π_ref (parameters only), which the
//       page's default "continue the bundled π_ref" starts from;
//   demo/public/example-run.json — a whole pipeline run of the page's driver
//       (pipeline/driver.ts, the same code the page runs), trimmed to stay small,
//       shown read-only when a browser has no WebGPU.
// Both in the page's starting regime (DEMO_REGIME in demo/src/config.ts), or in the one
// --difficulty and --solver give (key=value,... as gemstone's --solver takes them).
// Usage: npm run demo:example [-- --ref-steps 1500] [-- --reuse-ref] [-- --difficulty N --solver KNOBS]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { GpuContext } from '../../src/gpu/context.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { DEFAULT_CONFIG, type DemoConfig, describeConfigRegime, parseConfig } from '../src/config.ts';
import { RunControl } from '../src/pipeline/control.ts';
import { Pipeline, type PipelineDeps } from '../src/pipeline/driver.ts';
import type { RunRecord } from '../src/pipeline/run-record.ts';

const given = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? '') : undefined;
};
const arg = (name: string, fallback: number) => Number(given(name) ?? fallback);

// The regime of π_ref's traces and of the example run: the page's (DEMO_REGIME), unless given. Read as the
// page reads its address, and a value it would ignore stops the script before anything is written.
const asked = new URLSearchParams();
for (const key of ['difficulty', 'solver'] as const) {
  const value = given(key);
  if (value !== undefined) asked.set(key, value);
}
const parsed = parseConfig(`?${asked}`);
if (parsed.warnings.length > 0) {
  console.error(
    `demo/scripts/make-example.ts: ${parsed.warnings.map((w) => `--${w.replace(' ignored', '')}`).join(' ')}`,
  );
  process.exit(2);
}
const regime = { difficulty: parsed.config.difficulty, solver: parsed.config.solver };
const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
const log = (line: string) => console.log(line);
const hooks = {
  stage: (s: string) => log(`== ${s}`),
  progress: log,
  update: () => {},
  notice: (m: string) => log(`! ${m}`),
};
const deps: PipelineDeps = {
  createContext: (onLost) => GpuContext.create({ onLost }),
  createPool: () => WorkerPool.create(1),
  loadBundledReference: () => Promise.reject(new Error('the example trains its own π_ref')),
  llmEndpoint: null,
};

// 1. π_ref: the tiny preset from scratch on the regime's traces (3–10 minutes on llvmpipe);
//    --reuse-ref keeps the one already in demo/public (continued in the regime when it learned another).
log(`regime: ${describeConfigRegime({ ...DEFAULT_CONFIG, ...regime })}`);
const refPath = `${publicDir}pi-ref-tiny.safetensors`;
let reference: ReturnType<typeof decodeCheckpoint>;
if (process.argv.includes('--reuse-ref')) reference = decodeCheckpoint(new Uint8Array(readFileSync(refPath)), refPath);
else {
  const refConfig: DemoConfig = {
    ...DEFAULT_CONFIG,
    ...regime,
    ref: 'scratch',
    records: 20_000,
    sftSteps: arg('ref-steps', 1500),
    sftLr: 3e-3,
    iterations: 1,
    compare: '',
    evalPrompts: 128,
  };
  const refRun = new Pipeline(refConfig, deps, hooks, new RunControl());
  await refRun.referenceOnly();
  reference = decodeCheckpoint(refRun.referenceBytes!, 'π_ref');
  writeFileSync(refPath, encodeCheckpoint({ ...reference, optimizer: undefined }));
  log(
    `π_ref: held-out accuracy ${(100 * refRun.run.accuracy[0].accuracy).toFixed(1)}% → ` +
      'demo/public/pi-ref-tiny.safetensors',
  );
}

// 2. The pipeline with the page's defaults in the regime, continuing the bundled π_ref as the page does.
const config: DemoConfig = { ...DEFAULT_CONFIG, ...regime, sftSteps: 50, prompts: 32, evalPrompts: 128 };
const bundled = new Uint8Array(encodeCheckpoint({ ...reference, optimizer: undefined }));
const run = new Pipeline(config, { ...deps, loadBundledReference: async () => bundled }, hooks, new RunControl());
await run.start();
writeFileSync(`${publicDir}example-run.json`, `${JSON.stringify(trim(run.run))}\n`);
log(`example run → demo/public/example-run.json (${run.run.seconds.toFixed(0)} s)`);
process.exit(0);

/**
 * Keeps the file small: 12 groups (negatives with mined steps first), 4-digit log-probs, no sampling log-probs;
 * the per-step plot's responses whole (they carry their own steps and log-probs).
 */
function trim(record: RunRecord): RunRecord {
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const mechanism = record.mechanism ?? null;
  return {
    ...record,
    mechanism:
      mechanism === null
        ? null
        : {
            ...mechanism,
            responses: mechanism.responses.map((r) => ({ ...r, refLogprobs: r.refLogprobs.map(round) })),
            curves: mechanism.curves.map((c) => ({ ...c, logprobs: c.logprobs.map((l) => l.map(round)) })),
          },
    sft: record.sft.filter((_, i) => i % 2 === 0 || i === record.sft.length - 1),
    iterations: record.iterations.map((it) => {
      const score = (id: string) =>
        it.records.filter((r) => r.prompt_id === id && r.reward === 0 && r.beta_mask.includes(1)).length;
      const ids = [...new Set(it.records.map((r) => r.prompt_id))].sort((a, b) => score(b) - score(a)).slice(0, 12);
      const keep = it.records.flatMap((r, i) => (ids.includes(r.prompt_id) ? [i] : []));
      return {
        ...it,
        records: keep.map((i) => ({
          ...it.records[i],
          logprobs_sample: [],
          logprobs_ref: it.records[i].logprobs_ref.map(round),
        })),
        policyLogprobs: keep.map((i) => it.policyLogprobs[i]?.map(round) ?? null),
      };
    }),
  };
}
