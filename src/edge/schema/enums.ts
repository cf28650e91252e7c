import { builder } from '../builder.js';

export const MessageRoleEnum = builder.enumType('MessageRole', {
  values: ['USER', 'ASSISTANT', 'SYSTEM'] as const,
});

export const MessageStatusEnum = builder.enumType('MessageStatus', {
  description: 'Lifecycle of a message. ASSISTANT messages move PENDING -> STREAMING -> one terminal state.',
  values: {
    PENDING: {},
    STREAMING: {},
    COMPLETE: {},
    FAILED: {},
    CANCELLED: {},
    INTERRUPTED: {
      description:
        'The server stopped (crash, restart) while the message was streaming. Its partial content is kept.',
    },
  } as const,
});

export const StreamStatusEnum = builder.enumType('StreamStatus', {
  description: 'Lifecycle of a recorded stream. LIVE is the only non-terminal state.',
  values: ['LIVE', 'COMPLETE', 'FAILED', 'CANCELLED', 'INTERRUPTED'] as const,
});

export const TextFormatEnum = builder.enumType('TextFormat', {
  description: 'Text formatting applied by the format transform.',
  values: {
    RAW: { description: 'Text exactly as the provider produced it.' },
    PLAIN: { description: 'Markdown markup removed, the words kept.' },
  } as const,
});

export const RedactionRuleEnum = builder.enumType('RedactionRule', {
  description:
    'Named redaction rules. A match is replaced by [REDACTED:<RULE>] even when the match is split across several deltas.',
  values: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'API_KEY'] as const,
});
