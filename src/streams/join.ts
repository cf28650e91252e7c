import { AppError } from '../domain/errors.js';
import { AsyncQueue } from '../lib/async-queue.js';
import { canMerge, cursorOf, type Envelope, mergeDeltas, weightOf } from './envelope.js';

/** A joined stream: the subscriber's iterator, which its owner can also end with an error. */
export interface JoinedStream extends AsyncIterableIterator<Envelope> {
  readonly isClosed: boolean;
  /** True once the recorded part (and what arrived meanwhile) is queued: the rest is live. */
  readonly caughtUp: boolean;
  /** Events up to this seq were replayed (the record, or live events buffered while reading it). */
  readonly replayThrough: number;
  fail(error: unknown): void;
}

/** A subscriber's outgoing backlog: merged while it lags, disconnected past the hard cap. */
export interface BacklogLimits {
  /** Above this many queued bytes, consecutive text deltas are merged (lossless). */
  softBytes: number;
  /** Above this many queued bytes, the subscription ends with SLOW_CONSUMER. */
  hardBytes: number;
}

/** What a join needs from a stream: its live feed (when live) and its record. */
export interface JoinSource {
  readonly streamId: string;
  readonly deltaTypes: ReadonlySet<string>;
  /** Null for a stream that has ended and is fully committed. */
  readonly live: {
    attach(listener: (envelope: Envelope) => void): () => void;
    /** Events held in memory with seq > after, and the last seq assigned; synchronous. */
    snapshot(after: number): { events: readonly Envelope[]; lastSeq: number };
  } | null;
  readCommitted(afterSeq: number, limit: number): Promise<Envelope[]>;
  isTerminal(envelope: Envelope): boolean;
}

const PAGE = 256;

/**
 * Joins a stream after `after`: the recorded events, then the live ones, with no gap and no duplicate.
 * The live feed is attached before the record is read and buffered meanwhile; anything at or below
 * the last seq delivered is dropped. The iterator ends after the terminal event; `return()` detaches
 * at once.
 */
export function joinStream(
  source: JoinSource,
  after: number,
  backlog?: BacklogLimits,
  onClose?: () => void,
): JoinedStream {
  let detach: () => void = () => {};
  const queue = new BacklogQueue(after, source.streamId, source.deltaTypes, backlog, () => {
    detach();
    onClose?.();
  });
  let lastQueued = after;
  let buffer: Envelope[] | undefined = [];

  const deliver = (envelope: Envelope, replay = false): void => {
    if (envelope.seq <= lastQueued || queue.isClosed) return;
    lastQueued = envelope.seq;
    if (replay) queue.pushReplay(envelope);
    else queue.push(envelope);
    if (source.isTerminal(envelope)) {
      queue.end();
      detach();
    }
  };

  const live = source.live;
  let memoryFirst = Number.POSITIVE_INFINITY;
  let snapshot: readonly Envelope[] = [];
  if (live) {
    detach = live.attach((envelope) => {
      if (buffer) buffer.push(envelope);
      else deliver(envelope);
    });
    const snap = live.snapshot(after);
    snapshot = snap.events;
    memoryFirst = snapshot[0]?.seq ?? snap.lastSeq + 1;
  }

  const backfill = async (): Promise<void> => {
    let position = after;
    while (position + 1 < memoryFirst && !queue.isClosed) {
      // Paced by the consumer: a long record is read a page at a time, as it is taken.
      await queue.room(PAGE);
      if (queue.isClosed) return;
      const limit = Number.isFinite(memoryFirst) ? Math.min(PAGE, memoryFirst - position - 1) : PAGE;
      const page = await source.readCommitted(position, limit);
      if (page.length === 0) break;
      for (const envelope of page) {
        if (envelope.seq >= memoryFirst) break;
        deliver(envelope, true);
      }
      position = page.at(-1)?.seq ?? position;
      if (page.length < limit) break;
    }
    for (const envelope of snapshot) deliver(envelope, true);
    const buffered = buffer ?? [];
    buffer = undefined;
    for (const envelope of buffered) deliver(envelope, true);
    queue.markCaughtUp();
    if (!live) queue.end();
  };
  backfill().catch((error: unknown) => {
    detach();
    queue.fail(error);
  });
  return queue;
}

/**
 * The queue between a stream and one consumer, with the slow-client policy. Replayed events (the
 * record, read at the consumer's pace) never count as lag; live events queued beyond the limits do.
 */
class BacklogQueue extends AsyncQueue<Envelope> {
  replayThrough = 0;
  private replayWeight = 0;
  private roomWaiters: { size: number; resolve: () => void }[] = [];
  caughtUp = false;

  constructor(
    private lastTaken: number,
    private readonly streamId: string,
    private readonly deltaTypes: ReadonlySet<string>,
    private readonly limits: BacklogLimits | undefined,
    onClose: () => void,
  ) {
    super(
      () => {
        this?.releaseRoom();
        onClose();
      },
      limits ? weigh : undefined,
    );
  }

  private releaseRoom(): void {
    for (const waiter of this.roomWaiters.splice(0)) waiter.resolve();
  }

  pushReplay(envelope: Envelope): void {
    this.replayThrough = envelope.seq;
    if (this.limits) this.replayWeight += weigh(envelope);
    super.push(envelope);
  }

  markCaughtUp(): void {
    this.caughtUp = true;
  }

  override push(envelope: Envelope): void {
    const limits = this.limits;
    if (!limits || this.isClosed) {
      super.push(envelope);
      return;
    }
    const last = this.last();
    const lag = () => this.weight - this.replayWeight;
    if (
      last &&
      last.seq > this.replayThrough &&
      lag() > limits.softBytes &&
      canMerge(last, envelope, this.deltaTypes)
    ) {
      this.replaceLast(mergeDeltas(last, envelope));
    } else super.push(envelope);
    if (lag() > limits.hardBytes) {
      this.fail(
        new AppError('SLOW_CONSUMER', 'The client reads too slowly; resume from the cursor', {
          cursor: cursorOf(this.streamId, this.lastTaken),
          retryable: true,
        }),
        { discardQueued: true },
      );
    }
  }

  /** Resolves once at most `size` items are queued (or the queue is closed). */
  room(size: number): Promise<void> {
    if (this.size <= size || this.isClosed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ size, resolve }));
  }

  protected override taken(envelope: Envelope): void {
    this.lastTaken = envelope.seq;
    if (this.limits && envelope.seq <= this.replayThrough) this.replayWeight -= weigh(envelope);
    if (this.roomWaiters.length > 0) {
      const still = [];
      for (const waiter of this.roomWaiters) {
        if (this.size <= waiter.size) waiter.resolve();
        else still.push(waiter);
      }
      this.roomWaiters = still;
    }
  }
}

const weigh = weightOf;
