import { newId } from '../lib/ids.js';
import { StopRequest } from '../lib/stop-request.js';
import type { LlmEvent, LlmMessage, LlmProvider } from '../providers/llm-provider.js';
import { ProviderError } from '../providers/llm-provider.js';
import { invalidInput, notFound } from './errors.js';
import type { Failure, Message, Thread, Usage } from './model.js';
import type { MessagePatch, MessageRepository, ThreadEventSink } from './ports.js';

export const MAX_PROMPT_LENGTH = 100_000;
export const MAX_SYSTEM_LENGTH = 100_000;
export const DEFAULT_MAX_TOKENS = 1024;
export const MAX_MAX_TOKENS = 64_000;
/** How often the partial content of a STREAMING message is written back (the stream holds every delta). */
const PERSIST_PARTIAL_EVERY_MS = 250;

export interface CompletionRequest {
  threadId?: string | null | undefined;
  prompt?: string | null | undefined;
  model?: string | null | undefined;
  maxTokens?: number | null | undefined;
  system?: string | null | undefined;
  temperature?: number | null | undefined;
}

/** The events of one completion, in order: Started, Delta*, then exactly one of Finished / Failed. */
export type CompletionDomainEvent =
  | { type: 'CompletionStarted'; messageId: string; message: Message; thread: Thread; model: string }
  | { type: 'CompletionDelta'; messageId: string; text: string }
  | {
      type: 'CompletionFinished';
      messageId: string;
      message: Message;
      stopReason: string | null;
      usage: Usage | null;
    }
  | { type: 'CompletionFailed'; messageId: string; message: Message; error: Failure };

export interface PreparedCompletion {
  thread: Thread;
  userMessage: Message;
  assistantMessage: Message;
  /** Runs the generation; ends with exactly one terminal event and never throws. */
  run(signal: AbortSignal): AsyncIterable<CompletionDomainEvent>;
}

export interface ChatServiceOptions {
  messages: MessageRepository;
  provider: LlmProvider;
  defaultModel: string;
  sink: ThreadEventSink;
  onError?: (error: unknown) => void;
}

/**
 * Conversations with a language model. Knows threads and messages, not streams or transports: a
 * completion is an AsyncIterable of domain events that the stream engine records and fans out.
 */
export class ChatService {
  constructor(private readonly options: ChatServiceOptions) {}

  /**
   * Validates the request and commits the user message and a PENDING assistant message before
   * returning, so an acknowledged request is never lost. Throws AppError for bad input.
   */
  async prepareCompletion(
    request: CompletionRequest,
    ids: { streamId: string },
  ): Promise<PreparedCompletion> {
    const input = validate(request, this.options.defaultModel);
    const { messages, sink } = this.options;
    const exchange = await messages.beginExchange({
      thread: input.threadId
        ? { existingId: input.threadId }
        : { create: { id: newId('thr'), title: titleFromPrompt(input.prompt) } },
      user: { id: newId('msg'), content: input.prompt },
      assistant: { id: newId('msg'), model: input.model, streamId: ids.streamId },
    });
    if (!exchange) throw notFound('Thread', input.threadId ?? '');
    const { thread, history, user, assistant } = exchange;
    sink.emit({ type: 'ThreadMessageAdded', threadId: thread.id, message: user });
    sink.emit({ type: 'ThreadMessageAdded', threadId: thread.id, message: assistant });
    const conversation = toConversation([...history, user]);
    return {
      thread,
      userMessage: user,
      assistantMessage: assistant,
      run: (signal) => this.generate({ thread, assistant, conversation, input, signal }),
    };
  }

  private openProvider(input: ValidInput, conversation: LlmMessage[], signal: AbortSignal): OpenedProvider {
    const iterator = this.options.provider
      .stream({
        model: input.model,
        messages: conversation,
        system: input.system,
        maxTokens: input.maxTokens,
        temperature: input.temperature,
        signal,
      })
      [Symbol.asyncIterator]();
    const first = iterator.next();
    // Awaited later, inside the try block; until then a failure must not count as unhandled.
    first.catch(() => {});
    return { iterator, first };
  }

