import { AppError, invalidInput, notFound } from '../domain/errors.js';
import type { Failure } from '../domain/model.js';
import type { Logger } from '../infra/logger.js';
import { newId } from '../lib/ids.js';
import { StopRequest } from '../lib/stop-request.js';
import { type BusListener, InProcessStreamBus, type StreamBus } from './bus.js';
import { type Envelope, makeEnvelope, parseCursor } from './envelope.js';
import { type BacklogLimits, type JoinedStream, type JoinSource, joinStream } from './join.js';
import type { EventInit, StartedRun, StreamInfo, StreamKind } from './model.js';
import { Recorder } from './recorder.js';
import type { NewStream, StreamQuery, StreamStore } from './store.js';

export interface StreamEngineOptions {
  store: StreamStore;
  bus?: StreamBus;
  logger: Logger;
  /** Group-commit window (ms). */
  flushMs: number;
  /** Default backlog limits of a subscriber. */
  backlog?: BacklogLimits;
  /** How long a cancel or shutdown waits for the producer to end by itself before ending it. */
  stopGraceMs?: number;
}

/** Where a log stream (appended to by the application, no producer) lives. */
export interface LogSpec {
  id: string;
  kind: string;
  resourceId: string | null;
  threadId: string | null;
}

export interface OpenOptions {
  /** Backlog limits of this subscriber; null for none (a consumer with its own policy). */
  backlog?: BacklogLimits | null;
  /** False for a consumer that counts its own subscribers (a fan-out group). */
  countSubscriber?: boolean;
}

/**
 * A validated subscription to one stream, not yet attached. Iterating it opens it with the default
 * options, so it can be returned wherever an AsyncIterable of envelopes is expected.
 */
export interface StreamHandle extends AsyncIterable<Envelope> {
  readonly streamId: string;
  /** Deliver events with seq > after. */
  readonly after: number;
  /** Characters of event after+1's text the client already has (see cursorOf). */
  readonly offset: number;
  readonly kind: StreamKind<never>;
  isTerminal(envelope: Envelope): boolean;
  /** Joins the stream; each call is an independent subscriber. */
  open(options?: OpenOptions): JoinedStream;
}

const MAX_IDEMPOTENCY_KEY = 200;
const IDLE_LOG_EVICT_MS = 5 * 60_000;
const RECORDER_HIGH_WATER = 20_000;
const RECORDER_LOW_WATER = 5_000;

class LiveStream {
  seq: number;
  readonly tail: Envelope[] = [];
  ended = false;
  subscribers = 0;
  /** Highest seq known to be committed. */
  committedSeq: number;
  lastActivity = Date.now();
  readonly finished: Promise<void>;
  resolveFinished!: () => void;

  constructor(
    readonly info: StreamInfo,
    readonly kind: StreamKind,
    readonly abort: AbortController | undefined,
  ) {
    this.seq = info.chunkCount;
    this.committedSeq = info.chunkCount;
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
  }
}

/**
 * The stream engine: runs one producer per stream, records every event (group commit), fans events
 * out to any number of subscribers and lets any of them join, resume or replay through one code path.
 * It knows kinds of streams, not chat: see StreamKind.
 */
export class StreamEngine {
  readonly bus: StreamBus;
  readonly recorder: Recorder;
  private readonly kinds = new Map<string, StreamKind<never>>();
  private readonly live = new Map<string, LiveStream>();
  private readonly loading = new Map<string, Promise<LiveStream | null>>();
  private readonly logQueues = new Map<string, EventInit[]>();
  private readonly starting = new Map<string, Promise<StreamInfo>>();
  /** Idempotency keys of streams in memory, whose rows may still be waiting for their first commit. */
  private readonly liveKeys = new Map<string, string>();
  private readonly pumps = new Set<Promise<void>>();
  private readonly joins = new Set<JoinedStream>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly store: StreamStore;
  private readonly logger: Logger;
  private readonly stopGraceMs: number;
  private closed = false;

  constructor(private readonly options: StreamEngineOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.bus = options.bus ?? new InProcessStreamBus();
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
    this.recorder = new Recorder(options.store, {
      flushMs: options.flushMs,
      onError: (error) => this.logger.error('recording a batch failed; retrying', { error }),
      onCommitted: (committed) => this.onCommitted(committed),
    });
    this.sweepTimer = setInterval(() => this.evictIdleLogs(), 60_000);
    this.sweepTimer.unref();
  }

  registerKind<Input>(kind: StreamKind<Input>): void {
    if (this.kinds.has(kind.name)) throw new Error(`stream kind ${kind.name} is already registered`);
    this.kinds.set(kind.name, kind as StreamKind<never>);
  }

