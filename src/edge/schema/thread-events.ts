import type { Envelope } from '../../streams/envelope.js';
import { builder } from '../builder.js';
import { MessageRef } from './message.js';
import type { MessageShape, ThreadShape } from './shapes.js';
import { ThreadRef } from './thread.js';

type Data = { threadId: string; message: MessageShape; messageId: string; text: string; thread: ThreadShape };
const data = (e: Envelope) => e.data as Data;

export const ThreadEventRef = builder.interfaceRef<Envelope>('ThreadEvent').implement({
  resolveType: (envelope) => envelope.type,
  fields: (t) => ({
    threadId: t.id({ resolve: (e) => data(e).threadId }),
    cursor: t.exposeString('cursor'),
    at: t.expose('at', { type: 'DateTime' }),
    seq: t.exposeInt('seq', { description: "Position in the thread's feed, from 1 without gaps." }),
  }),
});

builder.objectRef<Envelope>('ThreadMessageAdded').implement({
  interfaces: [ThreadEventRef],
  fields: (t) => ({ message: t.field({ type: MessageRef, resolve: (e) => data(e).message }) }),
});

builder.objectRef<Envelope>('ThreadMessageDelta').implement({
  description: 'Live text of an ASSISTANT message of the thread, from its completion stream.',
  interfaces: [ThreadEventRef],
  fields: (t) => ({
    messageId: t.id({ resolve: (e) => data(e).messageId }),
    text: t.string({ resolve: (e) => data(e).text }),
  }),
});

builder.objectRef<Envelope>('ThreadMessageUpdated').implement({
  description: 'A message changed status (finished, failed, cancelled, interrupted).',
  interfaces: [ThreadEventRef],
  fields: (t) => ({ message: t.field({ type: MessageRef, resolve: (e) => data(e).message }) }),
});

builder.objectRef<Envelope>('ThreadUpdated').implement({
  interfaces: [ThreadEventRef],
  fields: (t) => ({ thread: t.field({ type: ThreadRef, resolve: (e) => data(e).thread }) }),
});

builder.objectRef<Envelope>('ThreadDeleted').implement({
  description: 'The thread was deleted: the last event of its feed.',
  interfaces: [ThreadEventRef],
  fields: (t) => ({ deleted: t.boolean({ resolve: () => true }) }),
});