  private async *generate(args: {
    thread: Thread;
    assistant: Message;
    conversation: LlmMessage[];
    input: ValidInput;
    signal: AbortSignal;
  }): AsyncGenerator<CompletionDomainEvent> {
    const { thread, conversation, input, signal } = args;
    const { messages, sink } = this.options;
    const messageId = args.assistant.id;
    const writer = new MessageWriter(messages, messageId, this.options.onError);
    let message = args.assistant;
    let content = '';
    let usage = null as Usage | null;
    let stopReason: string | null = null;
    let streaming = false;
    let lastPersist = Date.now();

    // The provider request goes out before CompletionStarted is even delivered: its round trip
    // overlaps with setting up the subscribers, which is most of the time to first token.
    let upstream = signal.aborted ? null : this.openProvider(input, conversation, signal);
    let drained = false;
    try {
      yield { type: 'CompletionStarted', messageId, message, thread, model: input.model };
      signal.throwIfAborted();
      upstream ??= this.openProvider(input, conversation, signal);
      const events = upstream;
      for (let next = await events.first; ; next = await events.iterator.next()) {
        if (next.done) {
          drained = true;
          break;
        }
        const event = next.value;
        if (!streaming) {
          streaming = true;
          message = { ...message, status: 'STREAMING', updatedAt: new Date() };
          writer.write({ status: 'STREAMING' });
          sink.emit({ type: 'ThreadMessageUpdated', threadId: thread.id, message });
        }
        if (event.type === 'text') {
          if (event.text === '') continue;
          content += event.text;
          sink.emit({ type: 'ThreadMessageDelta', threadId: thread.id, messageId, text: event.text });
          yield { type: 'CompletionDelta', messageId, text: event.text };
          const now = Date.now();
          if (now - lastPersist >= PERSIST_PARTIAL_EVERY_MS && writer.idle) {
            lastPersist = now;
            writer.write({ content, usage });
          }
        } else if (event.type === 'usage') {
          usage = {
            inputTokens: event.inputTokens ?? usage?.inputTokens ?? 0,
            outputTokens: event.outputTokens ?? usage?.outputTokens ?? 0,
          };
        } else {
          stopReason = event.stopReason;
        }
      }
      signal.throwIfAborted();
      message = await writer.final({ content, status: 'COMPLETE', usage, stopReason, error: null });
      sink.emit({ type: 'ThreadMessageUpdated', threadId: thread.id, message });
      yield { type: 'CompletionFinished', messageId, message, stopReason, usage };
    } catch (error) {
      const failure = toFailure(error, signal);
      if (failure.code === 'INTERNAL_ERROR') this.options.onError?.(error);
      const status = failure.code === 'CANCELLED' || failure.code === 'INTERRUPTED' ? failure.code : 'FAILED';
      message = await writer
        .final({ content, status, usage, stopReason, error: failure })
        .catch((persistError) => {
          this.options.onError?.(persistError);
          return {
            ...message,
            content,
            status,
            usage,
            stopReason,
            error: failure,
            updatedAt: new Date(),
          } as Message;
        });
      sink.emit({ type: 'ThreadMessageUpdated', threadId: thread.id, message });
      yield { type: 'CompletionFailed', messageId, message, error: failure };
    } finally {
      // Left early (a bug in the loop, or the consumer stopped iterating): close the upstream request.
      if (!drained) void upstream?.iterator.return?.();
    }
  }
}

/** A provider stream whose first read is already under way. */
interface OpenedProvider {
  iterator: AsyncIterator<LlmEvent>;
  first: Promise<IteratorResult<LlmEvent>>;
}

/**
 * Writes to one message in order without making the stream wait: partial writes are fire-and-forget
 * (the stream record has every delta anyway), the final write is awaited.
 */
class MessageWriter {
  private chain: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly messages: MessageRepository,
    private readonly id: string,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {}

  get idle(): boolean {
    return this.pending === 0;
  }

  write(patch: MessagePatch): void {
    this.pending++;
    this.chain = this.chain
      // After the event loop's pending I/O: the delta that caused this write is delivered first.
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => this.messages.update(this.id, patch))
      .catch((error) => this.onError?.(error))
      .finally(() => {
        this.pending--;
      });
  }

  async final(patch: MessagePatch): Promise<Message> {
    await this.chain;
    return this.messages.update(this.id, patch);
  }
}

interface ValidInput {
  threadId: string | undefined;
  prompt: string;
  model: string;
  maxTokens: number;
  system: string | undefined;
  temperature: number | undefined;
}

function validate(request: CompletionRequest, defaultModel: string): ValidInput {
  const prompt = request.prompt ?? '';
  if (prompt.trim() === '') throw invalidInput('prompt is required to start a completion', 'prompt');
  if (prompt.length > MAX_PROMPT_LENGTH) {
    throw invalidInput(`prompt must be at most ${MAX_PROMPT_LENGTH} characters`, 'prompt');
  }
  const model = request.model?.trim() || defaultModel;
  if (model.length > 200) throw invalidInput('model must be at most 200 characters', 'model');
  const maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_MAX_TOKENS) {
    throw invalidInput(`maxTokens must be an integer between 1 and ${MAX_MAX_TOKENS}`, 'maxTokens');
  }
  const temperature = request.temperature ?? undefined;
  if (temperature !== undefined && !(temperature >= 0 && temperature <= 1)) {
    throw invalidInput('temperature must be between 0 and 1', 'temperature');
  }
  const system = request.system ?? undefined;
  if (system !== undefined && system.length > MAX_SYSTEM_LENGTH) {
    throw invalidInput(`system must be at most ${MAX_SYSTEM_LENGTH} characters`, 'system');
  }
  const threadId = request.threadId ?? undefined;
  if (threadId !== undefined && threadId.trim() === '')
    throw invalidInput('threadId must not be empty', 'threadId');
  return { threadId, prompt, model, maxTokens, system: system || undefined, temperature };
}

/** The conversation the provider sees: earlier turns with text, in order. */
function toConversation(messages: Message[]): LlmMessage[] {
  const out: LlmMessage[] = [];
  for (const message of messages) {
    if (message.role === 'SYSTEM' || message.content === '') continue;
    out.push({ role: message.role === 'USER' ? 'user' : 'assistant', content: message.content });
  }
  return out;
}

function titleFromPrompt(prompt: string): string {
  const firstLine = prompt.trim().split('\n', 1)[0] ?? '';
  return firstLine.length > 80 ? `${firstLine.slice(0, 79)}…` : firstLine;
}

function toFailure(error: unknown, signal: AbortSignal): Failure {
  // Once the signal fired, whatever the provider threw is a consequence of the stop, not a failure.
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof StopRequest)
      return { code: reason.code, message: reason.message, retryable: reason.code === 'INTERRUPTED' };
    return { code: 'CANCELLED', message: 'The stream was cancelled', retryable: false };
  }
  if (error instanceof ProviderError) {
    return { code: error.code, message: error.message, retryable: error.retryable };
  }
  return {
    code: 'INTERNAL_ERROR',
    message: 'The completion failed because of an internal error',
    retryable: true,
  };
}
