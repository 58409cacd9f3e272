// A quiet terminal: Dawn's adapter warnings (written by native code to fd 2) are held back by
// the launcher from every command's stderr, shown with --verbose, and listed by `gemstone doctor`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dawnMessages, dawnMessagesIn, NativeStderrFilter } from '../node-runner/native-stderr.ts';
import { BENCH_BIN, runGemstone, runLauncher } from './util/cli.ts';
import { rolloutText, validRollouts } from './util/rollout-data.ts';

const DAWN_TRACE = /Warning: |artificially reduced|InitializeImpl|While initializing/;

function gemstone(...args: string[]) {
  const env = { ...process.env };
  delete env.GEMSTONE_ADAPTER; // the adapter search tries Vulkan first, which is what makes Dawn talk
  delete env.GEMSTONE_VERBOSE;
  return runGemstone(args, { env });
}

const DAWN_OUTPUT = [
  'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.',
  ' - While initializing adapter (backend=BackendType::Vulkan)',
  '    at InitializeImpl (/home/runner/work/node-webgpu/third_party/dawn/' +
    'src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)',
  '',
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 ' +
    'to fit dynamic offset allocation limit.',
].join('\n');
const OTHER_OUTPUT = [
  '(node:4242) Warning: a warning of Node itself',
  'Error: boom',
  '    at main (file:///x/main.ts:3:9)',
  'a last line without its newline',
].join('\n');

describe('telling Dawn apart on native stderr', () => {
  it('holds back whole Dawn messages and passes everything else on, however the text is chunked', () => {
    const text = `${DAWN_OUTPUT}\n${OTHER_OUTPUT}`;
    for (const size of [1, 3, 7, 64, text.length]) {
      const dawn: string[] = [];
      let other = '';
      const filter = new NativeStderrFilter(
        (line) => dawn.push(line),
        (t) => {
          other += t;
        },
      );
      for (let i = 0; i < text.length; i += size) filter.push(text.slice(i, i + size));
      filter.end();
      expect(other, `chunks of ${size}`).toBe(OTHER_OUTPUT.replace(/\n?$/, ''));
      expect(dawn.join('\n'), `chunks of ${size}`).toBe(DAWN_OUTPUT);
    }
    expect(dawnMessages(DAWN_OUTPUT.split('\n'))).toEqual([
      'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required. ' +
        '— While initializing adapter (backend=BackendType::Vulkan)',
      'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 ' +
        'to fit dynamic offset allocation limit.',
    ]);
  });
});

describe('the terminal shows gemstone only', () => {
  it('a command prints no Dawn warning; --verbose shows them; doctor lists the same ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemstone-quiet-'));
    const data = join(dir, 'rollouts.jsonl');
    const { header, rollouts } = validRollouts(2, 2);
    writeFileSync(data, rolloutText(header, rollouts));
    // No --profile: the command looks for an adapter first, as a bare command does.
    const annotate = (out: string, ...extra: string[]) =>
      gemstone('annotate', '--data', data, '--judges', 'oracle', '--workers', '1', '--out', join(dir, out), ...extra);

    const quiet = await annotate('quiet');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/annotated 4 responses/);
    expect(quiet.stderr).not.toMatch(DAWN_TRACE);

    const doctor = await gemstone('doctor', '--json');
    expect(doctor.code, doctor.stderr).toBe(0);
    expect(doctor.stderr).not.toMatch(DAWN_TRACE);
    const done = JSON.parse(doctor.stdout.trim().split('\n').at(-1) ?? '{}');
    const listed: string[] = done.summary.dawnMessages;
    expect(Array.isArray(listed)).toBe(true);

    const verbose = await annotate('verbose', '--verbose');
    expect(verbose.code, verbose.stderr).toBe(0);
    const shown = dawnMessagesIn(verbose.stderr);
    expect(new Set(shown)).toEqual(new Set(listed));

    const human = await gemstone('doctor');
    expect(human.stderr).not.toMatch(DAWN_TRACE);
    for (const message of listed) expect(human.stdout).toContain(message);
    if (listed.length === 0) expect(human.stdout).toMatch(/^dawn messages +\(none\)$/m);
  });
});

describe('npm run bench is as quiet', () => {
  it('holds back Dawn warnings and still prints the bench; --verbose shows what doctor lists', async () => {
    const env = { ...process.env };
    delete env.GEMSTONE_ADAPTER; // the adapter search tries Vulkan first, which is what makes Dawn talk
    delete env.GEMSTONE_VERBOSE;
    const bench = (...extra: string[]) =>
      runLauncher(BENCH_BIN, ['--only', 'annotate', '--no-peer', ...extra], { env });
    const quiet = await bench();
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/f32 FMA peak at the start: [\d.]+ GFLOP\/s/);
    expect(quiet.stdout).toMatch(/annotate .* 1 worker +\d+ responses\/s/);
    expect(quiet.stderr).not.toMatch(DAWN_TRACE);

    const doctor = await gemstone('doctor', '--json');
    const listed: string[] = JSON.parse(doctor.stdout.trim().split('\n').at(-1) ?? '{}').summary.dawnMessages;
    const verbose = await bench('--verbose');
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(new Set(dawnMessagesIn(verbose.stderr))).toEqual(new Set(listed));
  });
});
