/**
 * LlmProvider over the Anthropic Messages API, streamed with `@anthropic-ai/sdk`.
 *
 * Uses `messages.create({ stream: true })` rather than `messages.stream()`: its raw events map one-to-one
 * to LlmEvents and it does not accumulate a whole Message we would never read.
 */
import Anthropic, { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type {
  MessageCreateParamsStreaming,
  RawMessageStreamEvent,
} from '@anthropic-ai/sdk/resources/messages';
import { type LlmEvent, type LlmProvider, type LlmRequest, ProviderError } from './llm-provider.js';

/** Options of {@link AnthropicProvider}. */
export interface AnthropicProviderOptions {
  apiKey: string;
  /** e.g. a local fake in tests; the SDK falls back to `ANTHROPIC_BASE_URL`, then the public API. */
  baseURL?: string | undefined;
  defaultModel: string;
  /**
   * How often the SDK retries a request that failed before its stream started (429, 5xx, 529, connection
   * errors), honouring `retry-after`. Default 2, as in the SDK. Failures after the first event are never
   * retried here: the caller has already seen partial text and decides.
   */
  maxRetries?: number | undefined;
}

/** Streams completions from Anthropic; every failure surfaces as a {@link ProviderError}. */
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic';
  readonly defaultModel: string;
  readonly #client: Anthropic;
  readonly #apiKey: string;

  constructor(options: AnthropicProviderOptions) {
    this.defaultModel = options.defaultModel;
    this.#apiKey = options.apiKey;
    // undefined keeps the SDK defaults (ANTHROPIC_BASE_URL or the public API; 2 retries).
    this.#client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries,
    });
  }

  async *stream(request: LlmRequest): AsyncGenerator<LlmEvent, void, undefined> {
    const { signal } = request;
    if (signal.aborted) throw cancelled();
    const params: MessageCreateParamsStreaming = {
      model: request.model,
      max_tokens: request.maxTokens,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      stream: true,
      ...(request.system !== undefined && { system: request.system }),
      ...(request.temperature !== undefined && { temperature: request.temperature }),
    };

    let stopped = false;
    try {
      const events = await this.#client.messages.create(params, { signal });
      for await (const event of events) {
        // The SDK may still hand out events it had buffered before the abort.
        if (signal.aborted) throw cancelled();
        const mapped = toLlmEvents(event);
        for (const e of mapped) {
          if (e.type === 'stop') stopped = true;
          yield e;
        }
      }
    } catch (error) {
      throw toProviderError(error, signal, this.#apiKey);
    }
    // The SDK ends iteration quietly when its request is aborted, so silence here may mean cancellation.
    if (signal.aborted) throw cancelled();
    if (!stopped) {
      throw new ProviderError(
        'PROVIDER_ERROR',
        'Anthropic stream ended before the message was complete (no stop reason received)',
        true,
      );
    }
  }
}

function toLlmEvents(event: RawMessageStreamEvent): LlmEvent[] {
  switch (event.type) {
    case 'message_start':
      return [{ type: 'usage', inputTokens: event.message.usage.input_tokens }];
    case 'content_block_delta':
      // Thinking, tool input and citations are not part of the text we stream.
      return event.delta.type === 'text_delta' ? [{ type: 'text', text: event.delta.text }] : [];
    case 'message_delta': {
      const { input_tokens: inputTokens, output_tokens: outputTokens } = event.usage;
      return [
        typeof inputTokens === 'number'
          ? { type: 'usage', inputTokens, outputTokens }
          : { type: 'usage', outputTokens },
        { type: 'stop', stopReason: event.delta.stop_reason },
      ];
    }
    default:
      return [];
  }
}

function cancelled(): ProviderError {
  return new ProviderError('CANCELLED', 'Anthropic request cancelled', false);
}

/** Maps anything the SDK or fetch can throw to a ProviderError with a stable code. */
function toProviderError(error: unknown, signal: AbortSignal, apiKey: string): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal.aborted || error instanceof APIUserAbortError) return cancelled();
  const mapped = classify(error);
  const redacted = apiKey.length > 0 ? mapped.message.split(apiKey).join('[redacted]') : mapped.message;
  const result = new ProviderError(mapped.code, redacted, mapped.retryable, mapped.status);
  result.cause = error;
  return result;
}

