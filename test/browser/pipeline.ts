// The same tiny pipeline (same seed, same adapter: SwiftShader) through the
// stage library in Node (Dawn, GEMSTONE_ADAPTER=swiftshader) and in Debian's
// headless Chromium (its SwiftShader), compared: the rollouts and annotated
// data (token ids, rewards, log-probs, labels, β masks), the accuracy figures
// and the trained parameters exactly; the PRM's step probabilities within a few
// ulps, because they are float64 from Math.exp on the CPU, which Node's V8 and
// Chromium's round differently (the test counts how often). Prints
// "N passed, N failed"; exit 1 on any failure. Then the same in the page with its artifacts in IndexedDB, stopped
// during training, the page reloaded and the run resumed: the same data, figures and parameters as the whole run.
import { readFileSync, writeFileSync } from 'node:fs';
import { GpuContext } from '../../src/gpu/context.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { haveChromium, launchChromium, serveTestPages } from './chromium.ts';
import { runTinyPipeline, type TinyOutcome } from './tiny-pipeline.ts';

/** The PRM's probabilities are float64 from the CPU's Math.exp (see below): a few ulps. */
const SCORE_TOLERANCE = 1e-12;
/**
 * The same WGSL on the same SwiftShader gives the same floats in both runtimes (measured: identical
 * parameters, rollouts and log-probs), so the trained parameters must be equal exactly.
 */
const PARAMETER_TOLERANCE = 0;

