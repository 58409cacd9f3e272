// The demo page: reads the config from the URL, checks for WebGPU, and either
// runs the pipeline in the page (controls, charts, credit view, checkpoints)
// or — without WebGPU — says what to do and shows the bundled example run
// read-only. window.__demo exposes the state for the browser test.
import { downloadBytes, loadFromBrowser, pickFileBytes, saveToBrowser } from '../../src/checkpoint/browser-storage.ts';
import { GpuContext } from '../../src/gpu/context.ts';
import { WorkerPool } from '../../src/workers/pool.ts';
import { configQuery, parseConfig, type DemoConfig } from './config.ts';
import { Cancelled, RunControl, type RunState } from './pipeline/control.ts';
import { MECHANISM_FILE, Pipeline } from './pipeline/driver.ts';
import { parseMechanism } from './pipeline/mechanism.ts';
import { forgetRun, openRunStore, peekStoredRun } from './pipeline/stored-run.ts';
import { checkRunRecord, emptyRun, type IterationRecord, type RunRecord } from './pipeline/run-record.ts';
import { Charts } from './ui/charts.ts';
import { Controls } from './ui/controls.ts';
import { CreditView } from './ui/credit-view.ts';
import { FindingsView } from './ui/findings-view.ts';
import { MechanismView } from './ui/mechanism-view.ts';
import { clear, h, pct } from './ui/dom.ts';
import { describeCheckpoint, importAnnotated, STORAGE_NAME } from './ui/files.ts';
import './style.css';

declare global {
  interface Window {
    __demo?: { status: () => RunState; loseDevice: () => void; run: () => RunRecord | null; webgpu: boolean };
  }
}

const { config: initial, warnings } = parseConfig(location.search);
let config: DemoConfig = initial;
let status: RunState = 'idle';
let pipeline: Pipeline | null = null;
let control = new RunControl();
let shown: RunRecord | null = null;
let loadedReference: { bytes: Uint8Array; label: string } | null = null;
let imported: { data: IterationRecord; tokenizer: unknown } | null = null;

const notices = h('div', { class: 'notices', id: 'notices' });
const summary = h('div', { class: 'summary', id: 'summary' });
const charts = new Charts();
const credit = new CreditView();
const mechanism = new MechanismView();
const findings = new FindingsView(config);
credit.setHyper(config.beta, config.tau);
const adapterLine = h('span', { class: 'adapter', id: 'adapter' }, '');

function notice(message: string, level: 'info' | 'warn' | 'error' = 'info'): HTMLElement {
  const item = h(
    'div',
    { class: `notice ${level}` },
    message,
    h('button', { type: 'button', class: 'close', onclick: () => item.remove(), title: 'dismiss' }, '×'),
  );
  notices.append(item);
  return item;
}

function setStatus(next: RunState): void {
  status = next;
  document.body.dataset.status = next;
  controls.setRunning(next === 'running' || next === 'paused');
}

function redraw(): void {
  charts.update(shown ?? emptyShown());
  renderSummary();
  mechanism.setRun(shown ?? emptyShown());
  updatePagePrecision();
}

/** The findings panel's "this page" lines: the shown run's sizes, at π_ref's accuracy once it is measured. */
function updatePagePrecision(): void {
  const run = shown;
  findings.setPage(run?.config ?? config, run?.accuracy.find((p) => p.iteration === 0)?.accuracy ?? null);
}

function emptyShown(): RunRecord {
  return emptyRun(config);
}

