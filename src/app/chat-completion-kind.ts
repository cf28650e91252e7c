import type { ChatService, CompletionRequest } from '../domain/chat-service.js';
import type { Failure, Message, Usage } from '../domain/model.js';
import type { MessageRepository, ThreadEventSink } from '../domain/ports.js';
import type { EventInit, StreamEnding, StreamKind } from '../streams/model.js';

export const CHAT_COMPLETION = 'chat.completion';

export const COMPLETION_EVENT_TYPES = [
  'CompletionStarted',
  'CompletionDelta',
  'CompletionFinished',
  'CompletionFailed',
] as const;

const STATUS_BY_CODE: Record<string, StreamEnding['status']> = {
  CANCELLED: 'CANCELLED',
  INTERRUPTED: 'INTERRUPTED',
};

/** The chat completion as a stream kind: ChatService produces, the engine records and fans out. */
export function chatCompletionKind(deps: {
  chat: ChatService;
  messages: MessageRepository;
  sink: ThreadEventSink;
}): StreamKind<CompletionRequest> {
  const endMessage = async (
    messageId: string | null,
    failure: Failure,
    content?: string,
  ): Promise<EventInit> => {
    const id = messageId ?? '';
    let message: Message | null = null;
    try {
      const status = STATUS_BY_CODE[failure.code] ?? 'FAILED';
      message = await deps.messages.update(id, {
        status,
        error: failure,
        ...(content !== undefined && { content }),
      });
      deps.sink.emit({ type: 'ThreadMessageUpdated', threadId: message.threadId, message });
    } catch {
      // The message is gone (its thread was deleted): the stream still needs its terminal event.
    }
    return { type: 'CompletionFailed', data: { messageId: id, message, error: failure } };
  };

  return {
    name: CHAT_COMPLETION,
    deltaTypes: new Set(['CompletionDelta']),
    ending(type, data) {
      if (type === 'CompletionFinished') {
        const finished = data as { usage?: Usage | null };
        return { status: 'COMPLETE', error: null, usage: finished.usage ?? null };
      }
      if (type === 'CompletionFailed') {
        const failed = data as { error: Failure; message?: { usage?: Usage | null } | null };
        return {
          status: STATUS_BY_CODE[failed.error.code] ?? 'FAILED',
          error: failed.error,
          usage: failed.message?.usage ?? null,
        };
      }
      return null;
    },
    async start(input, { streamId }) {
      const prepared = await deps.chat.prepareCompletion(input, { streamId });
      return {
        resourceId: prepared.assistantMessage.id,
        threadId: prepared.thread.id,
        events: (signal) => toEventInits(prepared.run(signal)),
      };
    },
    failureEvent: (stream, failure) => endMessage(stream.resourceId, failure),
    async recover(stream, recorded) {
      // The record, not the last periodic write, is the truth: the message ends with exactly the text
      // a client replaying the stream receives.
      let content = '';
      for await (const event of recorded()) {
        if (event.type === 'CompletionDelta') content += (event.data as { text: string }).text;
      }
      return endMessage(
        stream.resourceId,
        {
          code: 'INTERRUPTED',
          message: 'The server stopped while the message was streaming',
          retryable: true,
        },
        content,
      );
    },
  };
}

async function* toEventInits(events: AsyncIterable<{ type: string }>): AsyncGenerator<EventInit> {
  for await (const { type, ...data } of events) yield { type, data };
}
