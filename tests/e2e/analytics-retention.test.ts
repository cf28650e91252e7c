import { describe, expect, it } from 'vitest';
import { getStream, startCompletion } from '../support/anthropic-server.js';
import { CHAT_COMPLETION, collect, completionEvents, type TestServer } from '../support/server.js';
import { payloads, Subscriber } from '../support/subscriber.js';
import { useFakeAnthropic, useServers } from '../support/suite.js';

const fake = useFakeAnthropic({ gated: true });
const servers = useServers();
let server: TestServer;

const STREAM_CHUNKS = 'subscription($id: ID!) { stream(id: $id) { seq type data } }';

describe('stream analytics', () => {
  it('computes stats from what was recorded: first chunk, duration, rate, bytes, peak subscribers, tokens/s', async () => {
    server = await servers.withFake(fake);
    fake.enqueue({ kind: 'stream', deltas: ['a', 'b', 'c', 'd'], inputTokens: 5, outputTokens: 40 });
    const streamId = await startCompletion(server, { prompt: 'stats' });
    const subscribers = [0, 1, 2].map(
      () =>
        new Subscriber(server?.client() as ReturnType<TestServer['client']>, CHAT_COMPLETION, {
          input: { streamId },
        }),
    );
    await Promise.all(subscribers.map((s) => s.received(1)));
    expect((await getStream(server, streamId)).subscriberCount).toBe(3);
    fake.openGate();
    await Promise.all(subscribers.map((s) => s.done));

    const stream = await getStream(server, streamId);
    const chunks = payloads<{ seq: number; type: string; data: unknown }>(
      await collect(server.client(), STREAM_CHUNKS, { id: streamId }),
      'stream',
    );
    expect(stream.chunkCount).toBe(chunks.length);
    expect(stream.stats.bytes).toBe(
      chunks.reduce((sum, c) => sum + Buffer.byteLength(JSON.stringify(c.data)), 0),
    );
    expect(stream.stats.peakSubscribers).toBe(3);
    expect(stream.subscriberCount).toBe(0);
    const { timeToFirstChunkMs, durationMs, chunksPerSecond, outputTokens, tokensPerSecond } = stream.stats;
    expect(timeToFirstChunkMs).toBeGreaterThanOrEqual(0);
    expect(timeToFirstChunkMs).toBeLessThanOrEqual(durationMs as number);
    expect(chunksPerSecond).toBeCloseTo((chunks.length * 1000) / (durationMs as number), 6);
    expect(outputTokens).toBe(40);
    expect(tokensPerSecond).toBeGreaterThan(0);
  });

  it('lists recent streams newest first, by kind and status', async () => {
    server = await servers.start();
    const client = server.client();
    const first = completionEvents(await collect(client, CHAT_COMPLETION, { input: { prompt: 'one' } }));
    const second = completionEvents(await collect(client, CHAT_COMPLETION, { input: { prompt: 'two' } }));
    const list = await server.gql<{ streams: { id: string; kind: string; status: string }[] }>(
      '{ streams(kind: "chat.completion", status: COMPLETE, first: 10) { id kind status } }',
    );
    expect(list.data?.streams.map((s) => s.id)).toEqual([second[0]?.streamId, first[0]?.streamId]);
    const feeds = await server.gql<{ streams: { kind: string }[] }>(
      '{ streams(kind: "thread", status: LIVE) { kind } }',
    );
    expect(feeds.data?.streams).toHaveLength(2);
    const bad = await server.gql('{ streams(first: -1) { id } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
  });
});

describe('retention', () => {
  it('prunes events of finished streams; the message stays, and a replay fails with STREAM_EXPIRED', async () => {
    server = await servers.start();
    const dir = server.dir;
    const events = completionEvents(
      await collect(server.client(), CHAT_COMPLETION, { input: { prompt: 'forget me' } }),
    );
    const streamId = events[0]?.streamId as string;
    const threadId = events[0]?.thread?.id as string;
    await server.close({ keepFiles: true });

    server = await servers.start({ dir, env: { STREAM_RETENTION_HOURS: '0' } });
    const replay = await collect(server.client(), CHAT_COMPLETION, { input: { streamId } });
    expect(replay).toHaveLength(1);
    expect(replay[0]?.errors?.[0]?.extensions).toMatchObject({ code: 'STREAM_EXPIRED' });
    const resume = await collect(server.client(), STREAM_CHUNKS, { id: streamId });
    expect(resume[0]?.errors?.[0]?.extensions?.code).toBe('STREAM_EXPIRED');

    const thread = await server.gql<{ thread: { messages: { content: string }[] } }>(
      'query($id: ID!) { thread(id: $id) { messages { content } } }',
      { id: threadId },
    );
    expect(thread.data?.thread.messages[1]?.content).toBe(events.at(-1)?.message?.content);
    const stream = await getStream(server, streamId);
    expect(stream).toMatchObject({ status: 'COMPLETE', chunkCount: events.length });
  });
});
