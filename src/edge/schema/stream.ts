import type { StreamInfo } from '../../streams/model.js';
import { builder } from '../builder.js';
import { StreamStatusEnum } from './enums.js';
import { StreamErrorRef } from './stream-error.js';

export const StreamRef = builder.objectRef<StreamInfo>('Stream');
const StreamStatsRef = builder.objectRef<StreamInfo>('StreamStats');

StreamRef.implement({
  description: 'A recorded stream: every event it emitted is persisted and can be replayed.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind', { description: 'What produced it, e.g. chat.completion or thread.' }),
    resourceId: t.exposeID('resourceId', {
      nullable: true,
      description:
        'The id of the resource it belongs to (the message for a completion, the thread for a thread stream).',
    }),
    threadId: t.exposeID('threadId', { nullable: true, description: 'The thread it belongs to, if any.' }),
    status: t.expose('status', { type: StreamStatusEnum }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', nullable: true }),
    chunkCount: t.exposeInt('chunkCount', {
      description: 'Number of events recorded so far; equals the seq of the last event.',
    }),
    subscriberCount: t.int({
      description: 'Subscribers attached right now, on this server.',
      resolve: (stream, _args, { app }) => app.engine.subscriberCount(stream.id),
    }),
    error: t.expose('error', { type: StreamErrorRef, nullable: true }),
    stats: t.field({ type: StreamStatsRef, resolve: (stream) => stream }),
  }),
});

const ms = (from: Date, to: Date | null): number => (to ?? new Date()).getTime() - from.getTime();

StreamStatsRef.implement({
  fields: (t) => ({
    timeToFirstChunkMs: t.float({
      nullable: true,
      description: 'Milliseconds from stream start to its first content chunk.',
      resolve: (s) => (s.firstChunkAt ? ms(s.startedAt, s.firstChunkAt) : null),
    }),
    durationMs: t.float({
      nullable: true,
      description: 'Milliseconds from start to end (to now while LIVE).',
      resolve: (s) => ms(s.startedAt, s.endedAt),
    }),
    chunksPerSecond: t.float({
      nullable: true,
      description: 'Recorded events per second of duration.',
      resolve: (s) => {
        const duration = ms(s.startedAt, s.endedAt);
        return duration > 0 ? (s.chunkCount * 1000) / duration : null;
      },
    }),
    bytes: t.exposeInt('bytes', { description: 'Bytes of chunk payloads recorded.' }),
    peakSubscribers: t.exposeInt('peakSubscribers'),
    outputTokens: t.exposeInt('outputTokens', {
      nullable: true,
      description: 'Output tokens the provider reported, for completions (kept on cancel and failure).',
    }),
    tokensPerSecond: t.float({
      nullable: true,
      description:
        'Output tokens per second from the first content chunk to the end, for finished completions.',
      resolve: (s) => {
        if (s.outputTokens === null || !s.endedAt) return null;
        const seconds = ms(s.firstChunkAt ?? s.startedAt, s.endedAt) / 1000;
        return seconds > 0 ? s.outputTokens / seconds : null;
      },
    }),
  }),
});
