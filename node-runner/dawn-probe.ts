// Run by `gemstone doctor` in a child process: starts an adapter as every command does, so that the
// doctor can read what Dawn writes to this process's native stderr (see native-stderr.ts).
import process from 'node:process';
import { acquireDevice } from '../src/gpu/device.ts';

const { device } = await acquireDevice({ adapter: process.argv[2] || undefined });
device.destroy();
process.exit(0); // Dawn keeps the event loop alive
