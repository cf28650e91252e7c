import { builder } from '../builder.js';
import { RedactionRuleEnum, TextFormatEnum } from './enums.js';

export const StreamTransformInput = builder.inputType('StreamTransformInput', {
  description:
    'Per-subscription transformations, applied in the edge after recording, so they never change what is stored.',
  fields: (t) => ({
    types: t.stringList({
      description:
        'Deliver only events whose type name is listed (client-specific filtering). Terminal events are always delivered.',
    }),
    coalesceMs: t.int({
      description:
        'Merge consecutive text deltas arriving within this many milliseconds into one event (concatenated text, last seq/cursor).',
    }),
    maxEventsPerSecond: t.float({
      description:
        'Pace delivery to at most this many events per second; deltas held back meanwhile are merged, never dropped.',
    }),
    format: t.field({ type: TextFormatEnum }),
    redact: t.field({ type: [RedactionRuleEnum] }),
  }),
});

export const ChatCompletionInput = builder.inputType('ChatCompletionInput', {
  fields: (t) => ({
    threadId: t.id({ description: 'Thread to continue; omitted: a new thread is created.' }),
    prompt: t.string({ description: 'The new user message. Required unless streamId is given.' }),
    streamId: t.id({
      description: 'Join (or resume) an existing completion stream instead of starting a new one.',
    }),
    after: t.string({ description: 'With streamId: resume after this cursor.' }),
    model: t.string(),
    maxTokens: t.int(),
    system: t.string(),
    temperature: t.float(),
    idempotencyKey: t.string({
      description: 'Starting twice with the same key starts one generation; the second call joins it.',
    }),
    transform: t.field({ type: StreamTransformInput }),
  }),
});