const results: { name: string; ok: boolean }[] = [];
function check(name: string, ok: boolean, detail = ''): void {
  results.push({ name, ok });
  console.log(`pipeline: ${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
}

async function inNode(reference: Uint8Array): Promise<TinyOutcome> {
  const context = await GpuContext.create({ adapter: 'swiftshader' });
  try {
    return await runTinyPipeline(context, (n) => WorkerPool.create(n), reference);
  } finally {
    context.destroy();
  }
}

async function inChromium(reference: Uint8Array): Promise<TinyOutcome> {
  const { server, url } = await serveTestPages();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`pipeline: page error: ${error.message}`));
    await page.goto(`${url}pipeline.html`);
    await page.waitForFunction(() => window.__runTinyPipeline !== undefined, undefined, { timeout: 120_000 });
    const base64 = Buffer.from(reference).toString('base64');
    const outcome = await page.evaluate((b) => window.__runTinyPipeline!(b), base64);
    if ('error' in outcome) throw new Error(`in the page: ${outcome.error}`);
    return outcome;
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * The tiny pipeline in the page with its artifacts in IndexedDB: stopped part way through its training stage (after a
 * checkpoint), the page reloaded, and run again with the same run id, which resumes from the stored artifacts.
 */
async function inChromiumStoredAndResumed(
  reference: Uint8Array,
): Promise<{ stopped: string; outcome: TinyOutcome; location: string }> {
  const { server, url } = await serveTestPages();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`pipeline: page error: ${error.message}`));
    const base64 = Buffer.from(reference).toString('base64');
    const open = async () => {
      await page.waitForFunction(() => window.__runStoredTinyPipeline !== undefined, undefined, { timeout: 120_000 });
    };
    await page.goto(`${url}pipeline.html`);
    await open();
    const failures = await page.evaluate(() => window.__checkIndexedDbStore!());
    check(
      'the IndexedDB store keeps its rules (at, remove, names, locate)',
      failures.length === 0,
      failures.join('; '),
    );
    const stop = { stage: 'iteration-1/train', ticks: 4 };
    const run = `resume-test-${Date.now()}`; // a new run id: nothing stored before this test
    const first = await page.evaluate((a) => window.__runStoredTinyPipeline!(a.base64, a.run, a.stop), {
      base64,
      run,
      stop,
    });
    if (!('stopped' in first))
      throw new Error(`the run did not stop: ${'error' in first ? first.error : 'it finished'}`);
    console.log(`pipeline: stopped ${first.stopped}; stored: ${first.names.join(', ')}`);
    await page.reload();
    await open();
    const second = await page.evaluate((a) => window.__runStoredTinyPipeline!(a.base64, a.run, null), { base64, run });
    if ('error' in second) throw new Error(`in the page, resumed: ${second.error}`);
    if ('stopped' in second) throw new Error(`the resumed run stopped: ${second.stopped}`);
    return { stopped: first.stopped, outcome: second, location: `indexeddb:gemstone-runs/${run}/` };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The annotated data with the PRM's probabilities taken out (compared apart, with a tolerance), and those. */
function withoutPrmScores(text: string): { text: string; scores: number[] } {
  const scores: number[] = [];
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const record = JSON.parse(line) as { judges?: { name: string; verdicts: { score?: number }[] }[] };
      for (const judge of record.judges ?? [])
        if (judge.name === 'prm')
          for (const verdict of judge.verdicts) {
            scores.push(verdict.score ?? Number.NaN);
            delete verdict.score;
          }
      return JSON.stringify(record);
    });
  return { text: lines.join('\n'), scores };
}

function relativeDifference(a: number[], b: number[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  return a.reduce((max, x, i) => Math.max(max, Math.abs(x - b[i]) / Math.max(Math.abs(x), 1e-30)), 0);
}

async function expInChromium(inputs: number[]): Promise<number[]> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    return await page.evaluate((xs) => xs.map((x) => Math.exp(x)), inputs);
  } finally {
    await browser.close();
  }
}

/** The figures of a summary that come from discrete outcomes (counts of right answers): equal exactly. */
function figures(s: Record<string, unknown>): unknown {
  const { adapter: _adapter, seconds: _seconds, reference: _r, policy: _p, ...rest } = s;
  return rest;
}

function maxDifference(a: Record<string, number[]>, b: Record<string, number[]>): number {
  let max = 0;
  for (const [name, values] of Object.entries(a)) {
    const other = b[name];
    if (other === undefined || other.length !== values.length) return Number.POSITIVE_INFINITY;
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] - other[i]));
  }
  return Object.keys(a).length === Object.keys(b).length ? max : Number.POSITIVE_INFINITY;
}

async function main(): Promise<number> {
  if (!haveChromium('pipeline')) return 1;
  const reference = new Uint8Array(readFileSync(new URL('../../demo/public/pi-ref-tiny.safetensors', import.meta.url)));
  const node = await inNode(reference);
  console.log(`pipeline: node · ${node.adapter}`);
  const page = await inChromium(reference);
  console.log(`pipeline: chromium · ${page.adapter}`);
  const dump = process.env.GEMSTONE_PIPELINE_DUMP;
  if (dump !== undefined) {
    writeFileSync(`${dump}-node.json`, JSON.stringify(node, null, 1));
    writeFileSync(`${dump}-chromium.json`, JSON.stringify(page, null, 1));
  }
  const lines = (t: string) => t.split('\n').filter(Boolean);
  check(
    'the rollouts are the same (token ids, rewards, log-probs)',
    node.rollouts === page.rollouts,
    `${lines(node.rollouts).length} and ${lines(page.rollouts).length} lines`,
  );
  const [a, b] = [withoutPrmScores(node.annotated), withoutPrmScores(page.annotated)];
  check('the annotated data are the same (token ids, labels, consensus, β masks)', a.text === b.text);
  const scoreDifference = relativeDifference(a.scores, b.scores);
  check(
    `the PRM's step probabilities agree within ${SCORE_TOLERANCE} (relative)`,
    scoreDifference <= SCORE_TOLERANCE,
    `largest ${scoreDifference}; ${a.scores.filter((x, i) => x !== b.scores[i]).length} of ${a.scores.length} differ`,
  );
  // Why they may differ: p = σ(z₊ − z₋) is taken on the CPU with Math.exp, which two V8 builds round differently.
  const inputs = Array.from({ length: 2000 }, (_, i) => -10 + i * 0.01);
  const here = inputs.map((x) => Math.exp(x));
  const there = await expInChromium(inputs);
  const expDiffers = here.filter((v, i) => v !== there[i]).length;
  console.log(
    `pipeline: Math.exp differs between Node's V8 and Chromium's in ${expDiffers} of ${inputs.length} inputs`,
  );
  const n = figures(node.summary);
  const p = figures(page.summary);
  check('the accuracy figures are the same', JSON.stringify(n) === JSON.stringify(p), JSON.stringify(n).slice(0, 300));
  const difference = maxDifference(node.parameters, page.parameters);
  check(
    `the trained parameters agree within ${PARAMETER_TOLERANCE}`,
    difference <= PARAMETER_TOLERANCE,
    `largest difference ${difference}`,
  );
  const { stopped, outcome: resumed, location } = await inChromiumStoredAndResumed(reference);
  // The rollouts' header and the summary name the policy by where it lives: the run's IndexedDB location taken out.
  const relative = (text: string) => text.replaceAll(location, '');
  check(
    'in IndexedDB, stopped and resumed after a reload: the rollouts are the same',
    relative(resumed.rollouts) === page.rollouts,
    `stopped ${stopped}`,
  );
  check(
    'in IndexedDB, stopped and resumed after a reload: the annotated data are the same',
    relative(resumed.annotated) === page.annotated,
  );
  check(
    'in IndexedDB, stopped and resumed after a reload: the accuracy figures are the same',
    relative(JSON.stringify(figures(resumed.summary))) === JSON.stringify(p),
    JSON.stringify(figures(resumed.summary)).slice(0, 300),
  );
  const resumedDifference = maxDifference(page.parameters, resumed.parameters);
  check(
    'in IndexedDB, stopped and resumed after a reload: the trained parameters are the same',
    resumedDifference === 0,
    `largest difference ${resumedDifference}`,
  );
  const failed = results.filter((r) => !r.ok).length;
  console.log(`pipeline: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exit(await main());
