// The demo's build: `npm run demo` serves it, `npm run demo:build` writes demo/dist
// (what test/browser/demo.ts serves). Relative paths, so dist/ works from any folder.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  // The annotation worker uses top-level await (src/workers/annotate-worker.ts): module workers only.
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
});
