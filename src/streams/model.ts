import type { Failure } from '../domain/model.js';
import type { Envelope } from './envelope.js';

export type StreamStatus = 'LIVE' | 'COMPLETE' | 'FAILED' | 'CANCELLED' | 'INTERRUPTED';

/** A recorded stream, as stored. */
export interface StreamInfo {
  id: string;
  kind: string;
  resourceId: string | null;
  threadId: string | null;
  status: StreamStatus;
  idempotencyKey: string | null;
  startedAt: Date;
  endedAt: Date | null;
  firstChunkAt: Date | null;
  chunkCount: number;
  bytes: number;
  peakSubscribers: number;
  inputTokens: number | null;
  outputTokens: number | null;
  error: Failure | null;
  /** Events with seq <= prunedThrough were removed by retention. */
  prunedThrough: number;
}

/** How a terminal event ends its stream. */
export interface StreamEnding {
  status: Exclude<StreamStatus, 'LIVE'>;
  error: Failure | null;
  usage?: { inputTokens: number; outputTokens: number } | null;
}

export interface EventInit {
  type: string;
  data: object;
}

/** What the engine needs from a producer when it starts a stream. */
export interface StartedRun {
  /** The resource the stream belongs to (the assistant message for a completion). */
  resourceId: string | null;
  /** The thread it belongs to, if any: deleting the thread deletes the stream. */
  threadId?: string | null;
  /** The events; they must end with a terminal event and should not throw (the engine guards anyway). */
  events(signal: AbortSignal): AsyncIterable<EventInit>;
}

/**
 * A kind of stream: what its events look like to the engine. Registering a kind is all a new streamed
 * resource needs to be recorded, fanned out, resumed, replayed and transformed (docs/streaming-patterns.md).
 */
export interface StreamKind<Input = unknown> {
  /** e.g. chat.completion, thread. */
  readonly name: string;
  /** Types whose `data.text` is appended text: merged by coalescing, pacing and slow-client buffering. */
  readonly deltaTypes: ReadonlySet<string>;
  /** Types that carry a content chunk, for time-to-first-chunk (defaults to deltaTypes). */
  readonly contentTypes?: ReadonlySet<string>;
  /** The ending a terminal event brings, or null for every other event. */
  ending(type: string, data: object): StreamEnding | null;
  /** Producer kinds: validate the input, commit what must be committed, return the run. */
  start?(input: Input, context: { streamId: string }): Promise<StartedRun>;
  /** The terminal event to append when the producer throws or stops without one. */
  failureEvent?(stream: StreamInfo, failure: Failure): Promise<EventInit> | EventInit;
  /**
   * Called at start-up for a stream still LIVE in storage (the previous process died): returns the
   * terminal event to append (e.g. CompletionFailed INTERRUPTED), or null to keep it LIVE (logs).
   */
  recover?(stream: StreamInfo, recorded: () => AsyncIterable<Envelope>): Promise<EventInit | null>;
  /** Events kept in memory for joins, beyond those not yet committed (default: all). */
  readonly memoryTail?: number;
}
