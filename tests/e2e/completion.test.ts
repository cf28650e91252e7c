import { describe, expect, it } from 'vitest';
import { AnthropicProvider } from '../../src/providers/anthropic-provider.js';
import { echoDeltas } from '../../src/providers/echo-provider.js';
import {
  CHAT_COMPLETION,
  type CompletionEventData,
  collect,
  completionEvents,
  type TestServer,
} from '../support/server.js';
import { useFakeAnthropic, useServers } from '../support/suite.js';

const servers = useServers();
let server: TestServer;

function assertWellFormed(events: CompletionEventData[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events[0]?.__typename).toBe('CompletionStarted');
  const terminals = events.filter(
    (e) => e.__typename === 'CompletionFinished' || e.__typename === 'CompletionFailed',
  );
  expect(terminals).toHaveLength(1);
  expect(events.at(-1)).toBe(terminals[0]);
  const streamId = events[0]?.streamId;
  for (const event of events) {
    expect(event.streamId).toBe(streamId);
    expect(event.cursor).toBe(`${streamId}:${event.seq}`);
    expect(Number.isNaN(Date.parse(event.at))).toBe(false);
  }
}

describe('chatCompletion with the offline echo provider', () => {
  it('streams Started, deltas, Finished with gapless seq, and persists the concatenated text', async () => {
    server = await servers.start();
    const client = server.client();
    const events = completionEvents(
      await collect(client, CHAT_COMPLETION, { input: { prompt: 'Hello there' } }),
    );

    assertWellFormed(events);
    const deltas = events.filter((e) => e.__typename === 'CompletionDelta');
    expect(deltas.length).toBeGreaterThan(3);
    const text = deltas.map((d) => d.text).join('');
    const expected = echoDeltas({ messages: [{ role: 'user', content: 'Hello there' }] }).join('');
    expect(text).toBe(expected);

    const started = events[0] as CompletionEventData;
    expect(started.model).toBe('streamgate-echo');
    expect(started.message?.role).toBe('ASSISTANT');
    expect(started.thread?.title).toBe('Hello there');
    const finished = events.at(-1) as CompletionEventData;
    expect(finished.__typename).toBe('CompletionFinished');
    expect(finished.stopReason).toBe('end_turn');
    expect(finished.message?.content).toBe(text);
    expect(finished.message?.status).toBe('COMPLETE');

    const threadId = started.thread?.id;
    const query = await server.gql<{
      thread: { messages: { role: string; content: string; status: string; streamId: string | null }[] };
      stream: {
        status: string;
        chunkCount: number;
        kind: string;
        resourceId: string;
        stats: { bytes: number };
      };
    }>(
      `query($t: ID!, $s: ID!) {
        thread(id: $t) { messages { role content status streamId } }
        stream(id: $s) { status chunkCount kind resourceId stats { bytes } }
      }`,
      { t: threadId, s: started.streamId },
    );
    expect(query.errors).toBeUndefined();
    expect(query.data?.thread.messages).toEqual([
      { role: 'USER', content: 'Hello there', status: 'COMPLETE', streamId: null },
      { role: 'ASSISTANT', content: text, status: 'COMPLETE', streamId: started.streamId },
    ]);
    expect(query.data?.stream).toMatchObject({
      status: 'COMPLETE',
      chunkCount: events.length,
      kind: 'chat.completion',
      resourceId: started.messageId,
    });
    expect(query.data?.stream.stats.bytes).toBeGreaterThan(0);
  });

  it('also streams over Yoga built-in SSE at /graphql, with the same events', async () => {
    server = await servers.start();
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: CHAT_COMPLETION, variables: { input: { prompt: 'built in' } } }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const body = await response.text();
    const data = body
      .split('\n\n')
      .filter((frame) => frame.includes('event: next'))
      .map(
        (frame) =>
          JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as {
            data: { chatCompletion: CompletionEventData };
          },
      );
    const events = data.map((d) => d.data.chatCompletion);
    assertWellFormed(events);
    expect(body).toContain('event: complete');
  });
});

