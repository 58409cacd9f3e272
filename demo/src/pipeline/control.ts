// Play / pause / step / reset for a long-running pipeline in the page. The
// pipeline calls `await control.tick()` once per unit of work (a training
// step, a generation batch): that is where it yields to the event loop — so a
// click is handled between steps, not after the whole stage — and where it
// stops while paused.

export class Cancelled extends Error {
  override name = 'Cancelled';
  constructor() {
    super('the run was reset');
  }
}

export type RunState = 'idle' | 'running' | 'paused' | 'done' | 'failed';

export class RunControl {
  private paused = false;
  private cancelled = false;
  /** Ticks to let through while paused (the step button). */
  private allowance = 0;
  private wake: (() => void) | null = null;
  onChange: (paused: boolean) => void = () => {};

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
    this.onChange(true);
  }

  play(): void {
    this.paused = false;
    this.allowance = 0;
    this.onChange(false);
    this.release();
  }

  /** Lets one more unit of work run, then stays paused. */
  step(): void {
    this.paused = true;
    this.allowance += 1;
    this.release();
  }

  cancel(): void {
    this.cancelled = true;
    this.release();
  }

  /** Yields to the event loop, then waits while paused; throws Cancelled after reset. */
  async tick(): Promise<void> {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    for (;;) {
      if (this.cancelled) throw new Cancelled();
      if (!this.paused) return;
      if (this.allowance > 0) {
        this.allowance -= 1;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private release(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
