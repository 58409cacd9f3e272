// Debian's headless Chromium with WebGPU (SwiftShader) for the browser drivers,
// and a vite dev server of test/browser/ for the pages they open.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const CHROMIUM = process.env.GEMSTONE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Says what to install when there is no Chromium; false then. */
export function haveChromium(prefix: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.error(`${prefix}: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set GEMSTONE_CHROMIUM).`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Serves test/browser/ (and the repository's files it imports) on a free port; the address ends in '/'. */
export async function serveTestPages(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    configFile: false,
    root: fileURLToPath(new URL('.', import.meta.url)),
    logLevel: 'error',
    server: { port: 0, host: '127.0.0.1', fs: { allow: [fileURLToPath(new URL('../..', import.meta.url))] } },
  });
  await server.listen();
  return { server, url: server.resolvedUrls!.local[0] };
}
