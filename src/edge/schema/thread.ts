import { invalidInput } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { MessageRef } from './message.js';
import type { ThreadShape } from './shapes.js';

export const ThreadRef = builder.objectRef<ThreadShape>('Thread');

ThreadRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    messages: t.field({
      type: [MessageRef],
      description: 'Messages in creation order; with last, only the newest `last` of them.',
      args: { last: t.arg.int() },
      resolve: (thread, { last }, { app }) => {
        if (last !== null && last !== undefined && (!Number.isInteger(last) || last < 0)) {
          throw invalidInput('last must be a non-negative integer', 'last');
        }
        return app.messages.listByThread(thread.id, last ?? undefined);
      },
    }),
  }),
});
