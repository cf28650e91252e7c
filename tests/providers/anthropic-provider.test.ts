import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/infra/config.js';
import { AnthropicProvider } from '../../src/providers/anthropic-provider.js';
import { createProvider } from '../../src/providers/create-provider.js';
import { type LlmEvent, type LlmRequest, ProviderError } from '../../src/providers/llm-provider.js';
import { DEFAULT_FAKE_REPLY, type FakeAnthropic, startFakeAnthropic } from '../support/fake-anthropic.js';

const API_KEY = 'sk-ant-test-0123456789-secret';

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

function provider(maxRetries = 0): AnthropicProvider {
  return new AnthropicProvider({
    apiKey: API_KEY,
    baseURL: fake.url,
    defaultModel: 'claude-test',
    maxRetries,
  });
}

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: 'claude-test',
    system: 'Be brief.',
    messages: [
      { role: 'user', content: 'What is SSE?' },
      { role: 'assistant', content: 'Server-sent events.' },
      { role: 'user', content: 'And GraphQL?' },
    ],
    maxTokens: 256,
    signal: new AbortController().signal,
    ...overrides,
  };
}

interface Outcome {
  events: LlmEvent[];
  texts: string[];
  error: ProviderError | undefined;
}

async function run(iterable: AsyncIterable<LlmEvent>): Promise<Outcome> {
  const events: LlmEvent[] = [];
  let error: ProviderError | undefined;
  try {
    for await (const event of iterable) events.push(event);
  } catch (thrown) {
    if (!(thrown instanceof ProviderError)) throw thrown;
    error = thrown;
  }
  const texts = events.flatMap((e) => (e.type === 'text' ? [e.text] : []));
  return { events, texts, error };
}

function expectError(
  error: ProviderError | undefined,
  code: ProviderError['code'],
  retryable: boolean,
): ProviderError {
  expect(error).toBeInstanceOf(ProviderError);
  expect(error?.code).toBe(code);
  expect(error?.retryable).toBe(retryable);
  expect(error?.message).not.toContain(API_KEY);
  return error as ProviderError;
}

describe('AnthropicProvider streaming', () => {
  it('yields usage, text deltas and the stop reason, and sends the whole conversation', async () => {
    fake.enqueue({ kind: 'stream', deltas: ['Hel', 'lo', ' world'], inputTokens: 42, outputTokens: 7 });

    const { events, error } = await run(provider().stream(request({ temperature: 0.5 })));

    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'usage', inputTokens: 42 },
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      { type: 'text', text: ' world' },
      { type: 'usage', outputTokens: 7 },
      { type: 'stop', stopReason: 'end_turn' },
    ]);
    expect(fake.requests).toHaveLength(1);
    const sent = await fake.waitForRequest(1);
    expect(sent.path).toBe('/v1/messages');
    expect(sent.apiKey).toBe(API_KEY);
    // SDK 1.13 sends the key as a bearer token, not as x-api-key.
    expect(sent.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent.anthropicVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sent.body).toMatchObject({
      model: 'claude-test',
      max_tokens: 256,
      system: 'Be brief.',
      stream: true,
      temperature: 0.5,
      messages: [
        { role: 'user', content: 'What is SSE?' },
        { role: 'assistant', content: 'Server-sent events.' },
        { role: 'user', content: 'And GraphQL?' },
      ],
    });
    expect(await sent.outcome).toBe('completed');
  });

  it('passes the stop reason through and omits unset optional parameters', async () => {
    fake.enqueue({ kind: 'stream', deltas: ['cut'], stopReason: 'max_tokens' });

    const { events } = await run(provider().stream(request({ system: undefined })));

    expect(events.at(-1)).toEqual({ type: 'stop', stopReason: 'max_tokens' });
    const sent = await fake.waitForRequest(1);
    expect(sent.body).not.toHaveProperty('system');
    expect(sent.body).not.toHaveProperty('temperature');
  });
});

