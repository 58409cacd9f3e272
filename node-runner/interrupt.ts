// Ctrl-C (SIGINT) and SIGTERM: the first asks the running stage to finish its
// current step, write a checkpoint and stop; a second one quits at once (what
// is on disk is still whole: every file is written beside its name and renamed).
import process from 'node:process';

/** Thrown by a stage that stopped at a safe point after a signal. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor(
    readonly signal: string,
    readonly where: string,
  ) {
    super(`interrupted by ${signal} ${where}`);
  }
}

export class InterruptFlag {
  /** The signal received, once one is. */
  signal: string | null = null;
  private readonly handlers: [NodeJS.Signals, () => void][] = [];

  /** Listens for SIGINT and SIGTERM; `notice` is told once, on the first. */
  install(notice: (signal: string) => void): this {
    for (const signal of ['SIGINT', 'SIGTERM'] as NodeJS.Signals[]) {
      const handler = () => {
        if (this.signal !== null) {
          process.stderr.write(`\n${signal} again: quitting now; the last checkpoint is kept.\n`);
          process.exit(130);
        }
        this.signal = signal;
        notice(signal);
      };
      process.on(signal, handler);
      this.handlers.push([signal, handler]);
    }
    return this;
  }

  get requested(): boolean {
    return this.signal !== null;
  }

  /** Throws Interrupted when a signal came; call it only where everything done so far is saved. */
  check(where: string): void {
    if (this.signal !== null) throw new Interrupted(this.signal, where);
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.handlers.length = 0;
  }
}

/** For library use of the stages: never interrupted. */
export const NEVER = new InterruptFlag();
