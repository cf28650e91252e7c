/**
 * The seam between the domain and language-model vendors. A provider turns a conversation into an
 * AsyncIterable of small events; it knows nothing of threads, streams or GraphQL.
 */

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface LlmRequest {
  model: string;
  /** The whole conversation, oldest first; the last one is the new user message. */
  messages: LlmMessage[];
  system?: string | undefined;
  maxTokens: number;
  temperature?: number | undefined;
  /** Aborting it stops the upstream request; the iterable then throws a ProviderError with code CANCELLED. */
  signal: AbortSignal;
}

export type LlmEvent =
  | { type: 'text'; text: string }
  /** Usage known so far; later events carry the newer totals for the fields they name. */
  | { type: 'usage'; inputTokens?: number; outputTokens?: number }
  | { type: 'stop'; stopReason: string | null };

export interface LlmProvider {
  /** e.g. `anthropic`, `echo`. */
  readonly name: string;
  readonly defaultModel: string;
  stream(request: LlmRequest): AsyncIterable<LlmEvent>;
}

export type ProviderErrorCode =
  | 'PROVIDER_OVERLOADED'
  | 'RATE_LIMITED'
  | 'PROVIDER_AUTH'
  | 'PROVIDER_ERROR'
  | 'CANCELLED';

/** The only error a provider's iterable throws: a stable code and whether retrying may succeed. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}
