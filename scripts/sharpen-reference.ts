// Investigation (issue #17, greedy regression, hypothesis 2): continue π_ref's SFT on traces of a solver
// that rarely slips, so its distributions are no longer blurred by imitating a 30%-slip teacher.
//   npx tsx scripts/sharpen-reference.ts FROM_DIR OUT_DIR SLIP_RATE STEPS LR
// (docs/greedy-regression.md: assets/pi-ref-small runs/ref-slip05 0.05 600 5e-4). The traces come from
// solver seed 1, the data order from seed 2; held-out pass@1, greedy and pass@8 are printed at the end.
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.ts';
import { readFileBytes } from '../src/checkpoint/files.ts';
import { GpuContext } from '../src/gpu/context.ts';
import { evaluatePolicy } from '../src/pipeline/evaluate.ts';
import { sftStage } from '../src/pipeline/sft.ts';
import { STAGE_DEFAULTS } from '../src/pipeline/defaults.ts';
import { getTask } from '../src/tasks/index.ts';
import { NoisySolver } from '../src/tasks/noisy-solver.ts';
import { sftRecords } from '../src/tasks/traces.ts';
import { FolderStore } from '../node-runner/file-store.ts';
import { quietHooks } from '../src/pipeline/hooks.ts';

const [from, out, slip, steps, lr] = process.argv.slice(2);
const warm = decodeCheckpoint(await readFileBytes(`${from}/checkpoint.safetensors`), from);
const task = getTask('arithmetic');
const records = sftRecords(task, new NoisySolver({ slipRate: Number(slip), seed: 1 }), {
  count: 20000,
  seedStart: 0,
  difficulty: 1,
});
const correct = records.filter((r, i) => task.verify(task.generate(i, 1), r.completion)).length;
console.log(`traces: ${records.length}, ${((100 * correct) / records.length).toFixed(1)}% end right`);
const context = await GpuContext.create({});
const hooks = { ...quietHooks('sharpen'), log: (l: string) => console.log(l) };
const S = STAGE_DEFAULTS.sft;
const started = performance.now();
const { policy, step, finalLoss } = await sftStage(
  context,
  task,
  records,
  {
    preset: 'small',
    steps: Number(steps),
    batchSize: 16,
    microBatches: S.microBatches,
    lr: Number(lr),
    warmup: 20,
    weightDecay: S.weightDecay,
    maxGradNorm: S.maxGradNorm,
    seed: 2,
    logEvery: 50,
    checkpointEvery: 100,
    difficulty: 1,
  },
  new FolderStore(out),
  hooks,
  warm,
);
console.log(`step ${step} loss ${finalLoss} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
const r = await evaluatePolicy(policy, { prompts: 200, samples: 8, batch: 64 });
console.log(`held-out: pass@1 ${r.accuracy} greedy ${r.greedyAccuracy} passAtK ${JSON.stringify(r.passAtK)}`);
