// The entry point for every runtime: `npx gemstone …` (Node, through bin/gemstone.js and tsx)
// and `deno run -A node-runner/main.ts …` (Deno, whose navigator.gpu is WebGPU).
import process from 'node:process';
import './child-stdio.ts';

// Mesa's Vulkan loader (lavapipe in Deno, SwiftShader in Node) warns without a runtime dir;
// any writable folder will do.
if (!process.env.XDG_RUNTIME_DIR) {
  const { mkdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = join(tmpdir(), 'gemstone-runtime');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}
await import('./cli.ts');
