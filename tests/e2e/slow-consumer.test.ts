import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startCompletion } from '../support/anthropic-server.js';
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

// Enough text to fill loopback socket buffers many times over, so the server sees the slow reader.
const DELTAS = Array.from({ length: 2000 }, (_, i) => `${String(i).padStart(5, '0')}${'x'.repeat(4995)}`);
const TEXT = DELTAS.join('');

/** A client that sends the subscription, then stops reading until told to, and keeps the raw bytes. */
function slowReader(url: string, body: string) {
  let resume!: () => void;
  const resumed = new Promise<void>((resolve) => {
    resume = resolve;
  });
  const done = new Promise<string>((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } },
      (res) => {
        res.pause();
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          raw += chunk;
        });
        res.on('end', () => resolve(raw));
        res.on('error', reject);
        void resumed.then(() => res.resume());
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  return { resume, done };
}

describe.each(['on', 'off'])('slow-client policy (SHARED_FANOUT=%s)', (sharedFanout) => {
  it('merges while a client lags, cuts it off past the cap with a resumable SLOW_CONSUMER, and spares the others', async () => {
    server = await servers.withFake(fake, {
      env: { SHARED_FANOUT: sharedFanout, SLOW_CONSUMER_MAX_BYTES: '262144' },
    });
    // Paced so a reading client keeps up, while one that does not read falls behind for good.
    fake.enqueue({ kind: 'stream', deltas: DELTAS, delayMs: 1 });
    const streamId = await startCompletion(server, { prompt: 'flood' });
    const slow = slowReader(
      server.streamUrl,
      JSON.stringify({ query: CHAT_COMPLETION, variables: { input: { streamId } } }),
    );
    const fast = new Subscriber<{ chatCompletion: CompletionEventData }>(server.client(), CHAT_COMPLETION, {
      input: { streamId },
    });
    await fast.received(1);
    fake.openGate();

    const fastEvents = payloads(await fast.done, 'chatCompletion');
    expect(fastEvents.at(-1)?.__typename).toBe('CompletionFinished');
    expect(
      fastEvents
        .filter((e) => e.__typename === 'CompletionDelta')
        .map((e) => e.text)
        .join(''),
    ).toBe(TEXT);

    slow.resume();
    const frames = (await slow.done)
      .split('\n\n')
      .filter((frame) => frame.includes('event: next'))
      .map(
        (frame) =>
          JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as {
            data: { chatCompletion: CompletionEventData } | null;
            errors?: { extensions: { code: string; cursor: string; retryable: boolean } }[];
          },
      );
    const last = frames.at(-1);
    expect(last?.errors?.[0]?.extensions).toMatchObject({ code: 'SLOW_CONSUMER', retryable: true });
    const received = frames.slice(0, -1).map((f) => f.data?.chatCompletion as CompletionEventData);
    const cursor = last?.errors?.[0]?.extensions.cursor as string;
    expect(cursor).toBe(received.at(-1)?.cursor);
    // Lossless: whatever was merged, the text so far is an exact prefix, in order.
    const seqs = received.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const textSoFar = received
      .filter((e) => e.__typename === 'CompletionDelta')
      .map((e) => e.text)
      .join('');
    expect(TEXT.startsWith(textSoFar)).toBe(true);
    expect(textSoFar.length).toBeLessThan(TEXT.length);

    // Resuming from the cursor gives exactly the rest.
    const rest = completionEvents(
      await collect(server.client(), CHAT_COMPLETION, { input: { streamId, after: cursor } }),
    );
    const restText = rest
      .filter((e) => e.__typename === 'CompletionDelta')
      .map((e) => e.text)
      .join('');
    expect(textSoFar + restText).toBe(TEXT);
    expect(rest.at(-1)?.__typename).toBe('CompletionFinished');
  });

  it('a client that lags and then catches up gets the text it missed merged into fewer deltas, losslessly', async () => {
    server = await servers.withFake(fake, {
      env: { SHARED_FANOUT: sharedFanout, SLOW_CONSUMER_MAX_BYTES: '67108864' },
    });
    fake.enqueue({ kind: 'stream', deltas: DELTAS, delayMs: 1 });
    const streamId = await startCompletion(server, { prompt: 'lag then catch up' });
    const lagging = slowReader(
      server.url,
      JSON.stringify({ query: CHAT_COMPLETION, variables: { input: { streamId } } }),
    );
    const fast = new Subscriber<{ chatCompletion: CompletionEventData }>(server.client(), CHAT_COMPLETION, {
      input: { streamId },
    });
    await fast.received(1);
    fake.openGate();
    await fast.done;
    lagging.resume();
    const received = (await lagging.done)
      .split('\n\n')
      .filter((frame) => frame.includes('event: next'))
      .map(
        (frame) =>
          (
            JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as {
              data: { chatCompletion: CompletionEventData };
            }
          ).data.chatCompletion,
      );
    const deltas = received.filter((e) => e.__typename === 'CompletionDelta');
    expect(deltas.map((e) => e.text).join('')).toBe(TEXT);
    expect(deltas.length).toBeLessThan(DELTAS.length);
    expect(received.at(-1)?.__typename).toBe('CompletionFinished');
    const seqs = received.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
