import { builder } from '../builder.js';
import { MessageRoleEnum, MessageStatusEnum } from './enums.js';
import type { MessageShape } from './shapes.js';
import { StreamErrorRef } from './stream-error.js';
import { UsageRef } from './usage.js';

export const MessageRef = builder.objectRef<MessageShape>('Message');

MessageRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    threadId: t.exposeID('threadId'),
    role: t.expose('role', { type: MessageRoleEnum }),
    content: t.exposeString('content', {
      description: 'For a STREAMING message: the text persisted so far.',
    }),
    status: t.expose('status', { type: MessageStatusEnum }),
    model: t.exposeString('model', { nullable: true }),
    streamId: t.exposeID('streamId', {
      nullable: true,
      description: 'The stream that produced this message, for ASSISTANT messages.',
    }),
    usage: t.expose('usage', { type: UsageRef, nullable: true }),
    stopReason: t.exposeString('stopReason', {
      nullable: true,
      description: 'Why the model stopped, e.g. end_turn.',
    }),
    error: t.expose('error', {
      type: StreamErrorRef,
      nullable: true,
      description: 'Why the message FAILED, was CANCELLED or INTERRUPTED.',
    }),
    position: t.exposeInt('position', { description: 'Order of the message within its thread, from 1.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});
