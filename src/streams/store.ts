import type { Envelope } from './envelope.js';
import type { StreamEnding, StreamInfo, StreamStatus } from './model.js';

export interface NewStream {
  id: string;
  kind: string;
  resourceId: string | null;
  threadId: string | null;
  idempotencyKey: string | null;
  startedAt: Date;
}

/** What one committed batch changes on a stream row. */
export interface StreamProgress {
  chunkCount: number;
  bytesAdded: number;
  firstChunkAt?: Date | undefined;
  peakSubscribers?: number | undefined;
  ending?: (StreamEnding & { endedAt: Date }) | undefined;
}

export interface StreamQuery {
  kind?: string | null | undefined;
  status?: StreamStatus | null | undefined;
  first: number;
}

/** Persistence of streams and their events; the recorder is its only writer of events. */
export interface StreamStore {
  create(stream: NewStream): Promise<StreamInfo>;
  get(id: string): Promise<StreamInfo | null>;
  findByIdempotencyKey(key: string): Promise<StreamInfo | null>;
  /** Newest first. */
  list(query: StreamQuery): Promise<StreamInfo[]>;
  listLive(): Promise<StreamInfo[]>;
  /** New stream rows, events and stream progress, in one transaction (rows first). */
  commit(
    creates: readonly NewStream[],
    events: readonly Envelope[],
    progress: ReadonlyMap<string, StreamProgress>,
  ): Promise<void>;
  /** Up to `limit` events with seq > afterSeq, in order. */
  readEvents(streamId: string, afterSeq: number, limit: number): Promise<Envelope[]>;
  /** Deletes the events of streams that ended before `endedBefore`; returns how many streams were pruned. */
  pruneEnded(endedBefore: Date): Promise<number>;
  deleteByThread(threadId: string): Promise<void>;
}
