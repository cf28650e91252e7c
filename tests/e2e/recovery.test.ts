import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from 'graphql-sse';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getStream, startCompletion, startServerWithFake } from '../support/anthropic-server.js';
import { type FakeAnthropic, startFakeAnthropic, words } from '../support/fake-anthropic.js';
import { type ServerProcess, spawnServer } from '../support/process.js';
import {
  CHAT_COMPLETION,
  type CompletionEventData,
  collect,
  completionEvents,
  type TestServer,
} from '../support/server.js';
import { payloads, Subscriber } from '../support/subscriber.js';

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic({ gated: true });
});
afterAll(async () => {
  await fake.close();
});

const FEED =
  'subscription($id: ID!, $after: String) { contextThread(id: $id, after: $after) { __typename seq cursor } }';

const TEXT = 'the server dies in the middle of this answer and what was delivered must survive';

describe('restart recovery', () => {
  let server: TestServer | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'streamgate-recovery-'));
  afterEach(async () => {
    await server?.close({ keepFiles: true });
    server = undefined;
    fake.reset();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a graceful stop interrupts live generations; after restart they replay and complete', async () => {
    server = await startServerWithFake(fake, { dir });
    fake.enqueue({ kind: 'stream', deltas: words(TEXT) });
    const subscriber = new Subscriber<{ chatCompletion: CompletionEventData }>(
      server.client(),
      CHAT_COMPLETION,
      {
        input: { prompt: 'stop me' },
      },
    );
    await fake.waitForRequest(1);
    fake.release(3);
    await subscriber.received(4);
    const threadId = subscriber.results[0]?.data?.chatCompletion.thread?.id as string;
    const feed = new Subscriber<{ contextThread: { seq: number; cursor: string } }>(server.client(), FEED, {
      id: threadId,
    });
    await feed.received(3);
    await server.close({ keepFiles: true });
    // A feed has no end of its own: it ends with a retryable error that says where to resume.
    const feedEnd = (await feed.done).at(-1);
    expect(feedEnd?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    const feedCursor = feedEnd?.errors?.[0]?.extensions?.cursor as string;
    const feedSeen = feed.results.filter((r) => r.data).map((r) => r.data?.contextThread.seq);
    expect(feedCursor.endsWith(`:${feedSeen.at(-1)}`)).toBe(true);
    const live = payloads(await subscriber.done, 'chatCompletion');
    const last = live.at(-1) as CompletionEventData;
    expect(last.__typename).toBe('CompletionFailed');
    expect(last.error).toMatchObject({ code: 'INTERRUPTED', retryable: true });
    expect(last.message).toMatchObject({ status: 'INTERRUPTED' });

    server = await startServerWithFake(fake, { dir });
    const replay = completionEvents(
      await collect(server.client(), CHAT_COMPLETION, { input: { streamId: last.streamId } }),
    );
    expect(replay).toEqual(live);
    expect((await getStream(server, last.streamId)).status).toBe('INTERRUPTED');
    const resumedFeed = new Subscriber<{ contextThread: { seq: number; __typename: string } }>(
      server.client(),
      FEED,
      {
        id: threadId,
        after: feedCursor,
      },
    );
    fake.enqueue({ kind: 'stream', deltas: ['again'] });
    fake.openGate();
    await collect(server.client(), CHAT_COMPLETION, { input: { prompt: 'after restart', threadId } });
    await resumedFeed.received(1);
    expect(resumedFeed.results[0]?.data?.contextThread).toMatchObject({
      seq: (feedSeen.at(-1) as number) + 1,
      __typename: 'ThreadMessageAdded',
    });
    await resumedFeed.stop();
  });
});

describe('crash recovery (SIGKILL)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'streamgate-crash-'));
  let proc: ServerProcess | undefined;
  afterEach(async () => {
    proc?.child.kill('SIGKILL');
    await proc?.exited;
    proc = undefined;
    fake.reset();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('closes the stream as INTERRUPTED on restart; every event delivered 100 ms before the kill is in the record', async () => {
    const env = {
      DATABASE_URL: `file:${path.join(dir, 'crash.db')}`,
      LLM_PROVIDER: 'anthropic',
      ANTHROPIC_API_KEY: 'sk-test',
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_MAX_RETRIES: '0',
    };
    proc = await spawnServer(env);
    const client = createClient({ url: `${proc.origin}/graphql/stream`, retryAttempts: 0 });
    fake.enqueue({ kind: 'stream', deltas: words(TEXT) });
    const subscriber = new Subscriber<{ chatCompletion: CompletionEventData }>(client, CHAT_COMPLETION, {
      input: { prompt: 'crash' },
    });
    await fake.waitForRequest(1);
    fake.release(5);
    await subscriber.received(6);
    const durable = payloads(subscriber.results, 'chatCompletion');
    // The durability promise is "committed within 50 ms of delivery"; give it twice that.
    await delay(100);
    fake.release(2);
    await subscriber.received(8);
    proc.child.kill('SIGKILL');
    expect(await proc.exited).toBe('SIGKILL');
    client.dispose();

    proc = await spawnServer(env);
    const restarted = {
      gql: async <T>(query: string, variables: Record<string, unknown>) => {
        const response = await fetch(`${proc?.origin}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables }),
        });
        return (await response.json()) as { data: T };
      },
    };
    const streamId = durable[0]?.streamId as string;
    const stream = await restarted.gql<{ stream: { status: string; error: { code: string } } }>(
      'query($id: ID!) { stream(id: $id) { status error { code } } }',
      { id: streamId },
    );
    expect(stream.data.stream).toEqual({ status: 'INTERRUPTED', error: { code: 'INTERRUPTED' } });

    const client2 = createClient({ url: `${proc.origin}/graphql/stream`, retryAttempts: 0 });
    const replay = completionEvents(await collect(client2, CHAT_COMPLETION, { input: { streamId } }));
    client2.dispose();
    expect(replay.slice(0, durable.length)).toEqual(durable);
    const terminal = replay.at(-1) as CompletionEventData;
    expect(terminal.__typename).toBe('CompletionFailed');
    expect(terminal.error).toMatchObject({ code: 'INTERRUPTED', retryable: true });
    const recorded = replay
      .filter((e) => e.__typename === 'CompletionDelta')
      .map((e) => e.text)
      .join('');
    expect(terminal.message).toMatchObject({ status: 'INTERRUPTED', content: recorded });
    expect(
      recorded.startsWith(
        durable
          .filter((e) => e.text)
          .map((e) => e.text)
          .join(''),
      ),
    ).toBe(true);
    expect(replay.map((e) => e.seq)).toEqual(replay.map((_, i) => i + 1));
  });
});

describe('start-up recovery of a stream left LIVE', () => {
  it('is covered with startCompletion too (no subscriber at all)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streamgate-detached-'));
    try {
      let server = await startServerWithFake(fake, { dir });
      fake.enqueue({ kind: 'stream', deltas: words(TEXT) });
      const streamId = await startCompletion(server, { prompt: 'nobody listens' });
      await fake.waitForRequest(1);
      fake.release(2);
      await expect.poll(async () => (await getStream(server, streamId)).chunkCount).toBeGreaterThanOrEqual(3);
      await server.close({ keepFiles: true });
      server = await startServerWithFake(fake, { dir });
      const replay = completionEvents(
        await collect(server.client(), CHAT_COMPLETION, { input: { streamId } }),
      );
      expect(replay.at(-1)).toMatchObject({ __typename: 'CompletionFailed', error: { code: 'INTERRUPTED' } });
      await server.close({ keepFiles: true });
    } finally {
      fake.reset();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
