import type { Envelope } from '../../streams/envelope.js';
import { builder } from '../builder.js';

/** Fields of the envelope every streamed event carries, shared by the event types. */
export const StreamEventRef = builder.interfaceRef<Envelope>('StreamEvent').implement({
  description: `The envelope every streamed event carries, for every kind of stream.
seq starts at 1 and has no gaps within one stream. cursor is opaque; passing
it back as \`after\` resumes delivery with the event right after it, with no
event lost or repeated.`,
  resolveType: (envelope) => (COMPLETION_TYPES.has(envelope.type) ? envelope.type : 'StreamChunk'),
  fields: (t) => ({
    streamId: t.exposeID('streamId'),
    seq: t.exposeInt('seq'),
    cursor: t.exposeString('cursor'),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const COMPLETION_TYPES = new Set([
  'CompletionStarted',
  'CompletionDelta',
  'CompletionFinished',
  'CompletionFailed',
]);

export const StreamChunkRef = builder.objectRef<Envelope>('StreamChunk').implement({
  description: 'The standard chunk format of the generic stream subscription: any stream of any kind.',
  interfaces: [StreamEventRef],
  fields: (t) => ({
    type: t.exposeString('type', { description: "The event's type name, e.g. CompletionDelta." }),
    data: t.field({ type: 'JSON', description: "The event's own fields as JSON.", resolve: (e) => e.data }),
  }),
});
