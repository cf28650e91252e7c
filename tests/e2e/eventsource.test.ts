import type { Socket } from 'node:net';
import { EventSource } from 'eventsource';
import { describe, expect, it } from 'vitest';
import { words } from '../support/fake-anthropic.js';
import type { TestServer } from '../support/server.js';
import { useFakeAnthropic, useServers } from '../support/suite.js';

const fake = useFakeAnthropic({ gated: true });
const servers = useServers();
let server: TestServer;

const QUERY = `subscription($input: ChatCompletionInput!) {
  chatCompletion(input: $input) { __typename seq cursor ... on CompletionDelta { text } }
}`;

interface Received {
  id: string;
  event: { __typename: string; seq: number; cursor: string; text?: string };
}

describe.each(['on', 'off'])(
  'Yoga built-in SSE for a browser EventSource (SHARED_FANOUT=%s)',
  (sharedFanout) => {
    it('carries id: <cursor> and resumes after a dropped connection through Last-Event-ID', async () => {
      server = await servers.withFake(fake, { env: { SHARED_FANOUT: sharedFanout } });
      const sockets = new Set<Socket>();
      server.server.http.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      const text = 'an event source reconnects by itself and the server resumes it after the last event id';
      fake.enqueue({ kind: 'stream', deltas: words(text) });

      const url = `${server.url}?query=${encodeURIComponent(QUERY)}&variables=${encodeURIComponent(
        JSON.stringify({ input: { prompt: 'event source' } }),
      )}`;
      const lastEventIds: (string | null)[] = [];
      const source = new EventSource(url, {
        fetch: (input, init) => {
          lastEventIds.push(new Headers(init?.headers).get('last-event-id'));
          return fetch(input, init);
        },
      });
      const received: Received[] = [];
      let dropAfter: (() => void) | undefined;
      const completed = new Promise<void>((resolve, reject) => {
        source.addEventListener('next', (message) => {
          received.push({ id: message.lastEventId, event: JSON.parse(message.data).data.chatCompletion });
          if (received.length === 4) dropAfter?.();
        });
        source.addEventListener('complete', () => {
          source.close();
          resolve();
        });
        source.addEventListener('error', () => {
          if (source.readyState === EventSource.CLOSED) reject(new Error('event source closed'));
        });
      });
      const fourth = new Promise<void>((resolve) => {
        dropAfter = resolve;
      });
      await fake.waitForRequest(1);
      fake.release(3);
      await fourth;
      // The network drops: the EventSource reconnects on its own, sending the last id it saw.
      for (const socket of sockets) socket.destroy();
      fake.openGate();
      await completed;

      expect(lastEventIds[0]).toBeNull();
      expect(lastEventIds.length).toBeGreaterThanOrEqual(2);
      expect(lastEventIds[1]).toBe(received[3]?.id);
      const seqs = received.map((r) => r.event.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      for (const r of received) expect(r.id).toBe(r.event.cursor);
      expect(
        received
          .filter((r) => r.event.__typename === 'CompletionDelta')
          .map((r) => r.event.text)
          .join(''),
      ).toBe(text);
      expect(received.at(-1)?.event.__typename).toBe('CompletionFinished');
      expect(fake.requests).toHaveLength(1);
    });

    it('sends keep-alive comments on an idle stream', async () => {
      server = await servers.withFake(fake, { env: { SHARED_FANOUT: sharedFanout } });
      fake.enqueue({ kind: 'stream', deltas: ['never released'] });
      const controller = new AbortController();
      const response = await fetch(`${server.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: QUERY, variables: { input: { prompt: 'idle' } } }),
        signal: controller.signal,
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let body = '';
      // The stream is gated: after the first event nothing comes but comments (every 300 ms under test).
      while ((body.match(/^:$/gm) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        body += decoder.decode(value);
      }
      expect((body.match(/^:$/gm) ?? []).length).toBeGreaterThanOrEqual(3);
      controller.abort();
    });
  },
);
