// Runs a TypeScript entry point in a child process whose native stderr (fd 2) is filtered: Dawn's adapter
// warnings are held back (shown with --verbose or GEMSTONE_VERBOSE=1) and every other line is passed on.
// bin/gemstone.js explains why a child process; `npm run bench` (bench/bin.js) uses the same.
import { spawn } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

/** Runs `entry` (a .ts file URL) with `args`; this process exits as the child does. */
export async function launchQuiet(entry, args) {
  register();
  const { NativeStderrFilter } = await import('../native-stderr.ts');
  const verbose = args.includes('--verbose') || process.env.GEMSTONE_VERBOSE === '1';
  const child = spawn(
    process.execPath,
    [...process.execArgv, '--import', import.meta.resolve('tsx'), fileURLToPath(entry), ...args],
    {
      stdio: ['inherit', 'inherit', 'pipe', process.stderr.fd, 'ipc'],
      env: { ...process.env, GEMSTONE_STDERR_FD: '3' },
      detached: true,
    },
  );

  const filter = new NativeStderrFilter(
    (line) => {
      if (verbose) process.stderr.write(`${line}\n`);
    },
    (text) => process.stderr.write(text),
  );
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => filter.push(chunk));

  const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of forwarded) process.on(signal, () => child.kill(signal));

  // 'close': the child has exited and its stderr pipe is read to the end.
  child.on('close', (code, signal) => {
    filter.end();
    if (signal !== null) {
      for (const s of forwarded) process.removeAllListeners(s);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
