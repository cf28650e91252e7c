/**
 * A push-to-pull bridge: producers `push()` synchronously, one consumer iterates.
 *
 * Unlike an async generator blocked in `await`, `return()` settles a pending `next()` at once, so a
 * subscriber that leaves is cleaned up immediately instead of after the next event.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  /** Pending next() calls, oldest first (a consumer may call next() again before one settles). */
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }[] = [];
  private closed = false;
  private failure: { error: unknown } | undefined;
  private closeHandled = false;
  /** Sum of `weigh(item)` over the queued items. */
  private queuedWeight = 0;

  constructor(
    private readonly onClose?: () => void,
    private readonly weigh?: (item: T) => number,
  ) {}

  /** Items queued and not yet taken. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Total weight of the queued items (0 without a weigh function). */
  get weight(): number {
    return this.queuedWeight;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  push(item: T): void {
    if (this.closed) return;
    const waiting = this.waiting.shift();
    if (waiting) {
      this.taken(item);
      waiting.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (this.weigh) this.queuedWeight += this.weigh(item);
  }

  /** The newest queued item, if any. */
  last(): T | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }

  /** Replaces the newest queued item (used to merge into it while the consumer lags). */
  replaceLast(item: T): void {
    if (this.size === 0) return;
    const index = this.items.length - 1;
    if (this.weigh) this.queuedWeight += this.weigh(item) - this.weigh(this.items[index] as T);
    this.items[index] = item;
  }

  /** The oldest queued item, if any. */
  first(): T | undefined {
    return this.size > 0 ? this.items[this.head] : undefined;
  }

  /** Ends the iteration after the queued items are taken. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.settleWaiting();
  }

  /** Ends the iteration with an error, after the queued items are taken (or at once, discarding them). */
  fail(error: unknown, options?: { discardQueued?: boolean }): void {
    if (this.closed) return;
    if (options?.discardQueued) {
      this.items = [];
      this.head = 0;
      this.queuedWeight = 0;
    }
    this.failure = { error };
    this.closed = true;
    this.settleWaiting();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head] as T;
      this.items[this.head] = undefined as T;
      this.head++;
      if (this.weigh) this.queuedWeight -= this.weigh(value);
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.taken(value);
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return this.finish();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.items = [];
    this.head = 0;
    this.queuedWeight = 0;
    this.failure = undefined;
    this.closed = true;
    this.settleWaiting();
    this.runOnClose();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Called with every item as the consumer takes it. */
  protected taken(_item: T): void {}

  private finish(): Promise<IteratorResult<T>> {
    this.runOnClose();
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  private settleWaiting(): void {
    if (this.waiting.length === 0) return;
    const waiting = this.waiting.splice(0);
    this.runOnClose();
    const failure = this.failure;
    this.failure = undefined;
    for (const [index, waiter] of waiting.entries()) {
      // The first pending call learns of the failure; later ones see the end, as after a throw.
      if (failure && index === 0) waiter.reject(failure.error);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  private runOnClose(): void {
    if (this.closeHandled) return;
    this.closeHandled = true;
    this.onClose?.();
  }
}
