import { describe, expect, it } from 'vitest';
import { getStream, startCompletion } from '../support/anthropic-server.js';
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

const STREAM_CHUNKS = `subscription Chunks($id: ID!, $after: String) {
  stream(id: $id, after: $after) { streamId seq cursor at type data }
}`;

interface Chunk {
  streamId: string;
  seq: number;
  cursor: string;
  type: string;
  data: Record<string, unknown>;
}

const fake = useFakeAnthropic({ gated: true });
const servers = useServers();
let server: TestServer;

const TEXT = 'resume from any cursor and get exactly the rest of the stream with nothing lost or repeated';

describe('replay and resume of a finished stream', () => {
  it('replays from the start, and from every cursor gives exactly the rest', async () => {
    server = await servers.start();
    const client = server.client();
    const full = completionEvents(
      await collect(client, CHAT_COMPLETION, { input: { prompt: 'replay me please' } }),
    );
    const streamId = full[0]?.streamId as string;

    const replay = completionEvents(await collect(client, CHAT_COMPLETION, { input: { streamId } }));
    expect(replay).toEqual(full);

    for (const k of [1, 2, 5, full.length - 2, full.length - 1]) {
      const after = full[k - 1]?.cursor;
      const rest = completionEvents(await collect(client, CHAT_COMPLETION, { input: { streamId, after } }));
      expect(rest).toEqual(full.slice(k));
    }
  });

  it('stream(id) replays the same events as StreamChunks, resumable the same way', async () => {
    server = await servers.start();
    const client = server.client();
    const full = completionEvents(await collect(client, CHAT_COMPLETION, { input: { prompt: 'chunks' } }));
    const streamId = full[0]?.streamId as string;
    const chunks = payloads<Chunk>(await collect(client, STREAM_CHUNKS, { id: streamId }), 'stream');
    expect(chunks.map((c) => [c.seq, c.cursor, c.type])).toEqual(
      full.map((e) => [e.seq, e.cursor, e.__typename]),
    );
    expect(chunks[1]?.data).toEqual({ messageId: full[1]?.messageId, text: full[1]?.text });
    const rest = payloads<Chunk>(
      await collect(client, STREAM_CHUNKS, { id: streamId, after: chunks[2]?.cursor }),
      'stream',
    );
    expect(rest.map((c) => c.seq)).toEqual(chunks.slice(3).map((c) => c.seq));
  });

  it('rejects an unknown stream with NOT_FOUND and bad cursors with BAD_CURSOR', async () => {
    server = await servers.start();
    const client = server.client();
    const full = completionEvents(await collect(client, CHAT_COMPLETION, { input: { prompt: 'x' } }));
    const other = completionEvents(await collect(client, CHAT_COMPLETION, { input: { prompt: 'y' } }));
    const streamId = full[0]?.streamId as string;
    const code = async (query: string, variables: Record<string, unknown>) => {
      const results = await collect(client, query, variables);
      expect(results).toHaveLength(1);
      return results[0]?.errors?.[0]?.extensions?.code;
    };
    expect(await code(STREAM_CHUNKS, { id: 'str_unknown' })).toBe('NOT_FOUND');
    expect(await code(CHAT_COMPLETION, { input: { streamId: 'str_unknown' } })).toBe('NOT_FOUND');
    expect(await code(STREAM_CHUNKS, { id: streamId, after: 'garbage' })).toBe('BAD_CURSOR');
    expect(await code(STREAM_CHUNKS, { id: streamId, after: other[1]?.cursor })).toBe('BAD_CURSOR');
    expect(await code(STREAM_CHUNKS, { id: streamId, after: `${streamId}:${full.length + 1}` })).toBe(
      'BAD_CURSOR',
    );
    expect(await code(CHAT_COMPLETION, { input: { prompt: 'no', after: full[1]?.cursor } })).toBe(
      'INVALID_INPUT',
    );
  });
});

describe.each(['on', 'off'])('resume of a live stream (SHARED_FANOUT=%s)', (sharedFanout) => {
  it('resumes after k events for several k while the stream keeps producing (replay → live switch)', async () => {
    server = await servers.withFake(fake, { env: { SHARED_FANOUT: sharedFanout } });
    const client = server.client();
    fake.enqueue({ kind: 'stream', deltas: words(TEXT) });
    const streamId = await startCompletion(server, { prompt: 'live resume' });
    await fake.waitForRequest(1);
    fake.release(6);
    const reference = new Subscriber<{ chatCompletion: CompletionEventData }>(client, CHAT_COMPLETION, {
      input: { streamId },
    });
    await reference.received(7);
    const seen = payloads(reference.results, 'chatCompletion');

    // Each resumer joins mid-stream, and events keep arriving while it replays.
    const resumers = [1, 3, 5, 7].map((k) => {
      const resumer = new Subscriber<{ chatCompletion: CompletionEventData }>(client, CHAT_COMPLETION, {
        input: { streamId, after: seen[k - 1]?.cursor },
      });
      fake.release(2);
      return { k, resumer };
    });
    fake.openGate();
    const full = payloads(await reference.done, 'chatCompletion');
    expect(full.at(-1)?.__typename).toBe('CompletionFinished');
    for (const { k, resumer } of resumers) {
      expect(payloads(await resumer.done, 'chatCompletion')).toEqual(full.slice(k));
    }
  });

  it('a client that drops mid-stream and resumes from its last cursor has every event exactly once', async () => {
    server = await servers.withFake(fake, { env: { SHARED_FANOUT: sharedFanout } });
    const client = server.client();
    fake.enqueue({ kind: 'stream', deltas: words(TEXT) });
    const first = new Subscriber<{ chatCompletion: CompletionEventData }>(client, CHAT_COMPLETION, {
      input: { prompt: 'drop and resume' },
    });
    await fake.waitForRequest(1);
    fake.release(4);
    await first.received(5);
    await first.stop();
    const before = payloads(first.results, 'chatCompletion');
    const last = before.at(-1) as CompletionEventData;
    fake.release(5);
    const second = new Subscriber<{ chatCompletion: CompletionEventData }>(client, CHAT_COMPLETION, {
      input: { streamId: last.streamId, after: last.cursor },
    });
    fake.openGate();
    const after = payloads(await second.done, 'chatCompletion');
    const all = [...before, ...after];
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(
      all
        .filter((e) => e.__typename === 'CompletionDelta')
        .map((e) => e.text)
        .join(''),
    ).toBe(TEXT);
    expect((await getStream(server, last.streamId)).chunkCount).toBe(all.length);
  });
});