/** The accuracy figures in words: π_ref, each epoch of the main run, the comparison. */
function renderSummary(): void {
  clear(summary);
  const run = shown;
  if (run === null || run.accuracy.length === 0) return;
  const reference = run.accuracy.find((p) => p.iteration === 0);
  const last = (r: string) => run.accuracy.filter((p) => p.run === r && p.iteration > 0).at(-1);
  const main = last('main');
  const compare = last('compare');
  const it = run.iterations.find((i) => i.iteration === 1) ?? run.iterations[0];
  const figures: (HTMLElement | null)[] = [
    h('div', { class: 'figure', id: 'acc-ref' }, h('span', {}, 'π_ref'), h('b', {}, pct(reference?.accuracy))),
    main
      ? h(
          'div',
          { class: 'figure', id: 'acc-main' },
          h('span', {}, `${main.objective} (iteration ${main.iteration}, epoch ${main.epoch})`),
          h('b', {}, pct(main.accuracy)),
        )
      : null,
    compare
      ? h(
          'div',
          { class: 'figure', id: 'acc-compare' },
          h('span', {}, `${compare.objective} (same data)`),
          h('b', {}, pct(compare.accuracy)),
        )
      : null,
    it
      ? h(
          'div',
          { class: 'figure' },
          h('span', {}, 'offline data'),
          h(
            'b',
            {},
            `${it.dataset.responses} responses, ${it.dataset.negatives} negatives, ` +
              `${it.records.filter((r) => r.reward === 0 && r.beta_mask.includes(1)).length} with mined steps`,
          ),
        )
      : null,
    h(
      'div',
      { class: 'muted' },
      `${reference?.measure ?? 'greedy accuracy'} on ${reference?.prompts ?? '–'} held-out prompts` +
        `${run.adapter ? ` · ${run.adapter}` : ''}` +
        `${run.parameters ? ` · ${run.parameters.toLocaleString('en')} parameters` : ''}` +
        `${run.resumes ? ` · recovered from ${run.resumes} device loss(es)` : ''}`,
    ),
  ];
  summary.append(...figures.filter((f): f is HTMLElement => f !== null));
}

const controls = new Controls(config, {
  change(next, key) {
    config = next;
    history.replaceState(null, '', `${location.pathname}?${configQuery(config)}`);
    if (key === 'beta' || key === 'tau') credit.setHyper(config.beta, config.tau);
    if (pipeline === null) {
      if (key === 'objective' || key === 'compare') mechanism.setRun(shown ?? emptyShown());
      updatePagePrecision();
    }
  },
  play: () => void play(),
  pause() {
    if (status !== 'running') return;
    control.pause();
    setStatus('paused');
    controls.stage.textContent = `${controls.stage.textContent?.replace(/ \(paused\)$/, '')} (paused)`;
  },
  step() {
    if (status === 'idle' || status === 'done' || status === 'failed') {
      void play();
      control.pause();
      setStatus('paused');
    }
    control.step();
  },
  reset() {
    control.cancel();
    void forgetRun().catch((error) =>
      notice(`The stored run could not be deleted: ${(error as Error).message}`, 'warn'),
    );
    pipeline = null;
    shown = null;
    control = new RunControl();
    setStatus('idle');
    controls.stage.textContent = 'idle';
    controls.progress.textContent = 'Reset. Press play to start again.';
    credit.setRun(null);
    redraw();
  },
});

/** What identifies the page's stored run: the settings (not whether it starts at once), and what was loaded. */
function runSettings(): string {
  return `${configQuery({ ...config, run: false })} ${loadedReference?.label ?? ''} ${imported !== null}`;
}

/** After a reload mid-run: the stored run's per-step plot, before play resumes the rest. */
async function showStoredMechanism(): Promise<void> {
  const bytes = await peekStoredRun(runSettings(), MECHANISM_FILE);
  if (bytes === null || shown !== null) return;
  try {
    shown = { ...emptyShown(), mechanism: parseMechanism(new TextDecoder().decode(bytes), MECHANISM_FILE) };
    mechanism.setRun(shown);
    notice('A run with these settings is stored in this browser: its per-step plot is below; play resumes it.');
  } catch (error) {
    notice(`The stored run's per-step plot could not be read (${(error as Error).message}).`, 'warn');
  }
}

