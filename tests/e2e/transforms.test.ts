import { describe, expect, it } from 'vitest';
import { redactorFor } from '../../src/edge/transforms/redaction.js';
import { transformText } from '../../src/edge/transforms/text-step.js';
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

const SECRET_TEXT =
  '## Contact\nWrite to **jane.doe@example.com** or call +1 (415) 555-0199; the key is sk-ant-api03-AbCdEf0123456789XyZ and `done`.';
const SECRETS = ['jane.doe@example.com', '555-0199', 'sk-ant-api03-AbCdEf0123456789XyZ'];
const REDACT = ['EMAIL', 'PHONE', 'API_KEY'] as const;

/** Splits text into deltas of 1–3 characters (deterministic). */
function tinyDeltas(text: string): string[] {
  const out: string[] = [];
  for (let i = 0, n = 0; i < text.length; n++) {
    const size = (n % 3) + 1;
    out.push(text.slice(i, i + size));
    i += size;
  }
  return out;
}

const deltasOf = (events: CompletionEventData[]) => events.filter((e) => e.__typename === 'CompletionDelta');
const textOf = (events: CompletionEventData[]) =>
  deltasOf(events)
    .map((e) => e.text)
    .join('');

/** Starts a completion streaming `deltas`, subscribes with `transform`, releases the gate, collects. */
async function run(s: TestServer, deltas: string[], transform: object) {
  fake.enqueue({ kind: 'stream', deltas });
  const streamId = await startCompletion(s, { prompt: 'transform me' });
  const subscriber = new Subscriber<{ chatCompletion: CompletionEventData }>(s.client(), CHAT_COMPLETION, {
    input: { streamId, transform },
  });
  await subscriber.received(1);
  fake.openGate();
  return { streamId, events: payloads(await subscriber.done, 'chatCompletion') };
}

describe.each(['on', 'off'])('transforms at the edge (SHARED_FANOUT=%s)', (sharedFanout) => {
  const start = () => servers.withFake(fake, { env: { SHARED_FANOUT: sharedFanout } });

  it('redacts and strips markdown across 1–3 character deltas, leaking no fragment; storage keeps the raw text', async () => {
    server = await start();
    const { streamId, events } = await run(server, tinyDeltas(SECRET_TEXT), {
      redact: REDACT,
      format: 'PLAIN',
    });
    const expected = transformText(SECRET_TEXT, { redactor: redactorFor([...REDACT]), plain: true });
    expect(textOf(events)).toBe(expected);
    expect(expected).toContain('[REDACTED:EMAIL]');
    expect(expected).toContain('[REDACTED:API_KEY]');
    expect(expected).not.toContain('**');
    for (const delta of deltasOf(events)) {
      for (const secret of SECRETS) {
        for (let i = 0; i + 3 <= secret.length; i++) {
          const fragment = secret.slice(i, i + 3);
          if (expected.includes(fragment)) continue; // ordinary text the redacted output also has
          expect(delta.text, `fragment ${fragment}`).not.toContain(fragment);
        }
      }
    }
    const finished = events.at(-1) as CompletionEventData;
    expect(finished.__typename).toBe('CompletionFinished');
    expect(finished.message?.content).toBe(expected);

    // What is recorded is untouched: a subscriber without transform gets the raw text.
    const raw = completionEvents(await collect(server.client(), CHAT_COMPLETION, { input: { streamId } }));
    expect(textOf(raw)).toBe(SECRET_TEXT);
  });

  it('resumes a redacted stream from any cursor it emitted with exactly the rest', async () => {
    server = await start();
    const transform = { redact: REDACT, format: 'PLAIN' };
    const { streamId, events } = await run(server, tinyDeltas(SECRET_TEXT), transform);
    const full = textOf(events);
    const cursors = events.map((e) => e.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    for (let k = 1; k < events.length; k += 3) {
      const rest = completionEvents(
        await collect(server.client(), CHAT_COMPLETION, {
          input: { streamId, after: events[k - 1]?.cursor, transform },
        }),
      );
      expect(textOf(events.slice(0, k)) + textOf(rest)).toBe(full);
      expect(rest.at(-1)?.__typename).toBe('CompletionFinished');
    }
  });

  it('coalesces and paces deltas without losing text; filters types but always delivers the terminal', async () => {
    server = await start();
    const words = Array.from({ length: 60 }, (_, i) => `w${i} `);
    const coalesced = await run(server, words, { coalesceMs: 40 });
    expect(textOf(coalesced.events)).toBe(words.join(''));
    expect(deltasOf(coalesced.events).length).toBeLessThan(words.length);
    expect(coalesced.events.at(-1)?.__typename).toBe('CompletionFinished');

    const paced = await run(server, words, { maxEventsPerSecond: 50 });
    expect(textOf(paced.events)).toBe(words.join(''));
    expect(paced.events.at(-1)?.__typename).toBe('CompletionFinished');

    const filtered = await run(server, words, { types: ['CompletionStarted'] });
    expect(filtered.events.map((e) => e.__typename)).toEqual(['CompletionStarted', 'CompletionFinished']);
  });

  it('rejects a bad transform with INVALID_INPUT before starting anything', async () => {
    server = await start();
    const results = await collect(server.client(), CHAT_COMPLETION, {
      input: { prompt: 'x', transform: { coalesceMs: -5 } },
    });
    expect(results[0]?.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('transforms and the shared fan-out', () => {
  it('groups subscribers by transform: same transform shares one execution, another transform gets its own', async () => {
    server = await servers.withFake(fake);
    fake.enqueue({ kind: 'stream', deltas: tinyDeltas(SECRET_TEXT) });
    const streamId = await startCompletion(server, { prompt: 'groups' });
    const transform = { redact: ['EMAIL'] };
    const subscribe = (input: object) =>
      new Subscriber<{ chatCompletion: CompletionEventData }>(
        server?.client() as ReturnType<TestServer['client']>,
        CHAT_COMPLETION,
        {
          input,
        },
      );
    const subscribers = [
      subscribe({ streamId, transform }),
      subscribe({ streamId, transform }),
      subscribe({ streamId, transform }),
      subscribe({ streamId }),
    ];
    await Promise.all(subscribers.map((s) => s.received(1)));
    expect(server.server.fanout?.groupCount).toBe(2);
    expect(server.server.fanout?.memberCount).toBe(4);
    fake.openGate();
    const [a, b, c, raw] = await Promise.all(
      subscribers.map(async (s) => payloads(await s.done, 'chatCompletion')),
    );
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(textOf(a as CompletionEventData[])).not.toContain('jane.doe@example.com');
    expect(textOf(raw as CompletionEventData[])).toBe(SECRET_TEXT);
  });
});
