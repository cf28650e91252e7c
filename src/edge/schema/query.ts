import { clampPage } from '../../domain/thread-service.js';
import { builder } from '../builder.js';
import { StreamStatusEnum } from './enums.js';
import { StreamRef } from './stream.js';
import { ThreadRef } from './thread.js';

builder.queryFields((t) => ({
  thread: t.field({
    type: ThreadRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { app }) => app.threads.get(id),
  }),
  threads: t.field({
    type: [ThreadRef],
    description: 'Newest first.',
    args: { first: t.arg.int() },
    resolve: (_root, { first }, { app }) => app.threads.list(first),
  }),
  stream: t.field({
    type: StreamRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { app }) => app.engine.get(id),
  }),
  streams: t.field({
    type: [StreamRef],
    description: 'Newest first.',
    args: { kind: t.arg.string(), status: t.arg({ type: StreamStatusEnum }), first: t.arg.int() },
    resolve: (_root, { kind, status, first }, { app }) =>
      app.engine.list({ kind, status, first: clampPage(first) }),
  }),
}));
