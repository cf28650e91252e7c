import type { Envelope } from './envelope.js';
import type { StreamEnding } from './model.js';
import type { NewStream, StreamProgress, StreamStore } from './store.js';

export interface RecorderOptions {
  /** Longest wait before a queued event's batch is committed. */
  flushMs: number;
  /** Events per transaction at most; a longer queue is committed in several. */
  maxBatch?: number;
  onError?: (error: unknown) => void;
  /** Called after each commit with the highest committed seq per stream. */
  onCommitted?: (committed: ReadonlyMap<string, number>) => void;
}

interface Waiter {
  streamId: string;
  seq: number;
  resolve: () => void;
}

/**
 * Group commit: events are delivered at once and committed here within `flushMs`, in one
 * transaction per batch (a multi-row insert), which is what makes recording cheap enough to keep
 * every chunk. Terminal events are committed without waiting for the timer.
 */
export class Recorder {
  private creates: NewStream[] = [];
  private queue: Envelope[] = [];
  private progress = new Map<string, StreamProgress>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly committed = new Map<string, number>();
  private waiters: Waiter[] = [];
  private drainWaiters: { events: number; resolve: () => void }[] = [];
  private failures = 0;
  private closed = false;
  private readonly maxBatch: number;

  constructor(
    private readonly store: StreamStore,
    private readonly options: RecorderOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 5000;
  }

  /**
   * Records a new stream row with the next batch, ahead of its events: starting a stream costs no
   * transaction of its own. Until then the row exists only in memory (the engine serves it from there).
   */
  create(stream: NewStream): void {
    this.creates.push(stream);
    this.schedule(this.options.flushMs);
  }

  /** Events queued and not yet committed. */
  get backlog(): number {
    return this.queue.length;
  }

  record(
    envelope: Envelope,
    extra: { contentChunk: boolean; ending: StreamEnding | null; peakSubscribers?: number | undefined },
  ): void {
    this.queue.push(envelope);
    let progress = this.progress.get(envelope.streamId);
    if (!progress) {
      progress = { chunkCount: envelope.seq, bytesAdded: 0 };
      this.progress.set(envelope.streamId, progress);
    }
    progress.chunkCount = envelope.seq;
    progress.bytesAdded += Buffer.byteLength(envelope.json);
    if (extra.contentChunk && !progress.firstChunkAt) progress.firstChunkAt = envelope.at;
    if (extra.peakSubscribers !== undefined) progress.peakSubscribers = extra.peakSubscribers;
    if (extra.ending) progress.ending = { ...extra.ending, endedAt: envelope.at };
    if (extra.ending || this.queue.length >= this.maxBatch) this.schedule(0);
    else this.schedule(this.options.flushMs);
  }

  /** Records a new peak of subscribers with the next batch (or now, if nothing is queued). */
  notePeakSubscribers(streamId: string, chunkCount: number, peak: number): void {
    const progress = this.progress.get(streamId) ?? { chunkCount, bytesAdded: 0 };
    progress.peakSubscribers = peak;
    this.progress.set(streamId, progress);
    this.schedule(this.options.flushMs);
  }

