// The demo end to end: builds demo/ with vite, serves the build, and drives it
// in Debian's headless Chromium (SwiftShader WebGPU) through playwright-core:
// a tiny pipeline runs to the end (π_ref continued from the bundled one, a
// device loss in the middle that it must recover from), clicks during training
// must be handled within 200 ms, the accuracy figures, charts and credit view
// must appear, the β slider must recolour the BCPG-NSA tokens (and not the
// BCPG ones), checkpoints and annotated data must go out in the CLI's formats
// and come back in; an LLM endpoint that refuses every request must leave
// abstentions and a finished run (and its key nowhere but the header); the
// per-step plot (π_ref and every epoch of BCPG-NSA and BCPG on a wrong
// response) must be finite, redraw for another response and come back after a
// reload mid-run; the findings panel must show results.json's figures; then a
// page without navigator.gpu must say what to do and show the bundled example run. No console errors anywhere. Prints
// "N passed, N failed"; exit 1 on any failure. Screenshots go to a temp folder
// (printed); GEMSTONE_DEMO_SCREENSHOT=docs/demo.png also copies one there.
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build, preview } from 'vite';
import { decodeCheckpoint } from '../../src/checkpoint/checkpoint.ts';
import { describeConfigRegime, parseConfig } from '../../demo/src/config.ts';
import { readAnnotatedFile } from '../../src/data/rollout-files.ts';
import { type ExperimentResults, familyRows } from '../../src/experiment/results.ts';
import { haveChromium, launchChromium } from './chromium.ts';

const CLICK_BUDGET_MS = 200;
/**
 * A pipeline sized for SwiftShader on two cores: a few SFT steps on top of the bundled π_ref, 12 prompts × 4,
 * two epochs, two iterations.
 */
const TINY_RUN =
  process.env.GEMSTONE_DEMO_QUERY ??
  'run=1&sftSteps=6&sftBatch=8&records=400&prompts=12&group=4&epochs=2&iterations=2' +
    '&evalPrompts=32&readEvery=2&groupsPerBatch=4&compare=bcpg';
/** The failing-endpoint drill: one iteration, one epoch. */
const ENDPOINT_RUN =
  'run=0&keepAll=1&sftSteps=2&sftBatch=8&records=200&prompts=8&group=4&epochs=1&evalPrompts=8&readEvery=2&compare=';
const API_KEY = 'sk-test-never-shown-4711';
/** The reload drill: a run stopped by a reload after its first epoch, its per-step plot drawn again. */
const RELOAD_RUN =
  'sftSteps=2&sftBatch=8&records=200&prompts=8&group=4&keepAll=1&epochs=2&evalPrompts=8&evalSamples=0' +
  '&readEvery=2&compare=bcpg';