type Classified = Pick<ProviderError, 'code' | 'message' | 'retryable' | 'status'>;

function classify(error: unknown): Classified {
  if (error instanceof APIConnectionError) {
    return {
      code: 'PROVIDER_ERROR',
      message: `Could not reach Anthropic: ${describeCause(error)}`,
      retryable: true,
    };
  }
  if (error instanceof APIError) {
    const detail = error.apiMessage ?? error.message;
    const requestId = error.requestID ? ` (request-id ${error.requestID})` : '';
    return error.status === undefined
      ? classifyStreamError(error.type, `${detail}${requestId}`)
      : classifyStatus(error.status, error.headers, `${detail}${requestId}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (isDroppedConnection(error)) {
    return {
      code: 'PROVIDER_ERROR',
      message: `Connection to Anthropic dropped mid-stream: ${describeCause(error)}`,
      retryable: true,
    };
  }
  return { code: 'PROVIDER_ERROR', message: `Anthropic request failed: ${message}`, retryable: false };
}

/** An `event: error` inside a 200 stream: no status, only the error type from its body. */
function classifyStreamError(type: string | null, detail: string): Classified {
  switch (type) {
    case 'overloaded_error':
      return { code: 'PROVIDER_OVERLOADED', message: `Anthropic is overloaded: ${detail}`, retryable: true };
    case 'rate_limit_error':
      return { code: 'RATE_LIMITED', message: `Anthropic rate limit reached: ${detail}`, retryable: true };
    case 'authentication_error':
    case 'permission_error':
      return {
        code: 'PROVIDER_AUTH',
        message: `Anthropic refused the credentials: ${detail}`,
        retryable: false,
      };
    case 'invalid_request_error':
    case 'not_found_error':
      return {
        code: 'PROVIDER_ERROR',
        message: `Anthropic rejected the request: ${detail}`,
        retryable: false,
      };
    default:
      // api_error, timeout_error and unknown types mid-stream are server-side hiccups.
      return {
        code: 'PROVIDER_ERROR',
        message: `Anthropic failed mid-stream (${type ?? 'unknown error'}): ${detail}`,
        retryable: true,
      };
  }
}

function classifyStatus(status: number, headers: Headers | undefined, detail: string): Classified {
  if (status === 529) {
    return {
      code: 'PROVIDER_OVERLOADED',
      message: `Anthropic is overloaded (HTTP 529): ${detail}`,
      retryable: true,
      status,
    };
  }
  if (status === 429) {
    const retryAfter = headers?.get('retry-after');
    const hint = retryAfter ? `; retry after ${retryAfter}s` : '';
    return {
      code: 'RATE_LIMITED',
      message: `Anthropic rate limit reached (HTTP 429): ${detail}${hint}`,
      retryable: true,
      status,
    };
  }
  if (status === 401 || status === 403) {
    return {
      code: 'PROVIDER_AUTH',
      message: `Anthropic refused the credentials (HTTP ${status}): ${detail}; check ANTHROPIC_API_KEY`,
      retryable: false,
      status,
    };
  }
  if (status >= 500) {
    return {
      code: 'PROVIDER_ERROR',
      message: `Anthropic server error (HTTP ${status}): ${detail}`,
      retryable: true,
      status,
    };
  }
  // 408 and 409 are the 4xx the SDK itself treats as transient.
  const retryable = status === 408 || status === 409;
  return {
    code: 'PROVIDER_ERROR',
    message: `Anthropic rejected the request (HTTP ${status}): ${detail}`,
    retryable,
    status,
  };
}

/** undici reports a socket closed mid-body as `TypeError: terminated` with the socket error as cause. */
function isDroppedConnection(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (error.message === 'terminated') return true;
  const code = (error.cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(UND_ERR_|ECONNRESET|EPIPE|ETIMEDOUT)/.test(code);
}

/** fetch hides the useful part (`connect ECONNREFUSED ...`) two causes deep. */
function describeCause(error: Error): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error && parts.length < 4) {
    const message = current.message.replace(/\.$/, '');
    if (message && !parts.includes(message)) parts.push(message);
    current = current.cause;
  }
  return parts.join(': ');
}