describe('chatCompletion with the Anthropic provider against a fake Anthropic server', () => {
  const fake = useFakeAnthropic();
  const start = () => servers.withFake(fake);

  it('streams a normal answer and sends the whole conversation on a follow-up', async () => {
    server = await start();
    const client = server.client();
    fake.enqueue({ kind: 'stream', deltas: ['Hi', ' there', '!'], inputTokens: 7, outputTokens: 3 });
    const first = completionEvents(
      await collect(client, CHAT_COMPLETION, {
        input: { prompt: 'Hello', system: 'Be brief', maxTokens: 50 },
      }),
    );
    assertWellFormed(first);
    const finished = first.at(-1) as CompletionEventData;
    expect(finished.message?.content).toBe('Hi there!');
    expect(finished.usage).toEqual({ inputTokens: 7, outputTokens: 3 });
    expect(fake.requests[0]?.body).toMatchObject({
      model: 'claude-test',
      max_tokens: 50,
      system: 'Be brief',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(fake.requests[0]?.apiKey).toBe('sk-test-key');

    fake.enqueue({ kind: 'stream', deltas: ['Sure.'] });
    const threadId = (first[0] as CompletionEventData).thread?.id;
    const second = completionEvents(
      await collect(client, CHAT_COMPLETION, { input: { prompt: 'And more?', threadId } }),
    );
    assertWellFormed(second);
    expect((second[0] as CompletionEventData).thread?.id).toBe(threadId);
    expect(fake.requests[1]?.body.messages).toEqual([
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hi there!' },
      { role: 'user', content: 'And more?' },
    ]);
  });

  it('keeps the partial text and fails retryably on an error event after k deltas', async () => {
    server = await start();
    fake.enqueue({ kind: 'error-event-after', deltas: ['one ', 'two '], errorType: 'overloaded_error' });
    const events = completionEvents(
      await collect(server.client(), CHAT_COMPLETION, { input: { prompt: 'go' } }),
    );
    assertWellFormed(events);
    expect(events.filter((e) => e.__typename === 'CompletionDelta').map((e) => e.text)).toEqual([
      'one ',
      'two ',
    ]);
    const failed = events.at(-1) as CompletionEventData;
    expect(failed.__typename).toBe('CompletionFailed');
    expect(failed.error).toMatchObject({ code: 'PROVIDER_OVERLOADED', retryable: true });
    expect(failed.message).toMatchObject({ content: 'one two ', status: 'FAILED' });
    const stored = await server.gql<{ stream: { status: string; error: { code: string } } }>(
      'query($id: ID!) { stream(id: $id) { status error { code } } }',
      { id: failed.streamId },
    );
    expect(stored.data?.stream).toEqual({ status: 'FAILED', error: { code: 'PROVIDER_OVERLOADED' } });
    // A failed stream replays exactly, terminal event included.
    const replay = completionEvents(
      await collect(server.client(), CHAT_COMPLETION, { input: { streamId: failed.streamId } }),
    );
    expect(replay).toEqual(events);
  });

  it.each([
    [529, 'PROVIDER_OVERLOADED', true],
    [429, 'RATE_LIMITED', true],
    [401, 'PROVIDER_AUTH', false],
  ])('maps HTTP %i before the first token to %s (retryable %s)', async (status, code, retryable) => {
    server = await start();
    fake.enqueue({ kind: 'status', status, retryAfterMs: 1 });
    const events = completionEvents(
      await collect(server.client(), CHAT_COMPLETION, { input: { prompt: 'go' } }),
    );
    assertWellFormed(events);
    expect(events).toHaveLength(2);
    const failed = events[1] as CompletionEventData;
    expect(failed.error).toMatchObject({ code, retryable });
    expect(failed.message).toMatchObject({ content: '', status: 'FAILED' });
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a 529 with the SDK when retries are allowed and then streams', async () => {
    server = await servers.start({
      provider: new AnthropicProvider({
        apiKey: 'k',
        baseURL: fake.url,
        defaultModel: 'claude-test',
        maxRetries: 1,
      }),
    });
    fake.enqueue({ kind: 'status', status: 529, retryAfterMs: 1 }, { kind: 'stream', deltas: ['ok'] });
    const events = completionEvents(
      await collect(server.client(), CHAT_COMPLETION, { input: { prompt: 'go' } }),
    );
    expect((events.at(-1) as CompletionEventData).__typename).toBe('CompletionFinished');
    expect(fake.requests).toHaveLength(2);
  });
});
