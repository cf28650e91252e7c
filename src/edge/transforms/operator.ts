import type { Envelope } from '../../streams/envelope.js';

/** What a wait on the upstream ended with. */
export type Pulled =
  | { kind: 'item'; envelope: Envelope }
  | { kind: 'end' }
  | { kind: 'timer' }
  | { kind: 'closed' };

/** The shared end-of-iteration result. */
export const DONE: IteratorResult<Envelope> = Object.freeze({ value: undefined, done: true });
const END: Pulled = { kind: 'end' };
const CLOSED: Pulled = { kind: 'closed' };
const TIMER: Pulled = { kind: 'timer' };

interface Request {
  resolve(result: IteratorResult<Envelope>): void;
  reject(error: unknown): void;
}

/**
 * The plumbing every transform operator shares: one upstream iterator, `next()` calls served one at
 * a time, and a `return()` that detaches at once. A plain async generator would not do: its
 * `return()` waits until the `await` it is blocked in (an upstream pull, a timer) settles, so a
 * client that leaves would stay attached to the stream until the next event. Here `return()`
 * settles the pending `next()` itself, closes the upstream and disposes of the timers; whatever
 * the abandoned `produce()` later receives is dropped unseen.
 */
export abstract class Operator implements AsyncIterableIterator<Envelope> {
  private readonly source: AsyncIterator<Envelope>;
  /** A pull whose result is not used yet: a wait that a timer won keeps it for the next wait. */
  private inflight: Promise<IteratorResult<Envelope>> | undefined;
  private finished = false;
  private upstreamDone = false;
  private readonly requests: Request[] = [];

  constructor(source: AsyncIterable<Envelope>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** Produces the next output; returning `done` (or throwing) ends the operator. */
  protected abstract produce(): Promise<IteratorResult<Envelope>>;

  /** Releases what the operator holds (timers); called once, however it ends. */
  protected dispose(): void {}

  /**
   * The next upstream result, for operators that wait on nothing else (cheaper than `wait()`).
   * Answers `done` once the upstream has ended or the operator was closed; throws upstream errors.
   */
  protected pull(): Promise<IteratorResult<Envelope>> {
    if (this.finished || this.upstreamDone) return Promise.resolve(DONE);
    const pending = this.inflight ?? this.source.next();
    this.inflight = undefined;
    return pending.then(this.pulled, this.pullFailed);
  }

  /**
   * Waits for the next upstream item, the end of the upstream, or the timer (a promise that
   * resolves to `undefined`). With `pull: false` only the timer is waited on (the operator holds
   * enough). Once the upstream has ended, a pull answers `end` at once. Upstream errors are thrown.
   */
  protected async wait(timer?: Promise<undefined>, pull = true): Promise<Pulled> {
    if (this.finished) return CLOSED;
    if (pull && this.upstreamDone) return END;
    if (!timer) {
      const result = await this.pull();
      if (this.finished) return CLOSED;
      return result.done ? END : { kind: 'item', envelope: result.value };
    }
    let pulled: Pulled | undefined;
    try {
      if (pull) {
        this.inflight ??= this.source.next();
        pulled = await Promise.race([timer, this.inflight.then(toPulled)]);
      } else {
        pulled = await timer;
      }
    } catch (error) {
      this.inflight = undefined;
      this.upstreamDone = true;
      throw error;
    }
    if (this.finished) return CLOSED;
    if (!pulled) return TIMER;
    this.inflight = undefined;
    if (pulled.kind === 'end') this.upstreamDone = true;
    return pulled;
  }

  private readonly pulled = (result: IteratorResult<Envelope>): IteratorResult<Envelope> => {
    if (result.done) this.upstreamDone = true;
    return this.finished ? DONE : result;
  };

  private readonly pullFailed = (error: unknown): never => {
    this.upstreamDone = true;
    throw error;
  };

  next(): Promise<IteratorResult<Envelope>> {
    if (this.finished) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.requests.push({ resolve, reject });
      if (this.requests.length === 1) this.serve();
    });
  }

  return(): Promise<IteratorResult<Envelope>> {
    if (!this.finished) {
      this.finish();
      if (!this.upstreamDone) {
        this.upstreamDone = true;
        // Not awaited: an async generator upstream only honours return() after its current await.
        try {
          this.source.return?.()?.catch(() => {});
        } catch {
          // A source that fails to close is still left behind.
        }
      }
    }
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private serve(): void {
    const request = this.requests[0];
    if (!request) return;
    this.produce().then(
      (result) => {
        if (!this.take(request)) return;
        if (result.done) this.finish();
        request.resolve(result);
        this.serve();
      },
      (error: unknown) => {
        if (!this.take(request)) return;
        this.finish();
        request.reject(error);
      },
    );
  }

  /** Removes the request being served; false when return() already answered it. */
  private take(request: Request): boolean {
    if (this.requests[0] !== request) return false;
    this.requests.shift();
    return true;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.dispose();
    const pending = this.requests.splice(0);
    for (const request of pending) request.resolve(DONE);
  }
}

function toPulled(result: IteratorResult<Envelope>): Pulled {
  return result.done ? END : { kind: 'item', envelope: result.value };
}

/** Wraps an envelope as an iterator result. */
export function emit(envelope: Envelope): IteratorResult<Envelope> {
  return { value: envelope, done: false };
}
