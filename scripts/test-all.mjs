// `npm test`: the type check, the vitest suite in Node, the kernel cases in
// Deno and in headless Chromium, and the demo driven in headless Chromium.
// Every step runs even when an earlier one fails, so one run shows every
// failure; a runtime that cannot start fails.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const vitestJson = join(mkdtempSync(join(tmpdir(), 'gemstone-test-')), 'vitest.json');
const steps = [
  { name: 'shaders packed', command: 'node scripts/pack-shaders.mjs --check' },
  { name: 'format and lint (biome)', command: 'npx biome check .' },
  { name: 'line length (120)', command: 'node scripts/check-line-length.mjs' },
  { name: 'type check (tsc)', command: 'npx tsc -p .' },
  { name: 'type check (deno)', command: 'npx deno check test/deno/run-kernel-cases.ts test/deno/task-stages.ts' },
  {
    name: 'node (vitest)',
    command: `npx vitest run --reporter=default --reporter=json --outputFile.json=${vitestJson}`,
    counts: () => vitestCounts(),
  },
  { name: 'deno', command: 'npx deno run -A test/deno/run-kernel-cases.ts', counts: (out) => lastCounts(out) },
  { name: 'chromium', command: 'npx tsx test/browser/drive.ts', counts: (out) => lastCounts(out) },
  {
    name: 'pipeline: node vs chromium',
    command: 'npx tsx test/browser/pipeline.ts',
    counts: (out) => lastCounts(out),
  },
  { name: 'demo (chromium)', command: 'npx tsx test/browser/demo.ts', counts: (out) => lastCounts(out) },
];

function run(command) {
  return new Promise((resolve) => {
    // Tests use the default block shapes, never this machine's tuning cache (nor a search).
    const env = { ...process.env, GEMSTONE_TUNING: process.env.GEMSTONE_TUNING ?? 'defaults' };
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
      process.stdout.write(d);
    });
    // Dawn's adapter warnings are noise here; everything else on stderr is shown.
    child.stderr.on('data', (d) => {
      const text = String(d)
        .split('\n')
        .filter((l) => !/^Warning: max\w+ artificially reduced/.test(l))
        .join('\n');
      if (text.trim()) process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function lastCounts(output) {
  const matches = [...output.matchAll(/(\d+) passed, (\d+) failed/g)];
  const last = matches.at(-1);
  return last ? { passed: Number(last[1]), failed: Number(last[2]) } : null;
}

function vitestCounts() {
  try {
    const report = JSON.parse(readFileSync(vitestJson, 'utf8'));
    return { passed: report.numPassedTests, failed: report.numFailedTests + (report.numPendingTests ?? 0) };
  } catch {
    return null;
  }
}

let passed = 0;
let failed = 0;
const summary = [];
for (const step of steps) {
  console.log(`\n=== ${step.name}: ${step.command}`);
  const { code, output } = await run(step.command);
  const counts = step.counts?.(output) ?? null;
  const ok = code === 0 && (counts === null || (counts.failed === 0 && counts.passed > 0));
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  }
  if (!ok && (counts === null || counts.failed === 0)) failed += 1; // a step that broke without counting
  if (ok && counts === null) passed += 1;
  summary.push(
    `${ok ? 'ok  ' : 'FAIL'} ${step.name}` +
      `${counts ? ` (${counts.passed} passed, ${counts.failed} failed)` : ''}${code !== 0 ? ` exit ${code}` : ''}`,
  );
}
console.log('\n=== summary');
for (const line of summary) console.log(line);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
