// Serves test/browser/ with vite, opens it in Debian's headless Chromium through
// playwright-core, and prints the kernel cases' results. Exit 1 on any failure,
// including a browser or WebGPU that cannot start.
import { haveChromium, launchChromium, serveTestPages } from './chromium.ts';

async function main(): Promise<number> {
  if (!haveChromium('browser')) return 1;
  const { server, url } = await serveTestPages();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`browser: page error: ${error.message}`));
    await page.goto(url);
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