  /**
   * Starts a producer stream and returns once the producer has accepted the input (validated it and
   * committed what it must); the stream is LIVE in memory at once and its row is committed with its
   * first events. The generation runs detached from any subscriber. With an idempotency key, a second
   * start (even concurrent) returns the first stream instead.
   */
  async start<Input>(
    kindName: string,
    input: Input,
    options: { idempotencyKey?: string | null } = {},
  ): Promise<StreamInfo> {
    this.assertOpen();
    const kind = this.kinds.get(kindName) as StreamKind<Input> | undefined;
    if (!kind?.start) throw new Error(`stream kind ${kindName} has no producer`);
    const key = options.idempotencyKey ?? null;
    if (key === null) return this.startNew(kind, input, null);
    if (key === '' || key.length > MAX_IDEMPOTENCY_KEY) {
      throw invalidInput(`idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`, 'idempotencyKey');
    }
    const inFlight = this.starting.get(key);
    if (inFlight) return inFlight;
    const started = (async () => {
      // A stream started moments ago may not be committed yet: memory first.
      const liveId = this.liveKeys.get(key);
      const live = liveId ? this.live.get(liveId) : undefined;
      if (live) return this.liveView(live.info);
      const existing = await this.store.findByIdempotencyKey(key);
      if (existing) return this.liveView(existing);
      return this.startNew(kind, input, key);
    })();
    this.starting.set(key, started);
    try {
      return await started;
    } finally {
      this.starting.delete(key);
    }
  }

  /**
   * Appends an event to a log stream (one the application writes to, like a thread's feed), creating
   * the stream on first use. Synchronous for the caller; events keep the order of the calls.
   */
  appendToLog(spec: LogSpec, event: EventInit): void {
    if (this.closed) return;
    const queued = this.logQueues.get(spec.id);
    if (queued) {
      queued.push(event);
      return;
    }
    const live = this.live.get(spec.id);
    if (live) {
      if (!live.ended) this.append(live, event);
      return;
    }
    const queue = [event];
    this.logQueues.set(spec.id, queue);
    this.ensureLoaded(spec.id, spec)
      .then((loaded) => {
        this.logQueues.delete(spec.id);
        for (const init of queue) {
          if (!loaded || loaded.ended) break;
          this.append(loaded, init);
        }
      })
      .catch((error: unknown) => {
        this.logQueues.delete(spec.id);
        this.logger.error('opening a log stream failed; events dropped', { streamId: spec.id, error });
      });
  }

  /** Makes sure a log stream exists (creating it empty) and is loaded; null when it has ended. */
  async openLog(spec: LogSpec): Promise<StreamInfo | null> {
    const live = await this.ensureLoaded(spec.id, spec);
    return live ? this.liveView(live.info) : null;
  }

  /** Stops a LIVE producer stream; resolves with the stream once its terminal event is committed. */
  async cancel(id: string): Promise<StreamInfo> {
    const live = this.live.get(id);
    if (!live || live.ended) {
      const info = live?.info ?? (await this.store.get(id));
      if (!info) throw notFound('Stream', id);
      throw new AppError(
        'STREAM_NOT_LIVE',
        `Stream ${id} has already ended (${info.status}); only a LIVE stream can be cancelled`,
        {
          status: info.status,
        },
      );
    }
    if (!live.abort)
      throw invalidInput(`Stream ${id} is a ${live.kind.name} stream, which cannot be cancelled`, 'id');
    await this.stop(live, new StopRequest('CANCELLED'));
    return this.liveView(live.info);
  }

  /**
   * Validates a subscription (NOT_FOUND, BAD_CURSOR, STREAM_EXPIRED are thrown here, before anything
   * is delivered) and returns a handle whose `open()` joins the stream: recorded events after the
   * cursor, then live ones, ending after the terminal event.
   */
  async subscribe(id: string, after?: string | null): Promise<StreamHandle> {
    this.assertOpen();
    const live = this.live.get(id) ?? (await this.ensureLoaded(id, null));
    const info = live?.info ?? (await this.store.get(id));
    if (!info) throw notFound('Stream', id);
    const kind = this.kinds.get(info.kind);
    if (!kind) throw notFound('Stream', id);
    const position = this.resolveAfter(info, live, after);
    const isTerminal = (envelope: Envelope) => kind.ending(envelope.type, envelope.data) !== null;
    const handle: StreamHandle = {
      streamId: id,
      after: position.seq,
      offset: position.offset,
      kind,
      isTerminal,
      [Symbol.asyncIterator]: () => handle.open(),
      open: (options = {}) => {
        const countSubscriber = options.countSubscriber ?? true;
        const source: JoinSource = {
          streamId: id,
          deltaTypes: kind.deltaTypes,
          live: live
            ? {
                attach: (listener) => this.attach(live, listener, countSubscriber),
                snapshot: (afterSeq) => ({ events: tailAfter(live.tail, afterSeq), lastSeq: live.seq }),
              }
            : null,
          readCommitted: (afterSeq, limit) => this.store.readEvents(id, afterSeq, limit),
          isTerminal,
        };
        const backlog = options.backlog === null ? undefined : (options.backlog ?? this.options.backlog);
        const joined = joinStream(source, position.seq, backlog, () => this.joins.delete(joined));
        if (!joined.isClosed) this.joins.add(joined);
        return joined;
      },
    };
    return handle;
  }