describe('AnthropicProvider errors', () => {
  it('yields the text before an overloaded_error event, then PROVIDER_OVERLOADED without retrying', async () => {
    fake.enqueue({ kind: 'error-event-after', deltas: ['one', ' two'], errorType: 'overloaded_error' });

    const { texts, error } = await run(provider(2).stream(request()));

    expect(texts).toEqual(['one', ' two']);
    expectError(error, 'PROVIDER_OVERLOADED', true);
    expect(fake.requests).toHaveLength(1);
  });

  it('maps an api_error event to a retryable PROVIDER_ERROR', async () => {
    fake.enqueue({ kind: 'error-event-after', deltas: ['partial'], errorType: 'api_error' });

    const { texts, error } = await run(provider().stream(request()));

    expect(texts).toEqual(['partial']);
    expectError(error, 'PROVIDER_ERROR', true);
  });

  it('maps HTTP 529 to PROVIDER_OVERLOADED after a single request when maxRetries is 0', async () => {
    fake.enqueue({ kind: 'status', status: 529 });

    const { events, error } = await run(provider(0).stream(request()));

    expect(events).toEqual([]);
    expect(expectError(error, 'PROVIDER_OVERLOADED', true).status).toBe(529);
    expect(fake.requests).toHaveLength(1);
  });

  it('lets the SDK retry a 529 maxRetries times', async () => {
    fake.enqueue(
      { kind: 'status', status: 529, retryAfterMs: 1 },
      { kind: 'status', status: 529, retryAfterMs: 1 },
    );

    const { error } = await run(provider(1).stream(request()));

    expectError(error, 'PROVIDER_OVERLOADED', true);
    expect(fake.requests).toHaveLength(2);
  });

  it('streams normally when an SDK retry after a 529 succeeds', async () => {
    fake.enqueue({ kind: 'status', status: 529, retryAfterMs: 1 }, { kind: 'stream', deltas: ['ok'] });

    const { texts, error } = await run(provider(1).stream(request()));

    expect(error).toBeUndefined();
    expect(texts).toEqual(['ok']);
    expect(fake.requests).toHaveLength(2);
  });

  it('maps 429 to RATE_LIMITED and mentions retry-after', async () => {
    fake.enqueue({ kind: 'status', status: 429, retryAfter: 7 });

    const { error } = await run(provider().stream(request()));

    const mapped = expectError(error, 'RATE_LIMITED', true);
    expect(mapped.status).toBe(429);
    expect(mapped.message).toContain('retry after 7s');
  });

  it.each([401, 403])('maps %i to PROVIDER_AUTH, not retryable, without leaking the key', async (status) => {
    fake.enqueue({ kind: 'status', status, message: 'bad key' });

    const { error } = await run(provider(2).stream(request()));

    const mapped = expectError(error, 'PROVIDER_AUTH', false);
    expect(mapped.message).toContain('bad key');
    expect(fake.requests).toHaveLength(1);
  });

  it('maps 5xx to a retryable PROVIDER_ERROR and other 4xx to a non-retryable one', async () => {
    fake.enqueue(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 400, message: 'max_tokens: too big' },
    );

    const server = await run(provider().stream(request()));
    const client = await run(provider().stream(request()));

    expectError(server.error, 'PROVIDER_ERROR', true);
    expect(expectError(client.error, 'PROVIDER_ERROR', false).message).toContain('max_tokens: too big');
  });

  it('maps a connection dropped mid-stream to a retryable PROVIDER_ERROR after the partial text', async () => {
    fake.enqueue({ kind: 'drop-after', deltas: ['a', 'b'] });

    const { texts, error } = await run(provider().stream(request()));

    expect(texts).toEqual(['a', 'b']);
    expect(expectError(error, 'PROVIDER_ERROR', true).message).toContain('terminated');
    expect(await fake.requests[0]?.outcome).toBe('dropped');
  });

  it('treats a response that ends without a stop reason as a retryable PROVIDER_ERROR', async () => {
    fake.enqueue({ kind: 'drop-after', deltas: ['a'], how: 'end' });

    const { texts, error } = await run(provider().stream(request()));

    expect(texts).toEqual(['a']);
    expectError(error, 'PROVIDER_ERROR', true);
  });

  it('maps an unreachable server to a retryable PROVIDER_ERROR', async () => {
    const gone = await startFakeAnthropic();
    await gone.close();
    const unreachable = new AnthropicProvider({
      apiKey: API_KEY,
      baseURL: gone.url,
      defaultModel: 'claude-test',
      maxRetries: 0,
    });

    const { error } = await run(unreachable.stream(request()));

    expect(expectError(error, 'PROVIDER_ERROR', true).message).toContain('ECONNREFUSED');
  });
});