async function play(): Promise<void> {
  if (status === 'paused') {
    control.play();
    setStatus('running');
    return;
  }
  if (status === 'running') return;
  let endpoint = null;
  try {
    endpoint = controls.llmEndpoint();
  } catch (error) {
    notice((error as Error).message, 'error');
    return;
  }
  control = new RunControl();
  const ours = control;
  setStatus('running'); // "step" may pause it while the store opens
  // The settings' run in IndexedDB: after a reload mid-run, play resumes it from its artifacts.
  const stored = await openRunStore(runSettings());
  if (control !== ours) {
    stored?.store.close(); // reset meanwhile
    return;
  }
  if (stored?.resumed) notice('Resuming the run stored in this browser (reset deletes it).', 'info');
  const run = new Pipeline(
    config,
    {
      createContext: (onLost) => GpuContext.create({ onLost }),
      createPool: () => WorkerPool.create(1), // two cores on the machines this runs on: the main thread needs one
      loadBundledReference: async () => {
        const response = await fetch(new URL('pi-ref-tiny.safetensors', document.baseURI));
        if (!response.ok) throw new Error(`the bundled π_ref could not be loaded (HTTP ${response.status}).`);
        return new Uint8Array(await response.arrayBuffer());
      },
      reference: loadedReference?.bytes,
      importedData: imported ?? undefined,
      llmEndpoint: endpoint,
      store: stored?.store,
    },
    {
      stage: (name) => {
        controls.stage.textContent = name;
      },
      progress: (line) => {
        controls.progress.textContent = line;
      },
      update: (what) => {
        if (pipeline !== run) return;
        // The header names the browser and adapter as soon as the device is open.
        if (run.run.adapter !== '') adapterLine.textContent = run.run.adapter;
        charts.update(run.run);
        renderSummary();
        if (what === 'iteration' || what === 'credit') credit.setRun(run.run);
        if (what === 'iteration' || what === 'mechanism') mechanism.setRun(run.run);
        if (what === 'accuracy') updatePagePrecision();
      },
      notice: (message, level) => void notice(message, level),
    },
    control,
  );
  pipeline = run;
  shown = run.run;
  try {
    await run.start();
    if (pipeline !== run) return;
    setStatus('done');
    await forgetRun(); // finished: its results are on the page, its policy in Save and Download
    controls.stage.textContent = 'done';
    adapterLine.textContent = run.run.adapter;
  } catch (error) {
    if (error instanceof Cancelled || pipeline !== run) return;
    setStatus('failed');
    controls.stage.textContent = 'stopped';
    notice(`The run stopped: ${(error as Error).message}`, 'error');
  } finally {
    stored?.store.close();
    redraw();
    credit.setRun(run.run);
  }
}

function checkpointPanel(): HTMLElement {
  const label = h('div', { class: 'muted', id: 'checkpoint-status' }, 'π_ref: from the settings above.');
  const policy = () => {
    if (pipeline?.policyBytes == null) throw new Error('Nothing trained yet: run the pipeline first.');
    return pipeline.policyBytes;
  };
  const act = (fn: () => Promise<void> | void) => async () => {
    try {
      await fn();
    } catch (error) {
      notice((error as Error).message, 'error');
    }
  };
  const adopt = (bytes: Uint8Array, source: string) => {
    const line = describeCheckpoint(bytes, source);
    loadedReference = { bytes, label: line };
    label.textContent = `π_ref for the next run: ${line}`;
  };
  return h(
    'section',
    { class: 'checkpoints', id: 'checkpoints' },
    h('h2', {}, 'Checkpoints and data'),
    h(
      'div',
      { class: 'buttons' },
      h(
        'button',
        {
          type: 'button',
          id: 'save-browser',
          onclick: act(async () => {
            const where = await saveToBrowser(STORAGE_NAME, policy());
            label.textContent =
              'Saved the latest policy in this browser ' +
              `(${where === 'opfs' ? 'Origin Private File System' : 'IndexedDB'}).`;
          }),
        },
        'save in browser',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'load-browser',
          onclick: act(async () => {
            const bytes = await loadFromBrowser(STORAGE_NAME);
            if (bytes === undefined) throw new Error('Nothing is saved in this browser yet.');
            adopt(bytes, 'browser storage');
          }),
        },
        'load from browser',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'download',
          onclick: act(() => downloadBytes('gemstone-demo-policy.safetensors', policy())),
        },
        'download .safetensors',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'upload',
          onclick: act(async () => {
            const file = await pickFileBytes('.safetensors');
            if (file !== undefined) adopt(file.bytes, file.name);
          }),
        },
        'upload .safetensors',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'download-annotated',
          onclick: act(() => {
            if (pipeline === null || pipeline.run.iterations.length === 0) throw new Error('No annotated data yet.');
            downloadBytes(
              'annotated.jsonl',
              new TextEncoder().encode(pipeline.annotatedJsonl(pipeline.run.iterations.at(-1)!.iteration)),
            );
          }),
        },
        'download annotated.jsonl',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'import-annotated',
          onclick: act(async () => {
            const file = await pickFileBytes('.jsonl');
            if (file === undefined) return;
            const result = importAnnotated(new TextDecoder().decode(file.bytes), file.name);
            imported = { data: result.data, tokenizer: result.tokenizer };
            // Shown at once in the credit view; the next run trains on it when π_ref matches.
            const base = shown ?? { ...emptyShown(), tokenizer: result.tokenizer, contextLength: result.contextLength };
            shown = {
              ...base,
              tokenizer: base.tokenizer ?? result.tokenizer,
              iterations: [...base.iterations.filter((i) => i.iteration !== 0), result.data],
            };
            credit.setRun(shown);
            label.textContent =
              `Imported ${result.data.records.length} annotated responses from ${file.name}; the ` +
              'next run trains on them (load the π_ref that made them first).';
          }),
        },
        'import annotated.jsonl',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'clear-loaded',
          onclick: () => {
            loadedReference = null;
            imported = null;
            label.textContent = 'π_ref: from the settings above.';
          },
        },
        'forget loaded',
      ),
    ),
    label,
    h(
      'details',
      {},
      h('summary', {}, 'failure drills'),
      h(
        'button',
        { type: 'button', id: 'lose-device', onclick: () => pipeline?.loseDevice() },
        'simulate GPU device loss',
      ),
      h(
        'p',
        { class: 'muted' },
        'Destroys the GPU device mid-run: the page takes a new one and resumes from the last checkpoint.',
      ),
    ),
  );
}

