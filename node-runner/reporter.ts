// What a run tells the person (or the script) running it.
//   human: stage headings and log lines on stdout, progress bars on stderr when it is a terminal
//          (plain progress lines at each logged step otherwise);
//   quiet: only the final result lines and errors;
//   json:  one JSON object per line on stdout ({"event": …}); nothing else goes to stdout
//          (stray console.log output is sent to stderr), so `| jq` always works.
import process from 'node:process';
import cliProgress from 'cli-progress';
import type { StageHooks } from '../src/pipeline/hooks.ts';
import type { InterruptFlag } from './interrupt.ts';

export type OutputMode = 'human' | 'quiet' | 'json';

export interface ProgressMetrics {
  /** Shown as "loss 1.2345"; any number of named figures. */
  [name: string]: number | undefined;
}

export interface ProgressOptions {
  /** The stage's name in events ("reference", "iteration-1/train"). */
  stage: string;
  /** "steps", "responses", "chunks". */
  unit: string;
  total: number;
  /** Already done (a resumed stage starts part-way). */
  start?: number;
}

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly started = performance.now();
  private tokens = 0;
  private value: number;
  private last: ProgressMetrics = {};

  constructor(
    private readonly reporter: Reporter,
    private readonly options: ProgressOptions,
  ) {
    this.value = options.start ?? 0;
    this.bar = reporter.bars
      ? new cliProgress.SingleBar(
          {
            format: `${options.stage} |{bar}| {value}/{total} ${options.unit}{figures} · ETA {eta_formatted}`,
            hideCursor: true,
            stream: process.stderr,
            etaBuffer: 20,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(options.total, this.value, { figures: '' });
  }

  /**
   * Moves to `value`. `tokens` counts the tokens processed since the last update (for tokens/s);
   * `metrics` (loss, …) are shown and, with `log`, also printed as a line (or sent as an event).
   */
  update(
    value: number,
    { tokens = 0, metrics, log = false }: { tokens?: number; metrics?: ProgressMetrics; log?: boolean } = {},
  ): void {
    const done = value - (this.options.start ?? 0);
    this.value = value;
    this.tokens += tokens;
    if (metrics) this.last = metrics;
    const elapsed = (performance.now() - this.started) / 1000;
    const tokensPerS = this.tokens > 0 && elapsed > 0 ? this.tokens / elapsed : undefined;
    const eta = done > 0 ? (elapsed / done) * (this.options.total - value) : undefined;
    const figures = { ...this.last, ...(tokensPerS !== undefined ? { 'tok/s': tokensPerS } : {}) };
    this.bar?.update(value, { figures: formatFigures(figures) });
    if (!log) return;
    if (this.reporter.mode === 'json') {
      this.reporter.event('progress', {
        stage: this.options.stage,
        [this.options.unit]: value,
        total: this.options.total,
        ...this.last,
        tokens_per_s: tokensPerS,
        eta_s: eta,
      });
    } else if (this.bar === null && this.reporter.mode === 'human') {
      const etaText = eta !== undefined ? ` · ETA ${formatSeconds(eta)}` : '';
      this.reporter.info(
        `${this.options.stage} ${value}/${this.options.total} ${this.options.unit}${formatFigures(figures)}${etaText}`,
      );
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}

function formatFigures(figures: ProgressMetrics): string {
  return Object.entries(figures)
    .filter(([, v]) => v !== undefined && Number.isFinite(v))
    .map(([k, v]) => ` · ${k} ${format(k, v!)}`)
    .join('');
}

function format(name: string, v: number): string {
  if (name === 'tok/s') return v.toFixed(0);
  if (name === 'lr') return v.toExponential(2);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2);
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Reporter {
  /** Progress bars: in human mode, on a terminal, unless --no-progress. */
  readonly bars: boolean;

  constructor(
    readonly mode: OutputMode,
    { progress = true }: { progress?: boolean } = {},
  ) {
    this.bars = mode === 'human' && progress && process.stderr.isTTY === true;
    if (mode === 'json') {
      // Keep stdout for events: any other output (ours or a library's) goes to stderr.
      console.log = console.error;
      console.info = console.error;
    }
  }

  /** A machine-readable event (json mode only). */
  event(event: string, data: Record<string, unknown> = {}): void {
    if (this.mode !== 'json') return;
    const line = JSON.stringify({ event, time: new Date().toISOString(), ...data }, (_, v) =>
      v === undefined ? undefined : v,
    );
    process.stdout.write(`${line}\n`);
  }

  /** A log line (human mode; an event in json mode). */
  info(line: string): void {
    if (this.mode === 'human') process.stdout.write(`${line}\n`);
    else if (this.mode === 'json') this.event('log', { message: line });
  }

  /** A heading at the start of a stage. */
  stage(stage: string, title: string): void {
    if (this.mode === 'human') process.stdout.write(`\n== ${title}\n`);
    this.event('stage', { stage, title });
  }

  /** A result line: shown even with --quiet. */
  result(line: string): void {
    if (this.mode === 'json') this.event('result', { message: line });
    else process.stdout.write(`${line}\n`);
  }

  warn(line: string): void {
    if (this.mode === 'json') this.event('warning', { message: line });
    else process.stderr.write(`${line}\n`);
  }

  progress(options: ProgressOptions): Progress {
    return new Progress(this, options);
  }
}

/** A reporter that says nothing: for library use of the stage functions. */
export const SILENT = new Reporter('quiet');

/** What a stage function gets to talk and to be stopped: its reporter, the Ctrl-C flag, its name in events. */
export interface StageIO {
  reporter: Reporter;
  interrupt: InterruptFlag;
  /** "reference", "iteration-1/train", or the command's name when run alone. */
  stage: string;
}

/** The stage library's hooks on the terminal: the reporter's lines and bars, Ctrl-C as the stop. */
export function stageHooks({ reporter, interrupt, stage }: StageIO): StageHooks {
  return {
    stage,
    log: (line) => reporter.info(line),
    warn: (line) => reporter.warn(line),
    event: (name, data) => {
      if (name === 'evaluation') reporter.event(name, data);
    },
    progress: (options) => reporter.progress(options),
    stopRequested: () => interrupt.requested,
    stopHere: (where) => interrupt.check(where),
    tick: async () => {},
  };
}
