import { CHAT_COMPLETION } from '../../app/chat-completion-kind.js';
import { feedStreamId } from '../../app/thread-feed.js';
import { invalidInput, notFound } from '../../domain/errors.js';
import type { Envelope } from '../../streams/envelope.js';
import { parseCursor } from '../../streams/envelope.js';
import { builder } from '../builder.js';
import { CompletionEventRef } from './completion-events.js';
import { ChatCompletionInput, StreamTransformInput } from './inputs.js';
import { StreamChunkRef } from './stream-events.js';
import { ThreadEventRef } from './thread-events.js';

builder.subscriptionFields((t) => ({
  chatCompletion: t.field({
    type: CompletionEventRef,
    description: 'Starts a completion (or joins one, with streamId) and streams its events.',
    args: { input: t.arg({ type: ChatCompletionInput, required: true }) },
    streamTransform: (args) => args.input.transform,
    subscribe: async (_root, { input }, { app, lastEventId }) => {
      // A reconnecting EventSource carries the stream in its Last-Event-ID: join it, never restart.
      const resumed = lastEventId ? parseCursor(lastEventId) : null;
      if (resumed && !input.streamId) return app.engine.subscribe(resumed.streamId, lastEventId);
      if (input.streamId) {
        const stream = await app.engine.get(input.streamId);
        if (!stream || stream.kind !== CHAT_COMPLETION) throw notFound('Completion stream', input.streamId);
        return app.engine.subscribe(input.streamId, lastEventId ?? input.after);
      }
      if (input.after)
        throw invalidInput('after needs streamId: a new completion has no cursor yet', 'after');
      const stream = await app.startCompletion(input, input.idempotencyKey);
      return app.engine.subscribe(stream.id, null);
    },
    resolve: (envelope: Envelope) => envelope,
  }),
  contextThread: t.field({
    type: ThreadEventRef,
    description:
      'Everything that happens in a thread: messages added, live deltas of its ASSISTANT messages, status changes, renames.',
    args: {
      id: t.arg.id({ required: true }),
      after: t.arg.string(),
      transform: t.arg({ type: StreamTransformInput }),
    },
    streamTransform: (args) => args.transform,
    subscribe: async (_root, { id, after }, { app, lastEventId }) => {
      const thread = await app.threads.get(id);
      if (!thread) throw notFound('Thread', id);
      await app.openThreadFeed(id);
      return app.engine.subscribe(feedStreamId(id), lastEventId ?? after);
    },
    resolve: (envelope: Envelope) => envelope,
  }),
  stream: t.field({
    type: StreamChunkRef,
    description:
      'Any recorded stream, live or finished, in the standard chunk format: replays from `after` (or the start), then follows live.',
    args: {
      id: t.arg.id({ required: true }),
      after: t.arg.string(),
      transform: t.arg({ type: StreamTransformInput }),
    },
    streamTransform: (args) => args.transform,
    subscribe: (_root, { id, after }, { app, lastEventId }) => app.engine.subscribe(id, lastEventId ?? after),
    resolve: (envelope: Envelope) => envelope,
  }),
}));