function layout(readOnly: boolean): void {
  const app = document.getElementById('app')!;
  app.append(
    h(
      'header',
      {},
      h('h1', {}, 'gemstone'),
      h(
        'p',
        {},
        'Train a small GPT-2 with BCPG-NSA on your GPU, and watch — token by token — where the credit goes. ',
        adapterLine,
      ),
    ),
    notices,
    h(
      'main',
      {},
      controls.element,
      h(
        'div',
        { class: 'views' },
        summary,
        findings.element,
        charts.element,
        mechanism.element,
        credit.element,
        readOnly ? null : checkpointPanel(),
        h(
          'p',
          { class: 'muted' },
          'Why mining matters: in a wrong response, BCPG pushes down every token — the correct steps too. BCPG-NSA ' +
            'lets the judges find the correct steps and weights them by β: at β = 0.5 they are pushed down half as ' +
            'hard, at β < 0 they are rewarded. Move the β slider and watch the underlined tokens.',
        ),
      ),
    ),
  );
  for (const w of warnings) notice(w, 'warn');
}

async function showExample(reason: string): Promise<void> {
  layout(true);
  controls.setReadOnly();
  document.body.dataset.webgpu = 'absent';
  notice(reason, 'error');
  try {
    const response = await fetch(new URL('example-run.json', document.baseURI));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    shown = checkRunRecord(await response.json(), 'example-run.json');
    const c = shown.config;
    notice(
      `Below, read-only: a run recorded with real training (${shown.adapter}; ${c.preset} preset, ${c.objective}, β ` +
        `${c.beta}, τ ${c.tau}, seed ${c.seed}), made by demo/scripts/make-example.ts.`,
      'info',
    );
    controls.stage.textContent = 'example run (read-only)';
    controls.progress.textContent =
      'This browser cannot train; the charts and the credit view show the bundled example.';
    credit.setHyper(c.beta, c.tau);
    credit.setRun(shown);
    redraw();
    document.body.dataset.example = 'shown';
  } catch (error) {
    notice(`The example run could not be loaded either (${(error as Error).message}).`, 'error');
  }
}

const NO_WEBGPU =
  'This browser has no WebGPU, so it cannot train here. Use a recent Chrome or Edge (113 or later) on a machine ' +
  'with a GPU driver; in Safari turn on WebGPU under Develop › Feature Flags; in Firefox Nightly set ' +
  'dom.webgpu.enabled; on Linux start Chromium with --enable-unsafe-webgpu.';

async function boot(): Promise<void> {
  window.__demo = { status: () => status, loseDevice: () => pipeline?.loseDevice(), run: () => shown, webgpu: false };
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (gpu === undefined) return showExample(NO_WEBGPU);
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (adapter === null)
    return showExample(
      `${NO_WEBGPU} (navigator.gpu is there, but it offered no adapter: update the GPU driver, or check chrome://gpu.)`,
    );
  window.__demo.webgpu = true;
  document.body.dataset.webgpu = 'present';
  layout(false);
  setStatus('idle');
  redraw();
  if (config.run) void play();
  else await showStoredMechanism();
}

void boot();
