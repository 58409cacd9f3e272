// What differs between the faces while a stage runs: where its log lines and
// progress go, how it is asked to stop, and how it yields to the page. The
// CLI builds these from its reporter and Ctrl-C flag; the page from its
// status line and play/pause/reset controls.

export interface ProgressFigures {
  [name: string]: number | undefined;
}

export interface ProgressSink {
  /** Moves to `value`; `tokens` processed since the last update; `log` also prints the figures. */
  update(value: number, options?: { tokens?: number; metrics?: ProgressFigures; log?: boolean }): void;
  stop(): void;
}

export interface StageHooks {
  /** The stage's name in events ("reference", "iteration-1/train"). */
  readonly stage: string;
  log(line: string): void;
  warn(line: string): void;
  /** A machine-readable event (the CLI's --json; the page's charts). */
  event(name: string, data: Record<string, unknown>): void;
  progress(options: { stage: string; unit: string; total: number; start?: number }): ProgressSink;
  /** True once a stop was asked: a training stage then writes its checkpoint before stopping. */
  stopRequested(): boolean;
  /** Throws (the face's own error) when a stop was asked; called only where everything done so far is saved. */
  stopHere(where: string): void;
  /** Yields to the page's event loop and waits while paused; Node's is immediate. */
  tick(): Promise<void>;
}

const NO_PROGRESS: ProgressSink = { update() {}, stop() {} };

/** Hooks that say nothing and never stop: for library use and tests. */
export function quietHooks(stage = 'stage'): StageHooks {
  return {
    stage,
    log() {},
    warn() {},
    event() {},
    progress: () => NO_PROGRESS,
    stopRequested: () => false,
    stopHere() {},
    tick: async () => {},
  };
}

/** The same hooks under another stage name. */
export function forStage(hooks: StageHooks, stage: string): StageHooks {
  return new Proxy(hooks, { get: (target, key) => (key === 'stage' ? stage : Reflect.get(target, key)) });
}
