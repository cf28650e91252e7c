import type { Failure, Usage } from '../../domain/model.js';
import type { Envelope } from '../../streams/envelope.js';
import { builder } from '../builder.js';
import { MessageRef } from './message.js';
import type { MessageShape, ThreadShape } from './shapes.js';
import { StreamErrorRef } from './stream-error.js';
import { StreamEventRef } from './stream-events.js';
import { ThreadRef } from './thread.js';
import { UsageRef } from './usage.js';

type Data = {
  messageId: string;
  message: MessageShape;
  thread: ThreadShape;
  model: string;
  text: string;
  stopReason: string | null;
  usage: Usage | null;
  error: Failure;
};
const data = (e: Envelope) => e.data as Data;

export const CompletionEventRef = builder.interfaceRef<Envelope>('CompletionEvent').implement({
  interfaces: [StreamEventRef],
  resolveType: (envelope) => envelope.type,
  fields: (t) => ({
    messageId: t.id({ resolve: (e) => data(e).messageId }),
  }),
});

builder.objectRef<Envelope>('CompletionStarted').implement({
  description: 'Always the first event of a completion stream (seq 1).',
  interfaces: [CompletionEventRef, StreamEventRef],
  fields: (t) => ({
    message: t.field({ type: MessageRef, resolve: (e) => data(e).message }),
    thread: t.field({ type: ThreadRef, resolve: (e) => data(e).thread }),
    model: t.string({ resolve: (e) => data(e).model }),
  }),
});

builder.objectRef<Envelope>('CompletionDelta').implement({
  interfaces: [CompletionEventRef, StreamEventRef],
  fields: (t) => ({
    text: t.string({
      description: "Text to append. Concatenating every delta's text gives the message content.",
      resolve: (e) => data(e).text,
    }),
  }),
});

builder.objectRef<Envelope>('CompletionFinished').implement({
  description: 'Terminal event of a successful completion.',
  interfaces: [CompletionEventRef, StreamEventRef],
  fields: (t) => ({
    message: t.field({ type: MessageRef, resolve: (e) => data(e).message }),
    stopReason: t.string({ nullable: true, resolve: (e) => data(e).stopReason }),
    usage: t.field({ type: UsageRef, nullable: true, resolve: (e) => data(e).usage }),
  }),
});

builder.objectRef<Envelope>('CompletionFailed').implement({
  description:
    'Terminal event of a completion that failed, was cancelled or was interrupted. The partial content stays on the message.',
  interfaces: [CompletionEventRef, StreamEventRef],
  fields: (t) => ({
    message: t.field({ type: MessageRef, resolve: (e) => data(e).message }),
    error: t.field({ type: StreamErrorRef, resolve: (e) => data(e).error }),
  }),
});
