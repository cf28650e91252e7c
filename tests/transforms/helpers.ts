import type { Scheduler, TimerHandle } from '../../src/edge/transforms/scheduler.js';
import { type Envelope, makeEnvelope } from '../../src/streams/envelope.js';

export const STREAM = 'cmp_test';
export const DELTA_TYPES: ReadonlySet<string> = new Set(['CompletionDelta', 'ThreadMessageDelta']);
const TERMINAL_TYPES = new Set(['CompletionFinished', 'CompletionFailed', 'ThreadDeleted']);
export const isTerminal = (envelope: Envelope): boolean => TERMINAL_TYPES.has(envelope.type);

const AT = new Date('2026-01-01T00:00:00Z');

export function delta(seq: number, text: string, messageId = 'msg_1', type = 'CompletionDelta'): Envelope {
  return makeEnvelope(STREAM, seq, AT, type, { messageId, text });
}

export function event(seq: number, type: string, data: object = {}): Envelope {
  return makeEnvelope(STREAM, seq, AT, type, data);
}

export function finished(seq: number, content = ''): Envelope {
  return event(seq, 'CompletionFinished', { messageId: 'msg_1', message: { id: 'msg_1', content } });
}

/** Numbers consecutive deltas (and an optional terminal) from `firstSeq`. */
export function deltas(texts: readonly string[], firstSeq = 1, messageId = 'msg_1'): Envelope[] {
  return texts.map((text, i) => delta(firstSeq + i, text, messageId));
}

export function textOf(envelope: Envelope): string {
  return (envelope.data as { text?: string }).text ?? '';
}

export const joinText = (envelopes: readonly Envelope[]): string => envelopes.map(textOf).join('');

export async function collect(iterable: AsyncIterable<Envelope>): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for await (const envelope of iterable) out.push(envelope);
  return out;
}

export async function* fromArray(envelopes: readonly Envelope[]): AsyncGenerator<Envelope> {
  for (const envelope of envelopes) yield envelope;
}

/** Lets every queued promise job run (not a timing wait: nothing here depends on elapsed time). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A source the test feeds by hand, recording whether the consumer called `return()` (which, like
 * the join's queue, settles a pending `next()` at once).
 */
export class TestSource implements AsyncIterableIterator<Envelope> {
  returnCalls = 0;
  pulls = 0;
  private readonly items: Envelope[] = [];
  private waiting: { resolve: (r: IteratorResult<Envelope>) => void; reject: (e: unknown) => void } | null =
    null;
  private ended = false;
  private failure: { error: unknown } | null = null;

  push(...envelopes: Envelope[]): void {
    for (const envelope of envelopes) {
      if (this.waiting) {
        const { resolve } = this.waiting;
        this.waiting = null;
        resolve({ value: envelope, done: false });
      } else this.items.push(envelope);
    }
  }

  end(): void {
    this.ended = true;
    if (this.waiting && this.items.length === 0) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  fail(error: unknown): void {
    this.failure = { error };
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = null;
      reject(error);
    }
  }

  /** Whether a `next()` is waiting for an item. */
  get isWaiting(): boolean {
    return this.waiting !== null;
  }

  next(): Promise<IteratorResult<Envelope>> {
    this.pulls++;
    const item = this.items.shift();
    if (item) return Promise.resolve({ value: item, done: false });
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Envelope>> {
    this.returnCalls++;
    this.ended = true;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Time that moves only when the test says so. */
export class ManualScheduler implements Scheduler {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers in order, and lets the promise jobs they start run. */
  async advance(ms: number): Promise<void> {
    // Whatever was already set in motion arms its timers at the current time first.
    await settle();
    const target = this.time + ms;
    for (;;) {
      let dueId: number | undefined;
      let due: { at: number; callback: () => void } | undefined;
      for (const [id, timer] of this.timers) {
        if (timer.at <= target && (!due || timer.at < due.at)) {
          dueId = id;
          due = timer;
        }
      }
      if (!due || dueId === undefined) break;
      this.timers.delete(dueId);
      this.time = Math.max(this.time, due.at);
      due.callback();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

/** A small deterministic PRNG (mulberry32), so property tests replay exactly from their seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits text into pieces of min..max characters. */
export function split(text: string, next: () => number, min = 1, max = 5): string[] {
  const pieces: string[] = [];
  let i = 0;
  while (i < text.length) {
    const size = min + Math.floor(next() * (max - min + 1));
    pieces.push(text.slice(i, i + size));
    i += size;
  }
  return pieces;
}

/** A `next()` in flight whose settlement the test can check without waiting. */
export function track<T>(promise: Promise<T>): { promise: Promise<T>; readonly settled: boolean } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return {
    promise,
    get settled() {
      return settled;
    },
  };
}

/** The message snapshot's content an event carries ('' when none). */
export function contentOf(envelope: Envelope | undefined): string {
  return (envelope?.data as { message?: { content?: string } } | undefined)?.message?.content ?? '';
}