describe('AnthropicProvider cancellation', () => {
  it('throws CANCELLED when aborted mid-stream and closes the HTTP request', async () => {
    fake.enqueue({ kind: 'stream', deltas: ['first', ' second', ' third'], gated: true });
    const controller = new AbortController();
    const iterator = provider()
      .stream(request({ signal: controller.signal }))
      [Symbol.asyncIterator]();

    expect((await iterator.next()).value).toEqual({ type: 'usage', inputTokens: expect.any(Number) });
    fake.release(1);
    expect((await iterator.next()).value).toEqual({ type: 'text', text: 'first' });
    controller.abort();

    await expect(iterator.next()).rejects.toMatchObject({ code: 'CANCELLED', retryable: false });
    expect(await fake.requests[0]?.outcome).toBe('client-disconnected');
  });

  it('closes the HTTP request when the consumer stops iterating', async () => {
    fake.enqueue({ kind: 'stream', deltas: ['first', ' second'], gated: true });
    fake.release(1);

    for await (const event of provider().stream(request())) {
      if (event.type === 'text') break;
    }

    expect(await fake.requests[0]?.outcome).toBe('client-disconnected');
  });

  it('throws CANCELLED without calling the API when the signal is already aborted', async () => {
    const { events, error } = await run(provider().stream(request({ signal: AbortSignal.abort() })));

    expect(events).toEqual([]);
    expectError(error, 'CANCELLED', false);
    expect(fake.requests).toHaveLength(0);
  });

  it('throws CANCELLED when aborted while the SDK waits to retry', async () => {
    // A one-minute retry-after outlives the test timeout, so only a prompt cancellation passes.
    fake.enqueue({ kind: 'status', status: 529, retryAfterMs: 60_000 });
    const controller = new AbortController();
    const pending = run(provider(1).stream(request({ signal: controller.signal })));

    await (await fake.waitForRequest(1)).outcome;
    controller.abort();

    expectError((await pending).error, 'CANCELLED', false);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('createProvider (anthropic)', () => {
  it('builds an AnthropicProvider from the configuration', async () => {
    const configured = createProvider({
      llmProvider: 'anthropic',
      anthropicApiKey: API_KEY,
      anthropicBaseUrl: fake.url,
      defaultModel: 'claude-configured',
      anthropicMaxRetries: 0,
      echoDelayMs: 0,
    });

    expect(configured).toBeInstanceOf(AnthropicProvider);
    expect(configured.name).toBe('anthropic');
    expect(configured.defaultModel).toBe('claude-configured');
    const { texts } = await run(configured.stream(request()));
    expect(texts.join('')).toBe(DEFAULT_FAKE_REPLY.join(''));
  });

  it('refuses to build an Anthropic provider without an API key', () => {
    expect(() =>
      createProvider({
        llmProvider: 'anthropic',
        anthropicApiKey: undefined,
        anthropicBaseUrl: undefined,
        defaultModel: 'claude-configured',
        anthropicMaxRetries: 0,
        echoDelayMs: 0,
      }),
    ).toThrow(ConfigError);
  });
});
