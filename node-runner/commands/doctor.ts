// `gemstone doctor`: which WebGPU adapter gemstone finds here, and what it can do.
import { BUNDLED_REFERENCE } from '../bundled-reference.ts';
import process from 'node:process';
import { GpuContext } from '../../src/gpu/context.ts';
import type { AdapterReport } from '../../src/gpu/device.ts';
import { defaultTuningStore, tuningKey } from '../../src/gpu/tuning-store.ts';
import {
  applyTuning,
  readTuningEntry,
  useTuning,
  type KernelSearch,
  type TuningOutcome,
  type TuningSearch,
} from '../../src/kernels/autotune.ts';
import { matmul } from '../../src/kernels/matmul.ts';
import type { MatmulBlock } from '../../src/kernels/tuning.ts';
import { matmulReference } from '../../src/reference/matmul.ts';
import { compareClose } from '../../src/util/compare.ts';
import { Random } from '../../src/util/random.ts';
import { defineCommand } from '../command.ts';
import { probeDawnMessages } from '../dawn-messages.ts';
import { chooseProfile, PROFILES, type ProfileName } from '../presets.ts';
import type { Reporter } from '../reporter.ts';

export function doctorCommand() {
  return defineCommand<{ adapter?: string; profile?: ProfileName; tune?: boolean }>({
    name: 'doctor',
    description:
      'find a WebGPU adapter, report it, run one small kernel as a smoke test, and say which defaults (profile) a ' +
      'bare `gemstone pipeline` would use and why',
    options: [
      {
        key: 'tune',
        help:
          "measure the kernels' block shapes, attention tiles and workgroup sizes on this adapter again (a search " +
          "of a minute or so), keep them in the tuning cache, and print each candidate's speed",
        kind: { type: 'boolean' },
      },
    ],
    runFolder: false,
    profiled: false,
    examples: [
      'gemstone doctor',
      'gemstone doctor --adapter swiftshader',
      'gemstone doctor --tune',
      'gemstone doctor --json | tail -1',
    ],
    run: async ({ options, reporter }) => {
      // --tune searches below, printing as it goes; otherwise the cached blocks are reported, never searched for.
      const context = await GpuContext.create({ adapter: options.adapter, tuning: 'defaults' });
      try {
        const tuning = await tune(context, options.tune === true, reporter);
        const smoke = await smokeTest(context);
        const dawn = await probeDawnMessages(options.adapter);
        const chosen = chooseProfile(context.report);
        const profile = options.profile ?? chosen.profile;
        const reason =
          options.profile !== undefined
            ? `asked for with --profile (the adapter would pick ${chosen.profile}: ${chosen.reason})`
            : chosen.reason;
        if (reporter.mode !== 'json') printReport(reporter, context.report, smoke, profile, reason, dawn, tuning);
        if (!smoke.ok) process.exitCode = 1;
        return {
          ...context.report,
          tuning,
          smokeTest: smoke,
          dawnMessages: dawn,
          profile: { name: profile, reason, pipeline: PROFILES[profile].pipeline },
        };
      } finally {
        context.destroy();
      }
    },
  });
}

/** One sentence of what `gemstone pipeline` does with a profile's defaults. */
export function describeProfile(profile: ProfileName): string {
  const p = PROFILES[profile].pipeline;
  const reference =
    p.reference === 'bundled' && p.preset === BUNDLED_REFERENCE.preset
      ? `π_ref: the bundled ${p.preset} one (trained by gemstone's SFT; --reference train to train it here: ` +
        `${p.sftSteps} steps)`
      : `π_ref: the ${p.preset} preset, ${p.sftSteps} SFT steps of ${p.sftBatchSize} on ${p.records} traces`;
  return (
    `${reference}; ${p.prompts} prompts × ${p.group} rollouts; ` +
    `PRM ${p.prmSteps} steps on ${p.prmResponses} responses; ${p.objective} ${p.epochs} epochs (lr ${p.lr}, τ ` +
    `${p.tau}, β ${p.beta}); ${p.evalPrompts} held-out prompts × ${p.evalSamples} samples`
  );
}

