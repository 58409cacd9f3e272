// The shared kernel cases in a browser page. The page writes its results to
// window.__gemstoneResults for the Playwright driver (test/browser/drive.ts).
import { GpuContext } from '../../src/gpu/context.ts';
import { describeReport } from '../../src/gpu/device.ts';
import { runAllCases } from '../cases/index.ts';

interface PageResults {
  adapter: string;
  error?: string;
  results: { name: string; ok: boolean; error?: string }[];
}

declare global {
  interface Window {
    __gemstoneResults?: PageResults;
  }
}

const logElement = document.getElementById('log')!;
const log = (line: string) => {
  logElement.textContent += `${line}\n`;
};

async function main(): Promise<PageResults> {
  let context: GpuContext;
  try {
    context = await GpuContext.create({ tuning: 'defaults' });
  } catch (error) {
    return { adapter: 'none', error: `the GPU could not start: ${(error as Error).message}`, results: [] };
  }
  const adapter = describeReport(context.report);
  log(adapter);
  const results = await runAllCases(context, log);
  context.destroy();
  return { adapter, results };
}

main().then(
  (results) => {
    window.__gemstoneResults = results;
  },
  (error) => {
    window.__gemstoneResults = { adapter: 'unknown', error: String(error), results: [] };
  },
);
