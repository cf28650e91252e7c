import { describe, expect, it } from 'vitest';
import { getStream, START_COMPLETION, startCompletion } from '../support/anthropic-server.js';
import { words } from '../support/fake-anthropic.js';
import {
  CHAT_COMPLETION,
  type CompletionEventData,
  collect,
  completionEvents,
  type TestServer,
} from '../support/server.js';
import { payloads, Subscriber } from '../support/subscriber.js';
import { useFakeAnthropic, useServers } from '../support/suite.js';

const fake = useFakeAnthropic({ gated: true });
const servers = useServers();
let server: TestServer;

const CANCEL = `mutation Cancel($id: ID!) { cancelStream(id: $id) { id status error { code retryable } } }`;

describe('detached start and cancel', () => {
  it('startCompletion runs with nobody subscribed; a later subscriber replays it whole', async () => {
    server = await servers.withFake(fake);
    fake.enqueue({ kind: 'stream', deltas: ['nobody ', 'is ', 'watching'] });
    const streamId = await startCompletion(server, { prompt: 'detached' });
    fake.openGate();
    expect(await (await fake.waitForRequest(1)).outcome).toBe('completed');
    const events = completionEvents(await collect(server.client(), CHAT_COMPLETION, { input: { streamId } }));
    expect(events.at(-1)).toMatchObject({
      __typename: 'CompletionFinished',
      message: { content: 'nobody is watching' },
    });
  });

  it('cancelStream aborts the provider, ends with CANCELLED, keeps partial text and usage', async () => {
    server = await servers.withFake(fake);
    const client = server.client();
    fake.enqueue({
      kind: 'stream',
      deltas: words('this answer will be cut short by a cancel'),
      inputTokens: 11,
    });
    const subscriber = new Subscriber<{ chatCompletion: CompletionEventData }>(client, CHAT_COMPLETION, {
      input: { prompt: 'cancel me' },
    });
    const request = await fake.waitForRequest(1);
    fake.release(2);
    await subscriber.received(3);
    const streamId = subscriber.results[0]?.data?.chatCompletion.streamId as string;

    const cancelled = await server.gql<{ cancelStream: { status: string; error: { code: string } } }>(
      CANCEL,
      {
        id: streamId,
      },
    );
    expect(cancelled.data?.cancelStream).toMatchObject({ status: 'CANCELLED', error: { code: 'CANCELLED' } });
    expect(await request.outcome).toBe('client-disconnected');

    const events = payloads(await subscriber.done, 'chatCompletion');
    const last = events.at(-1) as CompletionEventData;
    expect(last.__typename).toBe('CompletionFailed');
    expect(last.error).toMatchObject({ code: 'CANCELLED', retryable: false });
    expect(last.message).toMatchObject({ status: 'CANCELLED', content: 'this answer' });

    const thread = await server.gql<{
      thread: { messages: { status: string; content: string; usage: { inputTokens: number } | null }[] };
    }>('query($id: ID!) { thread(id: $id) { messages { status content usage { inputTokens } } } }', {
      id: (events[0] as CompletionEventData).thread?.id,
    });
    expect(thread.data?.thread.messages[1]).toEqual({
      status: 'CANCELLED',
      content: 'this answer',
      usage: { inputTokens: 11 },
    });

    const again = await server.gql(CANCEL, { id: streamId });
    expect(again.errors?.[0]?.extensions?.code).toBe('STREAM_NOT_LIVE');
    const replay = completionEvents(await collect(client, CHAT_COMPLETION, { input: { streamId } }));
    expect(replay).toEqual(events);
  });
});

describe('idempotency', () => {
  it('the same key never starts a second generation, also under concurrent calls', async () => {
    server = await servers.withFake(fake);
    fake.enqueue({ kind: 'stream', deltas: ['only ', 'once'] });
    const input = { prompt: 'exactly once', idempotencyKey: 'key-123' };
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        server?.gql<{ startCompletion: { id: string } }>(START_COMPLETION, { input }),
      ),
    );
    const ids = new Set(results.map((r) => r?.data?.startCompletion.id));
    expect(ids.size).toBe(1);
    const [streamId] = [...ids] as string[];

    // chatCompletion with the same key joins the same stream instead of starting one.
    const joined = new Subscriber<{ chatCompletion: CompletionEventData }>(server.client(), CHAT_COMPLETION, {
      input,
    });
    fake.openGate();
    const events = payloads(await joined.done, 'chatCompletion');
    expect(events[0]?.streamId).toBe(streamId);
    expect(events.at(-1)?.message?.content).toBe('only once');
    expect(fake.requests).toHaveLength(1);
    const threads = await server.gql<{ threads: unknown[] }>('{ threads { id } }');
    expect(threads.data?.threads).toHaveLength(1);
    expect((await getStream(server, streamId as string)).status).toBe('COMPLETE');
  });
});
