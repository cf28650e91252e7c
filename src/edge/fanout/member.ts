import type { ServerResponse } from 'node:http';
import { AppError } from '../../domain/errors.js';
import { canMerge, mergeDeltas } from '../../streams/envelope.js';
import { SubscriptionErrorPayload, type SubscriptionPayload } from '../delivery.js';
import { batchWrites } from './write-batching.js';

/** What a member needs from its group. */
export interface MemberGroup {
  readonly deltaTypes: ReadonlySet<string>;
  /** Executes and frames one payload for this member alone (merged deltas of a lagging member). */
  frame(payload: SubscriptionPayload): Promise<Buffer> | Buffer;
  readonly completeFrame: Buffer;
  leave(member: FanoutMember): void;
}

/**
 * One subscriber of a fan-out group: writes the group's shared frames to its socket. While the socket
 * pushes back, it holds the events instead (merging consecutive text deltas, so nothing is lost) and
 * writes them, framed for itself, once the socket drains; past the hard cap it ends with a retryable
 * SLOW_CONSUMER error carrying the cursor of the last event written.
 */
export class FanoutMember {
  private held: SubscriptionPayload[] = [];
  private heldBytes = 0;
  private lagging = false;
  private completing = false;
  private closed = false;
  private lastCursor: string;
  private writableWaiters: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly group: MemberGroup,
    private readonly hardCapBytes: number,
    /** The member has everything up to this seq: anything at or below it is not written again. */
    private readonly after: number,
    startCursor: string,
    private readonly onClose: () => void,
  ) {
    this.lastCursor = startCursor;
    res.once('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once this member's socket takes writes again (or it is gone). */
  writable(): Promise<void> {
    if (!this.lagging || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /** Delivers the group's payload, with its shared frame. */
  deliver(payload: SubscriptionPayload, frame: Buffer): void {
    if (this.closed || this.completing) return;
    if (!(payload instanceof SubscriptionErrorPayload) && payload.seq <= this.after) return;
    if (!this.lagging) {
      this.write(payload, frame);
      return;
    }
    const last = this.held.at(-1);
    if (
      last &&
      !(last instanceof SubscriptionErrorPayload) &&
      !(payload instanceof SubscriptionErrorPayload) &&
      canMerge(last, payload, this.group.deltaTypes)
    ) {
      this.held[this.held.length - 1] = mergeDeltas(last, payload);
      this.heldBytes += frame.length;
    } else {
      this.held.push(payload);
      this.heldBytes += frame.length;
    }
    if (this.heldBytes + this.res.writableLength > this.hardCapBytes) {
      this.slowConsumer().catch(() => this.close());
    }
  }

  /** A comment line that keeps proxies from closing an idle stream. */
  ping(frame: Buffer): void {
    if (!this.closed && !this.lagging) this.res.write(frame);
  }

  /** The stream ended: flush what is held, then complete the response. */
  complete(): void {
    if (this.closed || this.completing) return;
    this.completing = true;
    if (!this.lagging) this.finish();
  }

  /** Ends the response now (the client left, or the server stops). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = [];
    for (const resolve of this.writableWaiters.splice(0)) resolve();
    if (!this.res.writableEnded) this.res.end();
    this.group.leave(this);
    this.onClose();
  }

  private write(payload: SubscriptionPayload, frame: Buffer): void {
    if (!(payload instanceof SubscriptionErrorPayload)) this.lastCursor = payload.cursor;
    batchWrites(this.res);
    if (!this.res.write(frame)) {
      this.lagging = true;
      this.res.once('drain', () => this.resume());
    }
  }

  private resume(): void {
    this.drain().catch(() => this.close());
  }

  private async drain(): Promise<void> {
    while (this.held.length > 0 && !this.closed) {
      const payload = this.held.shift() as SubscriptionPayload;
      const frame = await this.group.frame(payload);
      this.heldBytes = Math.max(0, this.heldBytes - frame.length);
      if (this.closed) return;
      if (!(payload instanceof SubscriptionErrorPayload)) this.lastCursor = payload.cursor;
      if (!this.res.write(frame)) {
        this.res.once('drain', () => this.resume());
        return;
      }
    }
    this.heldBytes = 0;
    this.lagging = false;
    for (const resolve of this.writableWaiters.splice(0)) resolve();
    if (this.completing) this.finish();
  }

  private async slowConsumer(): Promise<void> {
    if (this.completing || this.closed) return;
    this.completing = true;
    this.held = [];
    const error = new AppError('SLOW_CONSUMER', 'The client reads too slowly; resume from the cursor', {
      cursor: this.lastCursor,
      retryable: true,
    });
    const frame = await this.group.frame(new SubscriptionErrorPayload(error));
    if (this.closed) return;
    this.res.write(frame);
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.res.end(this.group.completeFrame);
    this.close();
  }
}
