import { builder } from '../builder.js';
import { normalizeTransform } from '../transforms/spec.js';
import { ChatCompletionInput } from './inputs.js';
import { StreamRef } from './stream.js';
import { ThreadRef } from './thread.js';

builder.mutationFields((t) => ({
  createThread: t.field({
    type: ThreadRef,
    args: { title: t.arg.string() },
    resolve: (_root, { title }, { app }) => app.threads.create(title),
  }),
  renameThread: t.field({
    type: ThreadRef,
    args: { id: t.arg.id({ required: true }), title: t.arg.string({ required: true }) },
    resolve: (_root, { id, title }, { app }) => app.threads.rename(id, title),
  }),
  deleteThread: t.boolean({
    description:
      'Deletes the thread, its messages and its recorded streams; its live completions are cancelled.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { app }) => app.deleteThread(id),
  }),
  startCompletion: t.field({
    type: StreamRef,
    description:
      'Starts a generation that runs whether or not anyone subscribes; subscribe with chatCompletion(input: {streamId}) or stream(id).',
    args: { input: t.arg({ type: ChatCompletionInput, required: true }) },
    resolve: async (_root, { input }, { app }) => {
      // A transform only makes sense on a subscription, but a bad one is still bad input.
      normalizeTransform(input.transform);
      if (input.streamId) return app.requireStream(input.streamId);
      return app.startCompletion(input, input.idempotencyKey);
    },
  }),
  cancelStream: t.field({
    type: StreamRef,
    description: 'Stops a LIVE stream; its subscribers receive a terminal event with code CANCELLED.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { app }) => app.engine.cancel(id),
  }),
}));
