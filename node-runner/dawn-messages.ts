// What Dawn says while it starts an adapter, for `gemstone doctor`: the probe runs in a child
// process whose stderr is piped here, since Dawn writes from native code (see native-stderr.ts).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { dawnMessagesIn } from './native-stderr.ts';

/** Dawn's messages while starting the adapter (null in Deno, whose WebGPU is not Dawn). */
export async function probeDawnMessages(adapter?: string): Promise<string[] | null> {
  if ((globalThis as { Deno?: unknown }).Deno !== undefined) return null;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const probe = fileURLToPath(new URL('./dawn-probe.ts', import.meta.url));
  const env = { ...process.env };
  delete env.GEMSTONE_STDERR_FD;
  try {
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', tsx, probe, adapter ?? ''], {
      env,
      timeout: 120_000,
    });
    return dawnMessagesIn(stderr);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    return [...dawnMessagesIn(e.stderr ?? ''), `(the probe failed: ${e.message.split('\n')[0]})`];
  }
}
