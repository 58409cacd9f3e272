// `gemstone doctor`: which WebGPU adapter gemstone finds here, and what it can do.
import { Command, Option } from 'commander';
import { GpuContext } from '../../src/gpu/context.ts';
import type { AdapterReport } from '../../src/gpu/device.ts';
import { matmul } from '../../src/kernels/matmul.ts';
import { matmulReference } from '../../src/reference/matmul.ts';
import { compareClose } from '../../src/util/compare.ts';
import { Random } from '../../src/util/random.ts';

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('find a WebGPU adapter, report it, and run one small kernel as a smoke test')
    .addOption(new Option('--adapter <name>', 'force an adapter (default: env GEMSTONE_ADAPTER, else the fastest found)').choices(['gpu', 'llvmpipe', 'swiftshader']))
    .option('--json', 'print the report as one JSON object')
    .action(async (options: { adapter?: string; json?: boolean }) => {
      const context = await GpuContext.create({ adapter: options.adapter });
      const smoke = await smokeTest(context);
      if (options.json) {
        console.log(JSON.stringify({ ...context.report, smokeTest: smoke }));
      } else {
        printReport(context.report, smoke);
      }
      context.destroy();
      if (!smoke.ok) process.exitCode = 1;
    });
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
    const report = compareClose(await context.read(vc), matmulReference(a, b, new Float64Array(M * N), { M, N, K }), { atol: 1e-4, rtol: 1e-4 });
    return { ok: report.ok, detail: `matmul ${M}×${K}·${K}×${N}: ${report.message}` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

function printReport(report: AdapterReport, smoke: { ok: boolean; detail: string }): void {
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
  rows.push(['smoke test', `${smoke.ok ? 'ok' : 'FAILED'}: ${smoke.detail}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

function formatLimit(name: string, value: number): string {
  if (/Size$/.test(name) && value >= 1024 * 1024) return `${value} (${(value / 1024 / 1024).toFixed(0)} MiB)`;
  return String(value);
}
