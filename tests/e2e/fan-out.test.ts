import { describe, expect, it } from 'vitest';
import type { InProcessStreamBus } from '../../src/streams/bus.js';
import { getStream, startCompletion } from '../support/anthropic-server.js';
import { words } from '../support/fake-anthropic.js';
import { CHAT_COMPLETION, type CompletionEventData, type TestServer } from '../support/server.js';
import { payloads, Subscriber } from '../support/subscriber.js';
import { useFakeAnthropic, useServers } from '../support/suite.js';

const fake = useFakeAnthropic({ gated: true });
const servers = useServers();
let server: TestServer;

const TEXT =
  'one generation fans out to every subscriber that joins, early or late, and each sees the same events';

describe.each(['on', 'off'])(
  'fan-out: one generation, many subscribers (SHARED_FANOUT=%s)',
  (sharedFanout) => {
    const start = () => servers.withFake(fake, { env: { SHARED_FANOUT: sharedFanout } });

    it('24 subscribers joining at different times see identical sequences from one provider call', async () => {
      server = await start();
      const client = server.client();
      fake.enqueue({ kind: 'stream', deltas: words(TEXT) });
      const streamId = await startCompletion(server, { prompt: 'fan out' });
      await fake.waitForRequest(1);

      const subscribers: Subscriber<{ chatCompletion: CompletionEventData }>[] = [];
      for (let i = 0; i < 24; i++) {
        const subscriber = new Subscriber<{ chatCompletion: CompletionEventData }>(client, CHAT_COMPLETION, {
          input: { streamId },
        });
        subscribers.push(subscriber);
        if (i % 4 === 3) {
          // Let the stream move on before the next group joins: 1 Started + 2 more deltas per group.
          fake.release(2);
          await subscriber.received(1 + ((i + 1) / 4) * 2);
        }
      }
      const live = await getStream(server, streamId);
      expect(live.status).toBe('LIVE');
      expect(live.subscriberCount).toBe(24);
      if (sharedFanout === 'on') {
        // One group: each event is executed and framed once for the 24 sockets.
        expect(server.server.fanout?.groupCount).toBe(1);
        expect(server.server.fanout?.memberCount).toBe(24);
      }

      fake.openGate();
      const all = await Promise.all(subscribers.map((s) => s.done));
      const sequences = all.map((results) => payloads(results, 'chatCompletion'));
      const first = sequences[0] ?? [];
      expect(first.map((e) => e.seq)).toEqual(first.map((_, i) => i + 1));
      expect(first.at(-1)?.__typename).toBe('CompletionFinished');
      expect(
        first
          .filter((e) => e.__typename === 'CompletionDelta')
          .map((e) => e.text)
          .join(''),
      ).toBe(TEXT);
      for (const sequence of sequences) expect(sequence).toEqual(first);
      expect(fake.requests).toHaveLength(1);

      const finished = await getStream(server, streamId);
      expect(finished.status).toBe('COMPLETE');
      expect(finished.subscriberCount).toBe(0);
      expect(finished.stats.peakSubscribers).toBe(24);
      const bus = server.server.app.engine.bus as InProcessStreamBus;
      expect(bus.activeStreams).toBe(0);
      expect(server.server.app.engine.openJoins).toBe(0);
      expect(server.server.fanout?.groupCount ?? 0).toBe(0);
    });

    it('a subscriber that leaves never stops the generation, and listeners return to zero', async () => {
      server = await start();
      const client = server.client();
      fake.enqueue({ kind: 'stream', deltas: words(TEXT) });
      const leaver = new Subscriber<{ chatCompletion: CompletionEventData }>(client, CHAT_COMPLETION, {
        input: { prompt: 'leave early' },
      });
      await fake.waitForRequest(1);
      fake.release(3);
      await leaver.received(4);
      const streamId = leaver.results[0]?.data?.chatCompletion.streamId as string;
      await leaver.stop();
      const engine = server.server.app.engine;
      await expect.poll(() => engine.subscriberCount(streamId)).toBe(0);
      expect((engine.bus as InProcessStreamBus).activeStreams).toBe(0);
      expect(engine.openJoins).toBe(0);
      expect(server.server.fanout?.groupCount ?? 0).toBe(0);
      expect((await getStream(server, streamId)).status).toBe('LIVE');

      fake.openGate();
      const outcome = await fake.requests[0]?.outcome;
      expect(outcome).toBe('completed');
      await expect
        .poll(async () => (await getStream(server as TestServer, streamId)).status)
        .toBe('COMPLETE');
      const replay = payloads(
        await new Subscriber<{ chatCompletion: CompletionEventData }>(client, CHAT_COMPLETION, {
          input: { streamId },
        }).done,
        'chatCompletion',
      );
      expect(replay.at(-1)?.__typename).toBe('CompletionFinished');
      expect(replay.slice(0, 4)).toEqual(payloads(leaver.results, 'chatCompletion'));
    });
  },
);