  /** Resolves once at most `events` are waiting to be committed. */
  drained(events: number): Promise<void> {
    if (this.queue.length <= events) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ events, resolve }));
  }

  /** Highest seq of the stream known to be committed (0 when none this process). */
  committedSeq(streamId: string): number {
    return this.committed.get(streamId) ?? 0;
  }

  /** Resolves once the stream's events up to `seq` are committed. */
  whenCommitted(streamId: string, seq: number): Promise<void> {
    if ((this.committed.get(streamId) ?? 0) >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ streamId, seq, resolve }));
  }

  /** Forgets a finished stream's bookkeeping once nothing of it is pending. */
  forget(streamId: string): void {
    if (!this.progress.has(streamId)) this.committed.delete(streamId);
  }

  /** Commits everything queued now. */
  async flush(): Promise<void> {
    while (this.flushing || this.pending()) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      this.clearTimer();
      await this.runFlush();
      if (this.failures > 0 && this.closed) return;
    }
  }

  /** Commits what is queued and stops accepting timers. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.clearTimer();
  }

  private schedule(delayMs: number): void {
    if (this.closed && delayMs > 0) delayMs = 0;
    if (this.flushing) return; // the running flush re-schedules when it ends
    if (this.timer && delayMs > 0) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runFlush();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private pending(): boolean {
    return this.creates.length > 0 || this.queue.length > 0 || this.progress.size > 0;
  }

  private runFlush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!this.pending()) return Promise.resolve();
    const creates = this.creates;
    this.creates = [];
    const batch = this.queue.length > this.maxBatch ? this.queue.splice(0, this.maxBatch) : this.queue;
    if (batch === this.queue) this.queue = [];
    const progress = this.takeProgress(batch);
    this.flushing = this.store
      .commit(creates, batch, progress)
      .then(
        () => {
          this.failures = 0;
          this.markCommitted(batch, progress);
        },
        (error: unknown) => {
          // Nothing is dropped: the batch goes back to the front and is retried with backoff.
          this.failures++;
          this.options.onError?.(error);
          this.creates = creates.concat(this.creates);
          this.queue = batch.concat(this.queue);
          for (const [id, p] of progress) {
            const later = this.progress.get(id);
            if (later) {
              later.bytesAdded += p.bytesAdded;
              later.firstChunkAt ??= p.firstChunkAt;
              later.ending ??= p.ending;
              later.peakSubscribers ??= p.peakSubscribers;
            } else this.progress.set(id, p);
          }
        },
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.pending()) {
          const urgent =
            this.queue.length >= this.maxBatch || [...this.progress.values()].some((p) => p.ending);
          const backoff = this.failures > 0 ? Math.min(2000, 50 * 2 ** this.failures) : 0;
          this.schedule(Math.max(backoff, urgent ? 0 : this.options.flushMs));
        }
      });
    return this.flushing;
  }

  /** The progress of the streams in this batch; what belongs to later events stays queued. */
  private takeProgress(batch: Envelope[]): Map<string, StreamProgress> {
    if (this.queue.length === 0) {
      const all = this.progress;
      this.progress = new Map();
      return all;
    }
    // Rare (a batch split by maxBatch): recompute the progress of the committed part only.
    const taken = new Map<string, StreamProgress>();
    for (const envelope of batch) {
      let p = taken.get(envelope.streamId);
      if (!p) {
        p = { chunkCount: envelope.seq, bytesAdded: 0 };
        taken.set(envelope.streamId, p);
      }
      p.chunkCount = envelope.seq;
      p.bytesAdded += Buffer.byteLength(envelope.json);
    }
    for (const [id, p] of taken) {
      const rest = this.progress.get(id);
      if (!rest) continue;
      rest.bytesAdded -= p.bytesAdded;
      if (rest.firstChunkAt && rest.firstChunkAt <= (batch.at(-1)?.at ?? rest.firstChunkAt)) {
        p.firstChunkAt = rest.firstChunkAt;
        rest.firstChunkAt = undefined;
      }
    }
    return taken;
  }

  private markCommitted(batch: Envelope[], progress: ReadonlyMap<string, StreamProgress>): void {
    const latest = new Map<string, number>();
    for (const envelope of batch) latest.set(envelope.streamId, envelope.seq);
    for (const [id, seq] of latest) {
      if (seq > (this.committed.get(id) ?? 0)) this.committed.set(id, seq);
    }
    for (const [id, p] of progress) {
      if (!latest.has(id) && p.chunkCount > (this.committed.get(id) ?? 0))
        this.committed.set(id, p.chunkCount);
    }
    if (this.waiters.length > 0) {
      const still: Waiter[] = [];
      for (const waiter of this.waiters) {
        if ((this.committed.get(waiter.streamId) ?? 0) >= waiter.seq) waiter.resolve();
        else still.push(waiter);
      }
      this.waiters = still;
    }
    this.options.onCommitted?.(latest);
    if (this.drainWaiters.length > 0) {
      const still = this.drainWaiters.filter((waiter) => this.queue.length > waiter.events);
      for (const waiter of this.drainWaiters) if (!still.includes(waiter)) waiter.resolve();
      this.drainWaiters = still;
    }
  }
}