  /** The stream with its live progress (what is not committed yet included), or null. */
  async get(id: string): Promise<StreamInfo | null> {
    const live = this.live.get(id);
    if (live) return this.liveView(live.info);
    const info = await this.store.get(id);
    return info ? this.liveView(info) : null;
  }

  async list(query: StreamQuery): Promise<StreamInfo[]> {
    const rows = await this.store.list(query);
    return rows.map((row) => this.liveView(this.live.get(row.id)?.info ?? row));
  }

  /** Subscribers attached to the stream right now, on this server. */
  subscriberCount(id: string): number {
    return this.live.get(id)?.subscribers ?? 0;
  }

  /** Counts a subscriber that receives events through another one (a fan-out group member). */
  trackSubscriber(id: string): () => void {
    const live = this.live.get(id);
    if (!live || live.ended) return () => {};
    this.addSubscriber(live);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      live.subscribers--;
    };
  }

  /** Subscriptions open right now (tests assert it returns to zero). */
  get openJoins(): number {
    return this.joins.size;
  }

  /**
   * Start-up: closes the streams a previous process left LIVE (each kind decides how) and commits
   * their terminal events before the server accepts requests.
   */
  async recover(): Promise<{ interrupted: string[] }> {
    const interrupted: string[] = [];
    for (const info of await this.store.listLive()) {
      if (this.live.has(info.id)) continue;
      const kind = this.kinds.get(info.kind);
      if (!kind?.recover) continue;
      const terminal = await kind.recover(info, () => this.readAll(info.id));
      if (!terminal) continue;
      const live = new LiveStream(info, kind, undefined);
      this.live.set(info.id, live);
      this.append(live, terminal);
      interrupted.push(info.id);
    }
    await this.recorder.flush();
    return { interrupted };
  }

  /** Deletes the recorded events of streams that ended more than `retentionMs` ago. */
  prune(retentionMs: number): Promise<number> {
    return this.store.pruneEnded(new Date(Date.now() - retentionMs));
  }

  /** Stops every live producer of a thread (e.g. before the thread is deleted). */
  async stopThread(threadId: string, reason: StopRequest): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const live of this.live.values()) {
      if (live.info.threadId === threadId && live.abort && !live.ended) stops.push(this.stop(live, reason));
    }
    await Promise.all(stops);
  }

  /** Deletes a thread's streams and their events (after stopThread and a flush). */
  async deleteThreadStreams(threadId: string): Promise<void> {
    for (const [id, live] of this.live) {
      if (live.info.threadId === threadId && (live.ended || !live.abort)) {
        this.live.delete(id);
        this.recorder.forget(id);
      }
    }
    await this.store.deleteByThread(threadId);
  }

  /** Waits until everything appended so far is committed. */
  flush(): Promise<void> {
    return this.recorder.flush();
  }

  /**
   * Shutdown: live generations end with INTERRUPTED (their partial content kept), everything is
   * committed, and no new stream starts.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    const stops: Promise<void>[] = [];
    for (const live of this.live.values()) {
      if (live.abort && !live.ended) stops.push(this.stop(live, new StopRequest('INTERRUPTED')));
    }
    await Promise.all(stops);
    await Promise.allSettled([...this.pumps]);
    await this.recorder.close();
    // Subscriptions that did not just end with their stream (thread feeds, replays) end with a
    // retryable error carrying nothing new: the client resumes from its last cursor elsewhere.
    for (const joined of [...this.joins]) {
      joined.fail(
        new AppError('UNAVAILABLE', 'The server is shutting down; resume from your last cursor', {
          retryable: true,
        }),
      );
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('UNAVAILABLE', 'The server is shutting down');
  }

  private async startNew<Input>(
    kind: StreamKind<Input>,
    input: Input,
    key: string | null,
  ): Promise<StreamInfo> {
    const id = newId('str');
    const run = await (kind.start as NonNullable<StreamKind<Input>['start']>)(input, { streamId: id });
    // The row is committed with the first batch of events: the stream lives in memory until then.
    const info = this.createStream({
      id,
      kind: kind.name,
      resourceId: run.resourceId,
      threadId: run.threadId ?? null,
      idempotencyKey: key,
      startedAt: new Date(),
    });
    const live = new LiveStream(info, kind as StreamKind<never>, new AbortController());
    this.live.set(id, live);
    if (key !== null) this.liveKeys.set(key, id);
    const pump = this.pump(live, run);
    this.pumps.add(pump);
    void pump.finally(() => this.pumps.delete(pump));
    return this.liveView(info);
  }

  private async pump(live: LiveStream, run: StartedRun): Promise<void> {
    const signal = (live.abort as AbortController).signal;
    try {
      for await (const event of run.events(signal)) {
        this.append(live, event);
        if (live.ended) break;
        // Producers faster than storage wait (their input stays in TCP buffers) rather than grow an
        // unbounded backlog whose commit lag would break the durability window.
        if (this.recorder.backlog > RECORDER_HIGH_WATER) await this.recorder.drained(RECORDER_LOW_WATER);
      }
    } catch (error) {
      this.logger.error('a stream producer threw', { streamId: live.info.id, kind: live.kind.name, error });
    }
    if (!live.ended) await this.endWithFailure(live, failureFor(signal));
  }

  private async endWithFailure(live: LiveStream, failure: Failure): Promise<void> {
    if (live.ended) return;
    const init = live.kind.failureEvent
      ? await live.kind.failureEvent(live.info, failure)
      : { type: 'StreamFailed', data: { error: failure } };
    if (!live.ended) this.append(live, init);
  }

  private async stop(live: LiveStream, reason: StopRequest): Promise<void> {
    live.abort?.abort(reason);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.stopGraceMs);
    });
    const outcome = await Promise.race([live.finished.then(() => 'finished' as const), grace]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn('a producer ignored its stop signal; ending the stream', { streamId: live.info.id });
      await this.endWithFailure(live, {
        code: reason.code,
        message: reason.message,
        retryable: reason.code !== 'CANCELLED',
      });
      await live.finished;
    }
  }

  /** The hot path: one event, recorded and delivered. */
  private append(live: LiveStream, init: EventInit): Envelope {
    const info = live.info;
    const seq = ++live.seq;
    const envelope = makeEnvelope(info.id, seq, new Date(), init.type, init.data);
    const ending = live.kind.ending(init.type, init.data);
    const contentChunk = (live.kind.contentTypes ?? live.kind.deltaTypes).has(init.type);
    live.tail.push(envelope);
    live.lastActivity = Date.now();
    info.chunkCount = seq;
    info.bytes += Buffer.byteLength(envelope.json);
    if (contentChunk && !info.firstChunkAt) info.firstChunkAt = envelope.at;
    if (ending) {
      live.ended = true;
      info.status = ending.status;
      info.error = ending.error;
      info.endedAt = envelope.at;
      if (ending.usage) {
        info.inputTokens = ending.usage.inputTokens;
        info.outputTokens = ending.usage.outputTokens;
      }
    }
    this.recorder.record(envelope, { contentChunk, ending });
    this.bus.publish(envelope);
    if (ending) {
      void this.recorder.whenCommitted(info.id, seq).then(() => this.retire(live));
    }
    return envelope;
  }

  private retire(live: LiveStream): void {
    if (this.live.get(live.info.id) === live) this.live.delete(live.info.id);
    if (live.info.idempotencyKey) this.liveKeys.delete(live.info.idempotencyKey);
    this.recorder.forget(live.info.id);
    live.resolveFinished();
  }

  private attach(live: LiveStream, listener: BusListener, countSubscriber: boolean): () => void {
    const unsubscribe = this.bus.subscribe(live.info.id, listener);
    if (!countSubscriber) return unsubscribe;
    this.addSubscriber(live);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      unsubscribe();
      live.subscribers--;
      live.lastActivity = Date.now();
    };
  }

  private addSubscriber(live: LiveStream): void {
    live.subscribers++;
    if (live.subscribers > live.info.peakSubscribers) {
      live.info.peakSubscribers = live.subscribers;
      this.recorder.notePeakSubscribers(live.info.id, live.seq, live.subscribers);
    }
  }

  /** Loads a LIVE log stream into memory (creating it when `create` is given and it does not exist). */
  private ensureLoaded(id: string, create: LogSpec | null): Promise<LiveStream | null> {
    const live = this.live.get(id);
    if (live) return Promise.resolve(live);
    const pending = this.loading.get(id);
    if (pending) return pending;
    const load = (async () => {
      let info = await this.store.get(id);
      if (!info && create)
        info = this.createStream({ ...create, idempotencyKey: null, startedAt: new Date() });
      if (info?.status !== 'LIVE') return null;
      const kind = this.kinds.get(info.kind);
      // Producer streams are only live in the process that runs them.
      if (!kind || kind.start) return null;
      const existing = this.live.get(id);
      if (existing) return existing;
      const loaded = new LiveStream(info, kind, undefined);
      this.live.set(id, loaded);
      return loaded;
    })();
    this.loading.set(id, load);
    void load.finally(() => this.loading.delete(id)).catch(() => {});
    return load;
  }

  private createStream(stream: NewStream): StreamInfo {
    this.recorder.create(stream);
    return {
      ...stream,
      status: 'LIVE',
      endedAt: null,
      firstChunkAt: null,
      chunkCount: 0,
      bytes: 0,
      peakSubscribers: 0,
      inputTokens: null,
      outputTokens: null,
      error: null,
      prunedThrough: 0,
    };
  }

  private resolveAfter(
    info: StreamInfo,
    live: LiveStream | null | undefined,
    after: string | null | undefined,
  ): { seq: number; offset: number } {
    const lastSeq = live ? live.seq : info.chunkCount;
    let seq = 0;
    let offset = 0;
    if (after !== null && after !== undefined) {
      const parsed = parseCursor(after);
      if (!parsed || parsed.streamId !== info.id) {
        throw new AppError('BAD_CURSOR', `"${after}" is not a cursor of stream ${info.id}`, {
          cursor: after,
        });
      }
      if (parsed.seq > lastSeq) {
        throw new AppError(
          'BAD_CURSOR',
          `Cursor "${after}" is beyond the end of stream ${info.id} (seq ${lastSeq})`,
          {
            cursor: after,
          },
        );
      }
      seq = parsed.seq;
      offset = parsed.offset;
      if (offset > 0 && seq >= lastSeq) {
        throw new AppError('BAD_CURSOR', `Cursor "${after}" is beyond the end of stream ${info.id}`, {
          cursor: after,
        });
      }
    }
    if (seq < info.prunedThrough && seq < lastSeq) {
      throw new AppError(
        'STREAM_EXPIRED',
        `The events of stream ${info.id} after seq ${seq} were removed by retention`,
        {
          prunedThrough: info.prunedThrough,
        },
      );
    }
    return { seq, offset };
  }

  private async *readAll(id: string): AsyncGenerator<Envelope> {
    let after = 0;
    for (;;) {
      const page = await this.store.readEvents(id, after, 1000);
      yield* page;
      if (page.length < 1000) return;
      after = page.at(-1)?.seq ?? after;
    }
  }

  /** Keeps only a bounded, committed-safe tail in memory for kinds that ask for it. */
  private onCommitted(committed: ReadonlyMap<string, number>): void {
    for (const [id, seq] of committed) {
      const live = this.live.get(id);
      if (!live) continue;
      if (seq > live.committedSeq) live.committedSeq = seq;
      const keep = live.kind.memoryTail;
      if (keep === undefined) continue;
      let drop = 0;
      const excess = live.tail.length - keep;
      while (drop < excess && (live.tail[drop]?.seq ?? Number.POSITIVE_INFINITY) <= seq) drop++;
      if (drop > 0) live.tail.splice(0, drop);
    }
  }

  private evictIdleLogs(): void {
    const now = Date.now();
    for (const [id, live] of this.live) {
      if (live.abort || live.subscribers > 0 || now - live.lastActivity < IDLE_LOG_EVICT_MS) continue;
      if (live.committedSeq < live.seq || this.logQueues.has(id)) continue;
      this.live.delete(id);
      this.recorder.forget(id);
    }
  }

  private liveView(info: StreamInfo): StreamInfo {
    return { ...info, error: info.error ? { ...info.error } : null };
  }
}

function tailAfter(tail: readonly Envelope[], after: number): Envelope[] {
  const first = tail[0];
  if (!first) return [];
  const start = Math.max(0, after - first.seq + 1);
  return tail.slice(start);
}

function failureFor(signal: AbortSignal): Failure {
  const reason: unknown = signal.reason;
  if (signal.aborted && reason instanceof StopRequest) {
    return { code: reason.code, message: reason.message, retryable: reason.code === 'INTERRUPTED' };
  }
  return { code: 'INTERNAL_ERROR', message: 'The stream ended unexpectedly', retryable: true };
}
