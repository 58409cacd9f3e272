// The `gemstone` launcher as a user runs it (node-runner/bin/gemstone.js, through the child
// process that holds back Dawn's warnings), for the command-line tests.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const GEMSTONE_BIN = new URL('../../node-runner/bin/gemstone.js', import.meta.url).pathname;
/** `npm run bench`'s launcher: bench/run.ts behind the same filter. */
export const BENCH_BIN = new URL('../../bench/bin.js', import.meta.url).pathname;
export const ROOT = new URL('../..', import.meta.url).pathname;

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** The environment the tests run commands in: llvmpipe (the fast software adapter), plus `extra`. */
export function llvmpipeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GEMSTONE_ADAPTER: 'llvmpipe', ...extra };
}

const run = promisify(execFile);

/** Runs `gemstone args…`; a non-zero exit is a result to check, not an error. */
export function runGemstone(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return runLauncher(GEMSTONE_BIN, args, options);
}

/** Runs a launcher script (GEMSTONE_BIN, BENCH_BIN) with `args`, as runGemstone does. */
export async function runLauncher(
  bin: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? llvmpipeEnv(),
      maxBuffer: 64 << 20,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as CliResult;
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
