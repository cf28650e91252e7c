import type { ThreadDomainEvent, ThreadEventSink } from '../domain/ports.js';
import type { LogSpec, StreamEngine } from '../streams/engine.js';
import type { StreamKind } from '../streams/model.js';

export const THREAD_FEED = 'thread';

export const THREAD_EVENT_TYPES = [
  'ThreadMessageAdded',
  'ThreadMessageDelta',
  'ThreadMessageUpdated',
  'ThreadUpdated',
  'ThreadDeleted',
] as const;

/** The id of a thread's feed stream: derived, so finding it costs no lookup. */
export function feedStreamId(threadId: string): string {
  return `feed_${threadId}`;
}

/**
 * A thread's feed is a log stream: the domain appends to it, the engine records it and resumes it like
 * any other stream, so `contextThread` cursors are the feed's own `streamId:seq`. It stays LIVE for
 * the life of the thread, across restarts, and ends with ThreadDeleted.
 */
export const threadFeedKind: StreamKind = {
  name: THREAD_FEED,
  deltaTypes: new Set(['ThreadMessageDelta']),
  contentTypes: new Set(['ThreadMessageAdded', 'ThreadMessageDelta']),
  ending: (type) => (type === 'ThreadDeleted' ? { status: 'COMPLETE', error: null } : null),
  recover: async () => null,
  memoryTail: 2000,
};

/** The domain's ThreadEventSink, appending to the thread's feed stream. */
export class ThreadFeed implements ThreadEventSink {
  constructor(private readonly engine: StreamEngine) {}

  emit(event: ThreadDomainEvent): void {
    const { type, ...data } = event;
    this.engine.appendToLog(feedSpec(event.threadId), { type, data });
  }
}

export function feedSpec(threadId: string): LogSpec {
  return { id: feedStreamId(threadId), kind: THREAD_FEED, resourceId: threadId, threadId };
}
