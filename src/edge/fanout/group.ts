import { type DocumentNode, type ExecutionResult, execute, Kind } from 'graphql';
import type { StreamEngine } from '../../streams/engine.js';
import { cursorOf, type Envelope } from '../../streams/envelope.js';
import type { JoinedStream } from '../../streams/join.js';
import { endWithErrorPayload, SubscriptionErrorPayload, type SubscriptionPayload } from '../delivery.js';
import { maskError } from '../errors.js';
import { applyTransforms } from '../transforms/pipeline.js';
import { FanoutMember, type MemberGroup } from './member.js';
import type { FanoutOffer } from './slot.js';

export type SseProtocol = 'yoga-sse' | 'graphql-sse';

export interface GroupOptions {
  protocol: SseProtocol;
  keepAliveMs: number;
  hardCapBytes: number;
  /** Frames kept for members that join later (replayed from memory, no execution). */
  cacheBytes: number;
  /** Whether a member may join from any cursor the cache covers (transforms that keep no state). */
  stateless: boolean;
  engine: StreamEngine;
  onUnexpected(error: unknown): void;
  onEmpty(group: FanoutGroup): void;
}

const COMPLETE = Buffer.from('event: complete\ndata:\n\n');
const PING = Buffer.from(':\n\n');

/**
 * Subscribers of the same stream with the same operation, variables, transform and transport: each
 * event is transformed, executed, serialized and framed once here, and the same bytes are written to
 * every member's socket.
 */
export class FanoutGroup implements MemberGroup {
  readonly deltaTypes: ReadonlySet<string>;
  readonly completeFrame = COMPLETE;
  private readonly members = new Set<FanoutMember>();
  /** Frames already delivered, oldest first, for members that join later. */
  private readonly cache: { seq: number; payload: SubscriptionPayload; frame: Buffer }[] = [];
  private cacheSize = 0;
  /** Members must have delivered at least up to this seq (raised when the cache drops frames). */
  private minAfter: number;
  private evicted = false;
  private ended = false;
  private readonly source: AsyncIterator<SubscriptionPayload>;
  private readonly events: JoinedStream;
  private readonly document: DocumentNode;
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    readonly key: string,
    private readonly offer: FanoutOffer,
    private readonly options: GroupOptions,
  ) {
    const { handle, spec, info } = offer;
    this.deltaTypes = handle.kind.deltaTypes;
    this.minAfter = handle.after;
    this.document = { kind: Kind.DOCUMENT, definitions: [info.operation, ...Object.values(info.fragments)] };
    const events = handle.open({ backlog: null, countSubscriber: false });
    this.events = events;
    this.source = endWithErrorPayload(
      applyTransforms(events, spec, {
        deltaTypes: handle.kind.deltaTypes,
        isTerminal: handle.isTerminal,
        resume: { seq: handle.after, offset: handle.offset },
      }),
      options.onUnexpected,
      cursorOf(handle.streamId, handle.after, handle.offset),
    );
    this.keepAlive = setInterval(() => {
      for (const member of this.members) member.ping(PING);
    }, options.keepAliveMs);
    this.keepAlive.unref();
    void this.run();
  }

  /** Whether a member that has everything up to `after` can join this group. */
  canServe(after: number): boolean {
    if (this.ended) return false;
    return this.options.stateless
      ? after >= this.minAfter
      : !this.evicted && after === this.offer.handle.after;
  }

  get size(): number {
    return this.members.size;
  }

  /** Adds a member: replays what the group already delivered after `after`, then follows live. */
  join(res: import('node:http').ServerResponse, after: number, startCursor: string): FanoutMember {
    const release = this.options.engine.trackSubscriber(this.offer.handle.streamId);
    const member = new FanoutMember(res, this, this.options.hardCapBytes, after, startCursor, release);
    for (const entry of this.cache) {
      if (entry.seq > after) member.deliver(entry.payload, entry.frame);
    }
    if (!member.isClosed) this.members.add(member);
    return member;
  }

  leave(member: FanoutMember): void {
    this.members.delete(member);
    if (this.members.size === 0 && !this.ended) this.stop();
  }

  /** Executes and frames one payload: the only GraphQL work of the group, once per event. */
  frame(payload: SubscriptionPayload): Promise<Buffer> | Buffer {
    const result = execute({
      schema: this.offer.info.schema,
      document: this.document,
      rootValue: payload,
      contextValue: this.offer.context,
      variableValues: this.offer.context.params.variables ?? {},
      operationName: this.offer.context.params.operationName ?? undefined,
    });
    return result instanceof Promise
      ? result.then((r) => this.encode(payload, r))
      : this.encode(payload, result);
  }

  private encode(payload: SubscriptionPayload, result: ExecutionResult): Buffer {
    const errors = result.errors?.map((error) => maskError(error, 'Unexpected error.'));
    const body = JSON.stringify(errors ? { ...result, errors } : result);
    const id =
      this.options.protocol === 'yoga-sse' && !errors && !(payload instanceof SubscriptionErrorPayload)
        ? `id: ${payload.cursor}\n`
        : '';
    return Buffer.from(`${id}event: next\ndata: ${body}\n\n`);
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.source.next();
        if (done || this.ended) break;
        const frame = await this.frame(value);
        if (this.ended) break;
        this.remember(value, frame);
        for (const member of this.members) member.deliver(value, frame);
        if (value instanceof SubscriptionErrorPayload) break;
        // While replaying the record, go at the members' pace: nothing is waiting live yet, and a
        // resume must not be cut off as a slow consumer for the history it asked for.
        if (this.isReplay(value)) await Promise.all([...this.members].map((member) => member.writable()));
      }
    } catch (error) {
      this.options.onUnexpected(error);
    }
    this.finish();
  }

  private isReplay(payload: SubscriptionPayload): boolean {
    if (payload instanceof SubscriptionErrorPayload) return false;
    return !this.events.caughtUp || payload.seq <= this.events.replayThrough;
  }

  private remember(payload: SubscriptionPayload, frame: Buffer): void {
    const seq =
      payload instanceof SubscriptionErrorPayload ? Number.POSITIVE_INFINITY : (payload as Envelope).seq;
    this.cache.push({ seq, payload, frame });
    this.cacheSize += frame.length;
    while (this.cacheSize > this.options.cacheBytes && this.cache.length > 1) {
      const dropped = this.cache.shift();
      if (!dropped) break;
      this.cacheSize -= dropped.frame.length;
      this.minAfter = Math.max(this.minAfter, dropped.seq);
      this.evicted = true;
    }
  }

  /** The stream ended (or failed): every member completes after what it still holds. */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepAlive);
    this.options.onEmpty(this);
    for (const member of [...this.members]) member.complete();
  }

  /** Nobody listens any more: detach from the stream (the generation itself goes on). */
  private stop(): void {
    this.ended = true;
    clearInterval(this.keepAlive);
    this.options.onEmpty(this);
    void this.source.return?.();
  }
}
