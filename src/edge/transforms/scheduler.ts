/** An opaque handle for a timer armed through a Scheduler. */
export type TimerHandle = unknown;

/**
 * Time as the time-based operators see it. Injected so tests drive time by hand (or with vitest fake
 * timers) instead of sleeping, and so a benchmark can measure CPU cost without waiting.
 */
export interface Scheduler {
  /** Milliseconds on a monotonic-enough clock. */
  now(): number;
  setTimer(callback: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/**
 * The process clock and timers, looked up on every call (not captured at import) so that vitest's
 * fake timers, installed after this module loads, still apply.
 */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimer: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A timer as a promise, for racing against upstream pulls. */
export class Deadline {
  private handle: TimerHandle | undefined;
  private fired = false;
  readonly reached: Promise<undefined>;

  constructor(
    private readonly scheduler: Scheduler,
    ms: number,
  ) {
    this.reached = new Promise((resolve) => {
      this.handle = scheduler.setTimer(
        () => {
          this.handle = undefined;
          this.fired = true;
          resolve(undefined);
        },
        Math.max(0, ms),
      );
    });
  }

  /** Whether the timer fired (known synchronously, unlike `reached`). */
  get isReached(): boolean {
    return this.fired;
  }

  /** Disarms the timer; `reached` then never settles, which is fine: nothing keeps it alive. */
  cancel(): void {
    if (this.handle === undefined) return;
    this.scheduler.clearTimer(this.handle);
    this.handle = undefined;
  }
}
