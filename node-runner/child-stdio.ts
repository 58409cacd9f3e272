// The CLI's side of the launcher's split (see bin/gemstone.js): gemstone's own stderr goes to the
// file descriptor the launcher names (the terminal), while fd 2 stays a pipe for native code.
// Only Node under the launcher sets GEMSTONE_STDERR_FD; Deno and direct runs keep their stderr.
import { writeSync } from 'node:fs';
import process from 'node:process';
import { isatty, WriteStream } from 'node:tty';
import { Writable } from 'node:stream';

const fd = Number(process.env.GEMSTONE_STDERR_FD);
if (Number.isInteger(fd) && fd > 2) {
  delete process.env.GEMSTONE_STDERR_FD;
  // Synchronous writes, as Node's own stderr: nothing is lost at process.exit().
  const stream = isatty(fd)
    ? new WriteStream(fd)
    : new Writable({
        write(chunk, _encoding, done) {
          writeSync(fd, chunk);
          done();
        },
      });
  Object.defineProperty(process, 'stderr', { value: stream, configurable: true, enumerable: true, writable: true });
  // The launcher is gone (killed, even with SIGKILL): stop as if killed with it.
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  process.channel?.unref();
}