/** With `search`, a new measured search (stored); else what the tuning cache holds for this adapter. */
async function tune(context: GpuContext, search: boolean, reporter: Reporter): Promise<TuningOutcome> {
  const block = (b: MatmulBlock) => `${b.TM}×${b.TN}×${b.WG}`;
  const onSearch = (s: TuningSearch) => {
    const { M, N, K } = s.shape;
    const timings = s.candidates.map((c) => `${block(c.block)} ${c.gflops.toFixed(2)}`).join(', ');
    if (reporter.mode !== 'json')
      reporter.result(
        `tuning matmul ${s.form} ${s.width} (${M}×${N}×${K}): chose ${block(s.chosen)}; GFLOP/s ${timings}`,
      );
  };
  const onKernelSearch = (s: KernelSearch) => {
    const unit = s.kernel.startsWith('attention') && s.kernel !== 'attention decode' ? 'R×WG' : 'WG';
    const timings = s.candidates.map((c) => `${c.label} ${c.ms.toFixed(3)}`).join(', ');
    if (reporter.mode !== 'json')
      reporter.result(`tuning ${s.kernel} (${s.shape}): chose ${unit} ${s.chosen}; ms per call ${timings}`);
  };
  if (search && reporter.mode !== 'json')
    reporter.result(
      'tuning: measuring block shapes (TM×TN×WG), attention tiles (R×WG) and workgroup sizes on this adapter ...',
    );
  if (search) return applyTuning(context, 'search', { onSearch, onKernelSearch });
  const store = await defaultTuningStore();
  const cached = readTuningEntry(await store.load(await tuningKey(context.report)));
  if (cached === null) return { source: 'defaults', where: 'src/kernels/tuning.ts', entry: null };
  useTuning(context, cached);
  return { source: 'cache', where: store.where, entry: cached };
}

async function smokeTest(context: GpuContext): Promise<{ ok: boolean; detail: string }> {
  const random = new Random(1);
  const [M, N, K] = [33, 36, 20];
  const a = random.floats(M * K);
  const b = random.floats(K * N);
  const va = context.tensor('doctor.a', a);
  const vb = context.tensor('doctor.b', b);
  const vc = context.tensor('doctor.c', M * N);
  try {
    await matmul(context, { M, N, K, a: va, b: vb, c: vc });
    const report = compareClose(await context.read(vc), matmulReference(a, b, new Float64Array(M * N), { M, N, K }), {
      atol: 1e-4,
      rtol: 1e-4,
    });
    return { ok: report.ok, detail: `matmul ${M}×${K}·${K}×${N}: ${report.message}` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

function printReport(
  reporter: Reporter,
  report: AdapterReport,
  smoke: { ok: boolean; detail: string },
  profile: ProfileName,
  reason: string,
  dawn: string[] | null,
  tuning: TuningOutcome,
): void {
  const rows: [string, string][] = [
    ['runtime', report.runtime],
    ['backend', report.backend],
    ['adapter', report.adapter],
    ['kind', report.kind],
    ['fallback', report.fallback ? 'yes (software adapter)' : 'no'],
    ['features', report.features.join(', ') || '(none)'],
  ];
  for (const [name, value] of Object.entries(report.limits)) rows.push([name, formatLimit(name, value)]);
  if (report.skipped.length > 0) rows.push(['skipped', report.skipped.join('; ')]);
  const tuned =
    tuning.entry === null
      ? 'the defaults (no measured blocks for this adapter: `gemstone doctor --tune` measures them)'
      : `measured ${tuning.entry.measuredAt} (${tuning.source === 'search' ? 'just now' : 'cached'}), kept in ` +
        `${tuning.where}`;
  rows.push(['kernel tuning', tuned]);
  rows.push(['smoke test', `${smoke.ok ? 'ok' : 'FAILED'}: ${smoke.detail}`]);
  // Held back from every other command's stderr (shown there with --verbose).
  if (dawn === null) rows.push(['dawn messages', "none: this runtime's WebGPU is not Dawn"]);
  else if (dawn.length === 0) rows.push(['dawn messages', '(none)']);
  else dawn.forEach((message, i) => rows.push([i === 0 ? 'dawn messages' : '', message]));
  rows.push(['profile', `${profile}, because ${reason}`]);
  rows.push(['', `a bare \`gemstone pipeline\` would run: ${describeProfile(profile)}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) reporter.result(`${k.padEnd(width)}  ${v}`);
}

function formatLimit(name: string, value: number): string {
  if (/Size$/.test(name) && value >= 1024 * 1024) return `${value} (${(value / 1024 / 1024).toFixed(0)} MiB)`;
  return String(value);
}
