#!/usr/bin/env node
// Entry point of `npx gemstone`: runs the TypeScript CLI (node-runner/main.ts) through tsx, so the
// same sources run in Node, Deno and the browser without a build step.
//
// A quiet terminal: Dawn, the native WebGPU of the `webgpu` package, prints its adapter warnings
// straight to file descriptor 2 from C++. Node cannot point fd 2 elsewhere for a while (it has no
// dup2), so the CLI runs in a child process whose fd 2 is a pipe read here: Dawn's messages are held
// back (shown with --verbose or GEMSTONE_VERBOSE=1; `gemstone doctor` lists them) and every other
// line is passed on at once. gemstone's own stderr goes to the child's fd 3, which is this process's
// stderr itself, so progress bars still see the terminal. Deno runs main.ts directly: its WebGPU is
// not Dawn and prints nothing of the kind.
//
// Signals: the child has its own process group, so Ctrl-C reaches it once, forwarded from here (a
// second Ctrl-C still quits at once); if this process dies, the child sees the IPC channel close
// and stops too (see node-runner/child-stdio.ts).
import process from 'node:process';
import { launchQuiet } from './launch.js';

await launchQuiet(new URL('../main.ts', import.meta.url), process.argv.slice(2));