const results: { name: string; ok: boolean; detail: string }[] = [];
function check(name: string, ok: boolean, detail = ''): void {
  results.push({ name, ok, detail });
  console.log(`demo: ${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = mkdtempSync(join(tmpdir(), 'gemstone-demo-artifacts-'));

async function main(): Promise<number> {
  if (!haveChromium('demo')) return 1;
  const started = performance.now();
  const outDir = join(artifacts, 'dist');
  await build({
    configFile: join(root, 'demo/vite.config.ts'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  check(
    'vite builds the demo',
    existsSync(join(outDir, 'index.html')) &&
      existsSync(join(outDir, 'example-run.json')) &&
      existsSync(join(outDir, 'pi-ref-tiny.safetensors')),
  );
  const server = await preview({
    configFile: join(root, 'demo/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1', strictPort: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error('vite preview gave no address');
  console.log(`demo: serving the build at ${url}; artifacts in ${artifacts}`);
  const browser = await launchChromium();
  try {
    await trainingPage(browser, url);
    await reloadPage(browser, url);
    await failingEndpointPage(browser, url);
    await noWebGpuPage(browser, url);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`demo: ${((performance.now() - started) / 1000).toFixed(0)} s; screenshots in ${artifacts}`);
  console.log(`demo: ${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

/** Console errors and uncaught exceptions of a page, collected from the start. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

async function trainingPage(browser: Browser, url: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1500 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${url}?${TINY_RUN}`);
  await page.waitForFunction(() => document.body.dataset.status === 'running', undefined, { timeout: 60_000 });
  check('the page finds WebGPU and starts the pipeline from the URL', true);

  // Clicks during training: pause, play, pause, play while the GPU works. The latency is the
  // time from the input event's creation to its handler (the main thread's queueing delay).
  await page.waitForFunction(() => /SFT step/.test(document.getElementById('progress')?.textContent ?? ''), undefined, {
    timeout: 120_000,
  });
  // The header names the browser and the adapter once: "HeadlessChrome 131 · google swiftshader · software".
  const header = await page.evaluate(() => document.getElementById('adapter')?.textContent ?? '');
  check(
    'the header names the browser and the adapter',
    /^(HeadlessChrome|Chrome|Chromium|Google Chrome) \d+ · \S/.test(header) &&
      !/browser · browser|unnamed adapter/.test(header),
    header,
  );
  await page.evaluate(() => {
    const w = window as unknown as { __clicks: number[] };
    w.__clicks = [];
    for (const id of ['pause', 'play'])
      document
        .getElementById(id)!
        .addEventListener('click', (e) => w.__clicks.push(performance.now() - e.timeStamp), { capture: true });
  });
  const roundTrips: number[] = [];
  let pausedSeen = false;
  for (const id of ['pause', 'play', 'pause', 'play']) {
    const t0 = performance.now();
    await page.click(`#${id}`);
    roundTrips.push(performance.now() - t0);
    if (id === 'pause') pausedSeen ||= (await page.evaluate(() => document.body.dataset.status)) === 'paused';
  }
  const latencies = await page.evaluate(() => (window as unknown as { __clicks: number[] }).__clicks);
  check(
    `clicks during training are handled within ${CLICK_BUDGET_MS} ms`,
    latencies.length === 4 && Math.max(...latencies) < CLICK_BUDGET_MS,
    `handler latency ${latencies.map((l) => l.toFixed(0)).join(', ')} ms; ` +
      `playwright round trip ${roundTrips.map((l) => l.toFixed(0)).join(', ')} ms`,
  );
  check(
    'pause pauses and play resumes',
    pausedSeen && (await page.evaluate(() => document.body.dataset.status)) === 'running',
  );

  // A device loss in the middle of the run: the page must resume from its last checkpoint.
  await page.waitForFunction(
    () => /iteration 1: rollouts/.test(document.getElementById('stage')?.textContent ?? ''),
    undefined,
    { timeout: 300_000 },
  );
  await page.evaluate(() => window.__demo!.loseDevice());

  const done = await page
    .waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.status ?? ''), undefined, {
      timeout: 600_000,
      polling: 1000,
    })
    .then(() => page.evaluate(() => document.body.dataset.status));
  const notices = await page.locator('#notices').innerText();
  check('the tiny pipeline runs to the end', done === 'done', done === 'done' ? '' : notices);
  const resumes = await page.evaluate(() => window.__demo!.run()?.resumes ?? 0);
  check(
    'a lost GPU device is recovered from the last checkpoint',
    resumes === 1 && /device was lost/.test(notices),
    `resumes ${resumes}`,
  );

  const figures = await page.evaluate(() =>
    ['acc-ref', 'acc-main', 'acc-compare'].map((id) => document.getElementById(id)?.textContent ?? ''),
  );
  check(
    'accuracy figures appear for π_ref, the objective and the comparison',
    figures.every((f) => /\d+\.\d%/.test(f)),
    figures.join(' | '),
  );
  // The CLI's measure (src/pipeline/evaluate.ts describeAccuracy): pass@1 from samples at the evaluation temperature.
  const measure = await page.evaluate(() => document.querySelector('#summary .muted')?.textContent ?? '');
  check(
    "the accuracy is the CLI's measure: pass@1 from samples at temperature 0.7, greedy beside it",
    /^accuracy \(pass@1: 4 samples at temperature 0\.7\) on 32 held-out prompts/.test(measure) &&
      (await page.evaluate(() => window.__demo?.run()?.accuracy.every((p) => typeof p.greedy === 'number') ?? false)),
    measure,
  );
  const charts = await page.evaluate(() =>
    Object.fromEntries(
      ['sft', 'rl', 'accuracy', 'agreement'].map((id) => [
        id,
        {
          points: Number(document.getElementById(`chart-${id}`)?.dataset.points ?? 0),
          series: Number(document.getElementById(`chart-${id}`)?.dataset.series ?? 0),
          canvas: document.querySelectorAll(`#chart-${id} canvas`).length,
        },
      ]),
    ),
  );
  check(
    'the charts draw loss, RL terms, accuracy (two objectives) and judge agreement',
    Object.values(charts).every((c) => c.points > 0 && c.canvas > 0) && charts.accuracy.series === 2,
    JSON.stringify(charts),
  );

  const colours = (panel: string) =>
    page.$$eval(`#${panel} .tok`, (spans) => spans.map((s) => getComputedStyle(s).backgroundColor));
  const filter = await page.$eval('#credit-filter', (s) => (s as HTMLSelectElement).value);
  const steps = await page.$$eval('#credit-steps tbody tr', (rows) => rows.length);
  const nsaBefore = await colours('credit-nsa');
  const bcpgBefore = await colours('credit-bcpg');
  const tinted = nsaBefore.filter((c) => c !== 'rgb(247, 247, 247)').length;
  check(
    'the credit view shows the steps and coloured tokens',
    steps > 0 && nsaBefore.length > 0 && tinted > nsaBefore.length / 2,
    `filter ${filter}, ${steps} steps, ${tinted}/${nsaBefore.length} tokens tinted`,
  );
  const judgeHeaders = await page.$$eval('#credit-steps thead th', (ths) => ths.map((t) => t.textContent ?? ''));
  check(
    'the simulated LLM judge is labelled as such',
    judgeHeaders.some((t) => /llm.*simulated/.test(t)),
    judgeHeaders.join(' | '),
  );
  await page.locator('#beta').fill('-0.5');
  const nsaAfter = await colours('credit-nsa');
  const bcpgAfter = await colours('credit-bcpg');
  const changed = nsaAfter.filter((c, i) => c !== nsaBefore[i]).length;
  check(
    'moving the β slider recolours BCPG-NSA at once, and not BCPG (β = 1)',
    filter === 'mined' && changed > 0 && bcpgAfter.join() === bcpgBefore.join(),
    `${changed} tokens changed colour`,
  );
  check(
    'the config lives in the URL',
    new URL(page.url()).searchParams.get('beta') === '-0.5' &&
      new URL(page.url()).searchParams.get('prompts') === new URLSearchParams(TINY_RUN).get('prompts'),
    page.url(),
  );

  await mechanismPlot(page);
  await findingsPanel(page);

  const shot = join(artifacts, 'demo.png');
  await page.screenshot({ path: shot, fullPage: true });
  if (process.env.GEMSTONE_DEMO_SCREENSHOT) copyFileSync(shot, process.env.GEMSTONE_DEMO_SCREENSHOT);
  console.log(`demo: screenshot ${shot}`);

  // Checkpoints: download in the CLI's format, save and load in browser storage.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const downloaded = join(artifacts, 'policy.safetensors');
  await download.saveAs(downloaded);
  const state = decodeCheckpoint(new Uint8Array(readFileSync(downloaded)), downloaded);
  const extra = state.extra as { tokenizer?: unknown; task?: string; objective?: string };
  check(
    'download gives a gemstone checkpoint the CLI reads (tokenizer, task, trained objective)',
    extra.tokenizer !== undefined && extra.task === 'arithmetic' && extra.objective === 'bcpg-nsa' && state.step > 0,
    `step ${state.step}`,
  );
  await page.click('#save-browser');
  await page.waitForFunction(
    () => /Saved/.test(document.getElementById('checkpoint-status')?.textContent ?? ''),
    undefined,
    { timeout: 30_000 },
  );
  await page.click('#load-browser');
  await page.waitForFunction(
    () => /for the next run/.test(document.getElementById('checkpoint-status')?.textContent ?? ''),
    undefined,
    { timeout: 30_000 },
  );
  check('save in the browser and load back', true, await page.locator('#checkpoint-status').innerText());
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#upload')]);
  await chooser.setFiles(downloaded);
  await page.waitForFunction(
    () => /policy.safetensors/.test(document.getElementById('checkpoint-status')?.textContent ?? ''),
    undefined,
    { timeout: 30_000 },
  );
  check('upload a .safetensors checkpoint', true);

  // Annotated data: out in the CLI's annotated JSONL (read back by the CLI's reader), and in again.
  const [annotated] = await Promise.all([page.waitForEvent('download'), page.click('#download-annotated')]);
  const jsonl = join(artifacts, 'annotated.jsonl');
  await annotated.saveAs(jsonl);
  const parsed = await readAnnotatedFile(jsonl);
  check(
    'annotated data downloads in the CLI format',
    parsed.records.length > 0 && parsed.header.annotation.simulated.includes('llm'),
    `${parsed.records.length} records`,
  );
  const [chooser2] = await Promise.all([page.waitForEvent('filechooser'), page.click('#import-annotated')]);
  await chooser2.setFiles(jsonl);
  await page.waitForFunction(
    () => [...document.querySelectorAll('#credit-iteration option')].some((o) => o.textContent === 'imported data'),
    undefined,
    { timeout: 30_000 },
  );
  check("a run folder's annotated.jsonl imports into the credit view", true);

  check('no console errors while training', errors.length === 0, errors.slice(0, 5).join(' | '));
  await context.close();
}

interface PlotState {
  series: number;
  response: string;
  labels: string[];
  values: (number | null)[][];
  emptySteps: number[];
  canvas: number;
}

function readPlot(page: Page): Promise<PlotState> {
  return page.$eval('#chart-mechanism', (box) => {
    const d = (box as HTMLElement).dataset;
    return {
      series: Number(d.series ?? 0),
      response: d.response ?? '',
      labels: JSON.parse(d.labels ?? '[]') as string[],
      values: JSON.parse(d.values ?? '[]') as (number | null)[][],
      emptySteps: JSON.parse(d.emptySteps ?? '[]') as number[],
      canvas: box.querySelectorAll('canvas').length,
    };
  });
}

/** Every plotted value a finite log-probability (≤ 0); only steps without tokens are left out. */
function finitePlot(p: PlotState): boolean {
  return (
    p.values.length === p.series &&
    p.values.every(
      (line) =>
        line.length > p.emptySteps.length &&
        line.every((v, k) => (p.emptySteps.includes(k) ? v === null : typeof v === 'number' && v <= 0)),
    )
  );
}

/** The mechanism: each step's log-prob of a wrong response under π_ref and after every epoch of both objectives. */
async function mechanismPlot(page: Page): Promise<void> {
  const query = new URLSearchParams(TINY_RUN);
  const epochs = Number(query.get('epochs'));
  const first = await readPlot(page);
  const lines = (prefix: string) => first.labels.filter((l) => l.startsWith(`${prefix}, epoch `)).length;
  check(
    'the per-step plot draws π_ref and every epoch of BCPG-NSA and BCPG',
    first.canvas > 0 && first.labels[0] === 'π_ref' && lines('bcpg-nsa') === epochs && lines('bcpg') === epochs,
    first.labels.join(' | '),
  );
  check('its values are finite log-probabilities', finitePlot(first), JSON.stringify(first.values).slice(0, 200));
  const options = await page.$$eval('#mechanism-response option', (os) =>
    os.map((o) => (o as HTMLOptionElement).value),
  );
  if (options.length > 1) await page.selectOption('#mechanism-response', options[1]);
  const second = await readPlot(page);
  check(
    'choosing another wrong response redraws the plot',
    options.length > 1 &&
      second.response !== first.response &&
      JSON.stringify(second.values) !== JSON.stringify(first.values) &&
      second.labels.join() === first.labels.join() &&
      finitePlot(second),
    `${options.length} responses: ${first.response} → ${second.response}`,
  );
  await page.selectOption('#mechanism-scale', 'relative');
  const relative = await readPlot(page);
  check(
    'and plots the change from π_ref on request (π_ref at 0)',
    relative.values[0]?.every((v, k) => (relative.emptySteps.includes(k) ? v === null : v === 0)) &&
      relative.values.slice(1).some((line) => line.some((v) => v !== null && v !== 0)),
    JSON.stringify(relative.values).slice(0, 200),
  );
  await page.selectOption('#mechanism-scale', 'absolute');
}

/** "What the experiment found": results.json's own figures, and the page run's binomial ±. */
async function findingsPanel(page: Page): Promise<void> {
  const results = JSON.parse(readFileSync(join(root, 'docs/results/results.json'), 'utf8')) as ExperimentResults;
  const shown = await page.evaluate(() => ({
    ref: Number(document.getElementById('findings-ref')?.dataset.value),
    refText: document.getElementById('findings-ref')?.textContent ?? '',
    items: [...document.querySelectorAll<HTMLElement>('#findings-comparisons li')].map((li) => ({
      against: li.dataset.against ?? '',
      mean: Number(li.dataset.mean),
      low: Number(li.dataset.low),
      high: Number(li.dataset.high),
      text: li.textContent ?? '',
    })),
    one: Number(document.getElementById('findings-page')?.dataset.one),
    regime: document.getElementById('findings-regime')?.textContent ?? '',
    sweep: document.getElementById('findings-regimes') !== null,
    reference: window.__demo?.run()?.accuracy.find((p) => p.iteration === 0)?.accuracy ?? Number.NaN,
  }));
  const pp = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
  const rows = familyRows(results, 'method', results.methods, 'bcpg-nsa').filter((r) => r.vsReference !== null);
  const same = (a: number, b: number) => Math.abs(a - b) < 1e-12;
  const mismatches = rows.flatMap((row) => {
    const d = row.vsReference!.accuracy;
    const item = shown.items.find((i) => i.against === row.level);
    const ok =
      item !== undefined &&
      same(item.mean, d.mean!) &&
      same(item.low, d.ci![0]) &&
      same(item.high, d.ci![1]) &&
      item.text.includes(`${pp(d.mean!)} pp, 95% CI [${pp(d.ci![0])}, ${pp(d.ci![1])}]`);
    return ok ? [] : [row.level];
  });
  const reference = results.reference.eval.accuracy;
  check(
    'the findings panel shows the figures of docs/results/results.json',
    rows.length > 0 &&
      mismatches.length === 0 &&
      shown.ref === reference &&
      shown.refText.includes(`${(100 * reference).toFixed(1)}%`),
    mismatches.length > 0 ? `differ: ${mismatches.join(', ')}` : shown.items.map((i) => i.text).join(' | '),
  );
  const regime = describeConfigRegime(parseConfig(`?${TINY_RUN}`).config);
  check(
    "the run's regime in one line, and the mined-share sweep only when results.json has one",
    shown.regime.includes(regime) && shown.sweep === (results.regimes !== undefined),
    `${shown.regime} (sweep shown: ${shown.sweep})`,
  );
  const query = new URLSearchParams(TINY_RUN);
  const draws = Number(query.get('evalPrompts')) * Math.max(1, Number(query.get('evalSamples') ?? 4));
  const p = shown.reference;
  const expected = 1.96 * Math.sqrt((p * (1 - p)) / draws);
  check(
    "and this page's ± from its own sizes (binomial, at π_ref's accuracy here)",
    Number.isFinite(expected) && same(shown.one, expected),
    `±${(100 * shown.one).toFixed(2)} pp from ${draws} draws at p = ${p}`,
  );
}

/** A reload mid-run: the per-step plot comes back from the run kept in IndexedDB, and play resumes the run. */
async function reloadPage(browser: Browser, url: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  try {
    await page.goto(`${url}?run=1&${RELOAD_RUN}`);
    const plotted = () => Number(document.getElementById('chart-mechanism')?.dataset.series ?? 0) >= 2;
    await page.waitForFunction(plotted, undefined, { timeout: 600_000, polling: 500 });
    const before = await readPlot(page);
    // run=0: the page does not start the run, it draws what the stored run holds.
    await page.goto(`${url}?${RELOAD_RUN}`);
    await page.waitForFunction(plotted, undefined, { timeout: 60_000 });
    const after = await readPlot(page);
    const notices = await page.locator('#notices').innerText();
    check(
      'after a reload mid-run the per-step plot is drawn again from the stored run',
      after.labels.join() === before.labels.join() &&
        JSON.stringify(after.values) === JSON.stringify(before.values) &&
        (await page.evaluate(() => document.body.dataset.status)) === 'idle' &&
        /stored in this browser/.test(notices),
      after.labels.join(' | '),
    );
    await page.click('#play');
    await page.waitForFunction(
      () => /iteration 1: bcpg-nsa|comparison/.test(document.getElementById('stage')?.textContent ?? ''),
      undefined,
      { timeout: 300_000, polling: 500 },
    );
    const resumed = await readPlot(page);
    check(
      'play resumes the stored run, its plot kept',
      /Resuming the run stored/.test(await page.locator('#notices').innerText()) &&
        before.labels.every((l) => resumed.labels.includes(l)),
      resumed.labels.join(' | '),
    );
    await page.click('#reset');
    await page.waitForFunction(() => document.body.dataset.status === 'idle', undefined, { timeout: 30_000 });
    // The plot's pair: the comparison follows the objective while it is the default one.
    const settings = () =>
      page.evaluate(() => ({
        compare: (document.getElementById('cfg-compare') as HTMLSelectElement).value,
        note: document.getElementById('mechanism-note')?.textContent ?? '',
        query: location.search,
      }));
    await page.selectOption('#cfg-objective', 'bcpg');
    const follows = await settings();
    await page.selectOption('#cfg-compare', '');
    const none = await settings();
    check(
      'choosing BCPG makes BCPG-NSA its comparison; with none the plot says what it needs',
      follows.compare === 'bcpg-nsa' &&
        /objective=bcpg(&|$)/.test(follows.query) &&
        !/compare=/.test(follows.query) &&
        !/needs/.test(follows.note) &&
        /needs a second objective .* set "compare with" to bcpg-nsa/.test(none.note),
      `${JSON.stringify(follows)} ${JSON.stringify(none)}`,
    );
    // The solver knobs beside difficulty: a refused one is marked and not taken, a good one goes to the address.
    const knobs = async (text: string) => {
      await page.fill('#cfg-solver', text);
      await page.locator('#cfg-solver').dispatchEvent('change');
      return page.evaluate(() => {
        const input = document.getElementById('cfg-solver') as HTMLInputElement;
        const regime = document.getElementById('findings-regime')?.textContent ?? '';
        return { value: input.value, valid: input.validity.valid, query: location.search, regime };
      });
    };
    const refused = await knobs('speed=1');
    const taken = await knobs('slipWhere=late, catchRate=0.8');
    check(
      'the solver knobs: refused ones are marked and not taken, good ones go to the address and the regime line',
      !refused.valid &&
        !/solver=/.test(refused.query) &&
        taken.valid &&
        taken.value === 'catchRate=0.8,slipWhere=late' &&
        taken.query.includes('solver=catchRate%3D0.8%2CslipWhere%3Dlate') &&
        taken.regime.includes('difficulty 0, catchRate=0.8,slipWhere=late'),
      `${JSON.stringify(refused)} ${JSON.stringify(taken)}`,
    );
    check('no console errors across the reload', errors.length === 0, errors.slice(0, 5).join(' | '));
  } finally {
    await context.close();
  }
}

/**
 * An LLM endpoint that refuses every request (401, with CORS so the page can read it):
 * the judge abstains, training goes on.
 */
async function failingEndpointPage(browser: Browser, url: string): Promise<void> {
  let authorized = 0;
  const endpoint = createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-allow-methods': 'POST, OPTIONS',
    };
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    if (req.headers.authorization === `Bearer ${API_KEY}`) authorized += 1;
    res
      .writeHead(401, { ...cors, 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { message: 'invalid API key' } }));
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/v1`;
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
  const page = await context.newPage();
  const consoleText: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => {
    consoleText.push(m.text());
    // The browser reports each refused request to the endpoint as a console error: those are the drill.
    if (m.type() === 'error' && !(m.location().url.startsWith(base) || /status of 401/.test(m.text())))
      errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${url}?${ENDPOINT_RUN}`);
    await page.waitForFunction(() => document.body.dataset.status === 'idle', undefined, { timeout: 60_000 });
    await page.selectOption('#llm-mode', 'endpoint');
    await page.fill('#llm-url', base);
    await page.fill('#llm-key', API_KEY);
    await page.click('#play');
    const status = await page
      .waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.status ?? ''), undefined, {
        timeout: 600_000,
        polling: 1000,
      })
      .then(() => page.evaluate(() => document.body.dataset.status));
    const notices = await page.locator('#notices').innerText();
    check('a failing LLM endpoint: the run still ends', status === 'done', status === 'done' ? '' : notices);
    await page.selectOption('#credit-filter', 'all');
    const llmColumn = await page.$$eval('#credit-steps tbody tr', (rows) =>
      rows.map((r) => r.children[2]?.textContent ?? ''),
    );
    check(
      'its abstentions are shown in the credit view and announced',
      llmColumn.length > 0 && llmColumn.every((t) => t === 'abstained') && /abstained/.test(notices),
      `${llmColumn.length} steps: ${[...new Set(llmColumn)].join(', ')}`,
    );
    const stored = await page.evaluate(() =>
      JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, url: location.href }),
    );
    check(
      'the API key reaches the endpoint only in its header: not in the URL, storage, notices or console',
      authorized > 0 &&
        !stored.includes(API_KEY) &&
        !notices.includes(API_KEY) &&
        !consoleText.some((t) => t.includes(API_KEY)),
      `${authorized} requests carried it`,
    );
    check('no other console errors with a failing endpoint', errors.length === 0, errors.slice(0, 5).join(' | '));
  } finally {
    await context.close();
    await new Promise<void>((resolve) => endpoint.close(() => resolve()));
  }
}

