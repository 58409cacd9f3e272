// Generation as it was before the throughput work, timed in the same bench run as today's.
// The issue on speed asks for today's generation at the default rollout batch against "batch 32 with
// today's path" (the path of the day it was filed), printed by one run. That path is gone from the tree,
// so the bench takes its sources from git history at BASELINE_COMMIT, runs them in a child process on
// the same adapter and config, and times them exactly as benchGenerate times ours.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from '../src/model/config.ts';
import { median } from './timing.ts';

/** The last commit before generation was rebuilt for throughput (6cfd2d4): one submit and await per position,
 * unfused bias and residual adds, finished rows kept, no vocabulary padding. */
export const BASELINE_COMMIT = 'a8e33b8ab84f453fc4ab151841fb2edcc0646fbd';

export interface BaselineGenerateOptions {
  config: ModelConfig;
  B: number;
  promptTokens: number;
  newTokens: number;
  runs: number;
  seed: number;
  adapter?: string;
}

export type BaselineGenerateResult = { seconds: number } | { refused: string };

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The child's entry point, written beside the old sources: the body of benchGenerate, on the old API. */
function harness(options: BaselineGenerateOptions): string {
  return `
import { GpuContext } from './src/gpu/context.ts';
import { presetConfig } from './src/model/config.ts';
import { generate } from './src/model/generate.ts';
import { Gpt2 } from './src/model/gpt2.ts';
import { Random } from './src/util/random.ts';
const o = ${JSON.stringify(options)};
const { vocabSize, contextLength, width, layers, heads } = o.config;
const config = presetConfig('small', { vocabSize, contextLength, width, layers, heads });
const context = await GpuContext.create(o.adapter === undefined ? {} : { adapter: o.adapter });
const model = new Gpt2(context, config);
model.initialize(o.seed);
const random = new Random(o.seed + 1);
const prompts = Array.from({ length: o.B }, () =>
  Array.from({ length: o.promptTokens }, () => Math.floor(random.next() * vocabSize)));
const seconds = [];
for (let run = 0; run <= o.runs; run++) {
  const start = performance.now();
  const out = await generate(model, {
    prompts, maxNewTokens: o.newTokens, temperature: 1, topK: 0, seed: o.seed + run,
  });
  const produced = out.tokens.reduce((sum, row) => sum + row.length, 0);
  if (produced !== o.B * o.newTokens)
    throw new Error('baseline: ' + produced + ' new tokens, expected ' + o.B * o.newTokens);
  if (run > 0) seconds.push((performance.now() - start) / 1000); // run 0 is the warm-up: pipelines
}
model.destroy();
context.destroy();
console.log(JSON.stringify(seconds));
process.exit(0);
`;
}

function git(args: string[]): { ok: boolean; stdout: Buffer; stderr: string } {
  const r = spawnSync('git', ['-C', ROOT, ...args], { maxBuffer: 64 * 2 ** 20 });
  return { ok: r.status === 0, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString() ?? String(r.error) };
}

/** Seconds of each timed run of the old generate(), or why it could not run (no git history, a shallow clone). */
export async function benchBaselineGenerate(options: BaselineGenerateOptions): Promise<BaselineGenerateResult> {
  // Where the tree has no git history (a shallow clone, a copy on another machine), a tar of the old `src/`
  // stands in: GEMSTONE_BASELINE_SRC=FILE, made by `git archive BASELINE_COMMIT src [| xz]`.
  const tarFile = process.env.GEMSTONE_BASELINE_SRC;
  let archive: Buffer | null = null;
  if (tarFile === undefined) {
    if (!git(['cat-file', '-e', `${BASELINE_COMMIT}^{commit}`]).ok)
      return { refused: `commit ${BASELINE_COMMIT.slice(0, 7)} is not in this clone's history (a shallow clone?)` };
    const out = git(['archive', '--format=tar', BASELINE_COMMIT, 'src']);
    if (!out.ok) return { refused: `git archive ${BASELINE_COMMIT.slice(0, 7)}: ${out.stderr.trim()}` };
    archive = out.stdout;
  }
  const dir = mkdtempSync(join(tmpdir(), 'gemstone-baseline-'));
  try {
    const untar =
      archive === null
        ? spawnSync('tar', ['-xf', tarFile!, '-C', dir])
        : spawnSync('tar', ['-x', '-C', dir], { input: archive });
    if (untar.status !== 0) return { refused: `tar: ${untar.stderr?.toString().trim() ?? untar.error}` };
    // Same dependencies as today (the old tree pinned the same webgpu and tsx).
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n'); // the old sources are ES modules
    writeFileSync(join(dir, 'baseline.ts'), harness(options));
    const { code, stdout, stderr } = await run(dir);
    if (code !== 0) {
      // Dawn's adapter warnings are expected on stderr; the last lines carry the error.
      const tail = stderr.trim().split('\n').slice(-5).join('\n');
      throw new Error(`the baseline generation (${BASELINE_COMMIT.slice(0, 7)}) exited with ${code}:\n${tail}`);
    }
    const seconds = JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as number[];
    return { seconds: median(seconds) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), 'baseline.ts'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
