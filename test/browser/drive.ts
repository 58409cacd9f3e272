// Serves test/browser/ with vite, opens it in Debian's headless Chromium through
// playwright-core, and prints the kernel cases' results. Exit 1 on any failure,
// including a browser or WebGPU that cannot start.
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CHROMIUM = process.env.GEMSTONE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

async function main(): Promise<number> {
  if (!existsSync(CHROMIUM)) {
    console.error(`browser: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set GEMSTONE_CHROMIUM).`);
    return 1;
  }
  const root = fileURLToPath(new URL('.', import.meta.url));
  const server = await createServer({
    configFile: false,
    root,
    logLevel: 'error',
    server: { port: 0, host: '127.0.0.1', fs: { allow: [fileURLToPath(new URL('../..', import.meta.url))] } },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`browser: page error: ${error.message}`));
    await page.goto(url!);
    await page.waitForFunction(() => window.__gemstoneResults !== undefined, undefined, {
      timeout: 600_000,
      polling: 500,
    });
    const outcome = (await page.evaluate(() => window.__gemstoneResults))!;
    console.log(`browser: chromium · ${outcome.adapter}`);
    if (outcome.error) {
      console.error(`browser: ${outcome.error}`);
      return 1;
    }
    for (const r of outcome.results)
      console.log(`browser: ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.error ? `: ${r.error}` : ''}`);
    const failed = outcome.results.filter((r) => !r.ok).length;
    console.log(`browser: ${outcome.results.length - failed} passed, ${failed} failed`);
    return failed === 0 && outcome.results.length > 0 ? 0 : 1;
  } finally {
    await browser.close();
    await server.close();
  }
}

process.exit(await main());