async function noWebGpuPage(browser: Browser, url: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
  // A browser without WebGPU: navigator.gpu is gone before any page script runs.
  await context.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${url}?run=1`);
  await page.waitForFunction(
    () => document.body.dataset.example === 'shown' || document.querySelectorAll('.notice.error').length > 1,
    undefined,
    { timeout: 60_000 },
  );
  const notices = await page.locator('#notices').innerText();
  check(
    'without WebGPU the page says what to do',
    /no WebGPU/.test(notices) && /Chrome|Edge/.test(notices),
    notices.split('\n')[0],
  );
  const state = await page.evaluate(() => ({
    example: document.body.dataset.example,
    status: document.body.dataset.status ?? 'none',
    points: Number(document.getElementById('chart-accuracy')?.dataset.points ?? 0),
    play: (document.getElementById('play') as HTMLButtonElement | null)?.disabled,
  }));
  check(
    'and shows the bundled example run read-only',
    state.example === 'shown' && state.points > 0 && state.play === true && state.status === 'none',
    JSON.stringify(state),
  );
  const before = await page.$$eval('#credit-nsa .tok', (s) => s.map((t) => getComputedStyle(t).backgroundColor));
  await page.locator('#beta').fill('1');
  const after = await page.$$eval('#credit-nsa .tok', (s) => s.map((t) => getComputedStyle(t).backgroundColor));
  check("the example's credit view answers the β slider", before.length > 0 && after.some((c, i) => c !== before[i]));
  const example = await readPlot(page);
  check(
    "the example's per-step plot draws π_ref and both objectives' epochs",
    example.labels[0] === 'π_ref' &&
      example.labels.some((l) => l.startsWith('bcpg-nsa, epoch')) &&
      example.labels.some((l) => l.startsWith('bcpg, epoch')) &&
      finitePlot(example),
    example.labels.join(' | '),
  );
  await page.screenshot({ path: join(artifacts, 'demo-no-webgpu.png'), fullPage: true });
  check('no console errors without WebGPU', errors.length === 0, errors.slice(0, 5).join(' | '));
  await context.close();
}

process.exit(
  await main().catch((error) => {
    console.error(`demo: ${(error as Error).stack ?? error}`);
    console.log(
      `demo: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`,
    );
    return 1;
  }),
);
