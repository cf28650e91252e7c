import { describe, expect, it } from 'vitest';
import type { StreamKind } from '../../src/streams/model.js';
import { collect, type TestServer } from '../support/server.js';
import { payloads, Subscriber } from '../support/subscriber.js';
import { useServers } from '../support/suite.js';

/**
 * A toy streamed resource, defined here in the test suite: a ticker that counts to `to`, one
 * `TickDelta` per step, held by a gate the test opens. Registering it is all it takes to get
 * recording, fan-out, resume, replay, transforms, cancel and restart recovery.
 */
function tickerKind(gate: Gate): StreamKind<{ to: number }> {
  return {
    name: 'test.ticker',
    deltaTypes: new Set(['TickDelta']),
    ending: (type, data) =>
      type === 'TickDone'
        ? { status: 'COMPLETE', error: null }
        : type === 'TickFailed'
          ? {
              status: (data as { status: 'CANCELLED' | 'INTERRUPTED' | 'FAILED' }).status,
              error: (data as { error: never }).error,
            }
          : null,
    async start(input) {
      if (!Number.isInteger(input.to) || input.to < 1) throw new Error('to must be a positive integer');
      return {
        resourceId: `ticker-${input.to}`,
        async *events(signal) {
          yield { type: 'TickStarted', data: { to: input.to } };
          for (let i = 1; i <= input.to; i++) {
            await gate.pass(signal);
            if (signal.aborted) return;
            yield { type: 'TickDelta', data: { messageId: 'ticker', text: `${i};` } };
          }
          yield { type: 'TickDone', data: { count: input.to } };
        },
      };
    },
    failureEvent: (_stream, failure) => ({
      type: 'TickFailed',
      data: {
        status: failure.code === 'CANCELLED' || failure.code === 'INTERRUPTED' ? failure.code : 'FAILED',
        error: failure,
      },
    }),
    recover: async (_stream, recorded) => {
      let ticks = 0;
      for await (const event of recorded()) if (event.type === 'TickDelta') ticks++;
      return {
        type: 'TickFailed',
        data: {
          status: 'INTERRUPTED',
          error: { code: 'INTERRUPTED', message: `stopped after ${ticks} ticks`, retryable: true },
        },
      };
    },
  };
}

/** Permits handed out by the test; a waiting producer also wakes up when its stream is cancelled. */
class Gate {
  private permits = 0;
  private waiting: (() => void)[] = [];
  release(n: number): void {
    this.permits += n;
    for (const wake of this.waiting.splice(0)) wake();
  }
  async pass(signal: AbortSignal): Promise<void> {
    while (this.permits === 0 && !signal.aborted) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    if (!signal.aborted) this.permits--;
  }
}

const STREAM = `subscription($id: ID!, $after: String, $transform: StreamTransformInput) {
  stream(id: $id, after: $after, transform: $transform) { seq cursor type data }
}`;
interface Chunk {
  seq: number;
  cursor: string;
  type: string;
  data: { text?: string; count?: number; to?: number; status?: string };
}

const servers = useServers();
let server: TestServer;

describe('a new streamed resource, registered from outside the application', () => {
  it('is recorded, fanned out, resumable, replayable and transformable through stream(id)', async () => {
    server = await servers.start();
    const gate = new Gate();
    const engine = server.server.app.engine;
    engine.registerKind(tickerKind(gate));
    const info = await engine.start('test.ticker', { to: 12 });
    expect(info).toMatchObject({ kind: 'test.ticker', status: 'LIVE', resourceId: 'ticker-12' });

    const client = server.client();
    const early = new Subscriber<{ stream: Chunk }>(client, STREAM, { id: info.id });
    gate.release(4);
    await early.received(5);
    const filtered = new Subscriber<{ stream: Chunk }>(client, STREAM, {
      id: info.id,
      transform: { types: ['TickStarted'] },
    });
    gate.release(8);
    const all = payloads(await early.done, 'stream');
    expect(all.map((c) => c.type)).toEqual(['TickStarted', ...Array(12).fill('TickDelta'), 'TickDone']);
    expect(all.map((c) => c.seq)).toEqual(all.map((_, i) => i + 1));
    // Terminal events always pass the type filter.
    expect(payloads(await filtered.done, 'stream').map((c) => c.type)).toEqual(['TickStarted', 'TickDone']);

    const rest = payloads(await collect(client, STREAM, { id: info.id, after: all[6]?.cursor }), 'stream');
    expect(rest).toEqual(all.slice(7));
    const stored = await server.gql<{ stream: { status: string; chunkCount: number; kind: string } }>(
      'query($id: ID!) { stream(id: $id) { status chunkCount kind } }',
      { id: info.id },
    );
    expect(stored.data?.stream).toEqual({ status: 'COMPLETE', chunkCount: 14, kind: 'test.ticker' });
    const listed = await server.gql<{ streams: { id: string }[] }>('{ streams(kind: "test.ticker") { id } }');
    expect(listed.data?.streams.map((s) => s.id)).toEqual([info.id]);
  });

  it('can be cancelled with cancelStream, and is closed as INTERRUPTED by a restart', async () => {
    server = await servers.start();
    const gate = new Gate();
    server.server.app.engine.registerKind(tickerKind(gate));
    const cancelled = await server.server.app.engine.start('test.ticker', { to: 50 });
    gate.release(3);
    const sub = new Subscriber<{ stream: Chunk }>(server.client(), STREAM, { id: cancelled.id });
    await sub.received(4);
    const result = await server.gql<{ cancelStream: { status: string } }>(
      'mutation($id: ID!) { cancelStream(id: $id) { status } }',
      {
        id: cancelled.id,
      },
    );
    expect(result.data?.cancelStream.status).toBe('CANCELLED');
    expect(payloads(await sub.done, 'stream').at(-1)).toMatchObject({
      type: 'TickFailed',
      data: { status: 'CANCELLED' },
    });

    const interrupted = await server.server.app.engine.start('test.ticker', { to: 50 });
    gate.release(2);
    await new Subscriber<{ stream: Chunk }>(server.client(), STREAM, { id: interrupted.id }).received(3);
    const dir = server.dir;
    await server.close({ keepFiles: true });
    server = await servers.start({ dir });
    server.server.app.engine.registerKind(tickerKind(new Gate()));
    const replay = payloads(await collect(server.client(), STREAM, { id: interrupted.id }), 'stream');
    expect(replay.at(-1)).toMatchObject({ type: 'TickFailed', data: { status: 'INTERRUPTED' } });
  });
});
