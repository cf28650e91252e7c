import { describe, expect, it } from 'vitest';
import { CHAT_COMPLETION, collect, completionEvents, type TestServer } from '../support/server.js';
import { payloads, Subscriber } from '../support/subscriber.js';
import { useServers } from '../support/suite.js';

const CONTEXT_THREAD = `subscription Feed($id: ID!, $after: String) {
  contextThread(id: $id, after: $after) {
    __typename threadId cursor at seq
    ... on ThreadMessageAdded { message { id role status content } }
    ... on ThreadMessageDelta { messageId text }
    ... on ThreadMessageUpdated { message { id role status content } }
    ... on ThreadUpdated { thread { id title } }
  }
}`;

interface FeedEvent {
  __typename: string;
  threadId: string;
  cursor: string;
  seq: number;
  message?: { id: string; role: string; status: string; content: string };
  messageId?: string;
  text?: string;
  thread?: { id: string; title: string };
}

const servers = useServers();
let server: TestServer;

async function createThread(s: TestServer, title: string): Promise<string> {
  const created = await s.gql<{ createThread: { id: string } }>(
    'mutation($t: String) { createThread(title: $t) { id } }',
    {
      t: title,
    },
  );
  return created.data?.createThread.id as string;
}

describe('contextThread', () => {
  it('delivers everything that happens in a thread as one ordered, resumable feed', async () => {
    server = await servers.start();
    const client = server.client();
    const threadId = await createThread(server, 'Feed');
    const feed = new Subscriber<{ contextThread: FeedEvent }>(client, CONTEXT_THREAD, { id: threadId });

    const completion = completionEvents(
      await collect(client, CHAT_COMPLETION, { input: { prompt: 'feed me', threadId } }),
    );
    const deltaCount = completion.filter((e) => e.__typename === 'CompletionDelta').length;
    await server.gql('mutation($id: ID!) { renameThread(id: $id, title: "Renamed") { id } }', {
      id: threadId,
    });

    // USER added, ASSISTANT added, STREAMING, the deltas, COMPLETE, rename.
    const expected = 2 + 1 + deltaCount + 1 + 1;
    await feed.received(expected);
    const events = payloads(feed.results, 'contextThread');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (const event of events) expect(event.threadId).toBe(threadId);
    expect(events[0]).toMatchObject({
      __typename: 'ThreadMessageAdded',
      message: { role: 'USER', content: 'feed me' },
    });
    expect(events[1]).toMatchObject({
      __typename: 'ThreadMessageAdded',
      message: { role: 'ASSISTANT', status: 'PENDING' },
    });
    expect(events[2]).toMatchObject({ __typename: 'ThreadMessageUpdated', message: { status: 'STREAMING' } });
    const deltas = events.filter((e) => e.__typename === 'ThreadMessageDelta');
    const text = completion.filter((e) => e.__typename === 'CompletionDelta').map((e) => e.text);
    expect(deltas.map((d) => d.text)).toEqual(text);
    expect(deltas.every((d) => d.messageId === completion[0]?.messageId)).toBe(true);
    expect(events.at(-2)).toMatchObject({
      __typename: 'ThreadMessageUpdated',
      message: { status: 'COMPLETE', content: text.join('') },
    });
    expect(events.at(-1)).toMatchObject({ __typename: 'ThreadUpdated', thread: { title: 'Renamed' } });

    // Resume from any cursor: exactly the rest.
    for (const k of [1, 3, expected - 1]) {
      const resumed = new Subscriber<{ contextThread: FeedEvent }>(client, CONTEXT_THREAD, {
        id: threadId,
        after: events[k - 1]?.cursor,
      });
      await resumed.received(expected - k);
      expect(payloads(resumed.results, 'contextThread')).toEqual(events.slice(k));
      await resumed.stop();
    }

    // Deleting the thread ends the feed.
    await server.gql('mutation($id: ID!) { deleteThread(id: $id) }', { id: threadId });
    const final = payloads(await feed.done, 'contextThread');
    expect(final.at(-1)?.__typename).toBe('ThreadDeleted');
    const gone = await collect(client, CONTEXT_THREAD, { id: threadId });
    expect(gone[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('keeps its feed across a restart and resumes it exactly', async () => {
    server = await servers.start();
    const dir = server.dir;
    const threadId = await createThread(server, 'Durable');
    await collect(server.client(), CHAT_COMPLETION, { input: { prompt: 'before restart', threadId } });
    const before = payloads(await collectFeed(server, threadId, 'ThreadMessageUpdated', 2), 'contextThread');
    await server.close({ keepFiles: true });

    server = await servers.start({ dir });
    await collect(server.client(), CHAT_COMPLETION, { input: { prompt: 'after restart', threadId } });
    const last = before.at(-1) as FeedEvent;
    const resumed = new Subscriber<{ contextThread: FeedEvent }>(server.client(), CONTEXT_THREAD, {
      id: threadId,
      after: last.cursor,
    });
    await resumed.received(2);
    const after = payloads(resumed.results, 'contextThread');
    expect(after[0]).toMatchObject({
      seq: last.seq + 1,
      __typename: 'ThreadMessageAdded',
      message: { content: 'after restart' },
    });
    await resumed.stop();
  });

  it('answers NOT_FOUND for an unknown thread', async () => {
    server = await servers.start();
    const results = await collect(server.client(), CONTEXT_THREAD, { id: 'thr_nope' });
    expect(results[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

/** Reads a thread's feed from the start until the n-th event of a type, then leaves. */
async function collectFeed(s: TestServer, threadId: string, type: string, nth: number) {
  const subscriber = new Subscriber<{ contextThread: FeedEvent }>(s.client(), CONTEXT_THREAD, {
    id: threadId,
  });
  for (let n = 1; ; n++) {
    await subscriber.received(n);
    const count = subscriber.results.filter((r) => r.data?.contextThread.__typename === type).length;
    if (count >= nth) break;
  }
  await subscriber.stop();
  return subscriber.results;
}
