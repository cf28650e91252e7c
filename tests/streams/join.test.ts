import { describe, expect, it } from 'vitest';
import { type Envelope, makeEnvelope } from '../../src/streams/envelope.js';
import { type JoinSource, joinStream } from '../../src/streams/join.js';

const DELTAS = new Set(['Delta']);

function event(seq: number, type = 'Delta'): Envelope {
  return makeEnvelope('s1', seq, new Date(0), type, { messageId: 'm', text: `t${seq}` });
}

/**
 * A stream whose record read is held open by the test, so live events can be produced exactly in the
 * window between attaching and the end of the backfill: the race the join must close.
 */
function controllableSource(opts: { committed: number; memoryFrom: number; lastSeq: number }) {
  const listeners = new Set<(e: Envelope) => void>();
  let readGate!: () => void;
  const gate = new Promise<void>((resolve) => {
    readGate = resolve;
  });
  let readCalled!: () => void;
  const called = new Promise<void>((resolve) => {
    readCalled = resolve;
  });
  const source: JoinSource = {
    streamId: 's1',
    deltaTypes: DELTAS,
    live: {
      attach(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      snapshot(after) {
        const events: Envelope[] = [];
        for (let seq = Math.max(after + 1, opts.memoryFrom); seq <= opts.lastSeq; seq++)
          events.push(event(seq));
        return { events, lastSeq: opts.lastSeq };
      },
    },
    async readCommitted(afterSeq, limit) {
      readCalled();
      await gate;
      const page: Envelope[] = [];
      for (let seq = afterSeq + 1; seq <= Math.min(opts.committed, afterSeq + limit); seq++)
        page.push(event(seq));
      return page;
    },
    isTerminal: (e) => e.type === 'End',
  };
  return {
    source,
    listeners,
    publish: (e: Envelope) => {
      for (const listener of listeners) listener(e);
    },
    readCalled: called,
    releaseRead: () => readGate(),
  };
}

async function drain(iterator: AsyncIterator<Envelope>): Promise<number[]> {
  const seqs: number[] = [];
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) return seqs;
    seqs.push(value.seq);
  }
}

describe('joinStream', () => {
  it('closes the replay→live race: events produced during the record read are neither lost nor repeated', async () => {
    // Committed 1..6, memory holds 5..8, live produces 9..12 while the backfill of 3..4 is still reading.
    const s = controllableSource({ committed: 6, memoryFrom: 5, lastSeq: 8 });
    const iterator = joinStream(s.source, 2);
    await s.readCalled;
    for (let seq = 9; seq <= 11; seq++) s.publish(event(seq));
    s.releaseRead();
    const result = drain(iterator);
    await Promise.resolve();
    s.publish(event(11)); // a duplicate delivery must be dropped
    s.publish(event(12, 'End'));
    expect(await result).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(s.listeners.size).toBe(0);
  });

  it.each([0, 1, 4, 7, 8])('resumes after %i with exactly the rest', async (after) => {
    const s = controllableSource({ committed: 4, memoryFrom: 3, lastSeq: 8 });
    s.releaseRead();
    const iterator = joinStream(s.source, after);
    const result = drain(iterator);
    await Promise.resolve();
    s.publish(event(9, 'End'));
    const expected = Array.from({ length: 9 - after }, (_, i) => after + 1 + i);
    expect(await result).toEqual(expected);
  });

  it('return() detaches at once, even while waiting for the next event', async () => {
    const s = controllableSource({ committed: 0, memoryFrom: 1, lastSeq: 0 });
    s.releaseRead();
    const iterator = joinStream(s.source, 0);
    const pending = iterator.next();
    expect(s.listeners.size).toBe(1);
    await iterator.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(s.listeners.size).toBe(0);
  });

  it('a replay of a finished stream ends after the record', async () => {
    const source: JoinSource = {
      streamId: 's1',
      deltaTypes: DELTAS,
      live: null,
      readCommitted: async (afterSeq, limit) => {
        const page: Envelope[] = [];
        for (let seq = afterSeq + 1; seq <= Math.min(1200, afterSeq + limit); seq++)
          page.push(event(seq, seq === 1200 ? 'End' : 'Delta'));
        return page;
      },
      isTerminal: (e) => e.type === 'End',
    };
    const seqs = await drain(joinStream(source, 10));
    expect(seqs).toHaveLength(1190);
    expect(seqs[0]).toBe(11);
    expect(seqs.at(-1)).toBe(1200);
  });

  it('merges text deltas while the consumer lags, and ends with SLOW_CONSUMER past the hard cap', async () => {
    const s = controllableSource({ committed: 0, memoryFrom: 1, lastSeq: 0 });
    s.releaseRead();
    const size = 100; // about what one small delta weighs in the backlog
    const iterator = joinStream(s.source, 0, { softBytes: size * 3, hardBytes: size * 40 });
    const first = iterator.next();
    s.publish(event(1));
    expect((await first).value?.seq).toBe(1);
    for (let seq = 2; seq <= 10; seq++) s.publish(event(seq));
    const taken: Envelope[] = [];
    while (taken.at(-1)?.seq !== 10) {
      const { value } = await iterator.next();
      if (value) taken.push(value);
    }
    // Nothing lost: the merged deltas carry every text, the last one's seq and cursor.
    const text = taken.map((e) => (e.data as { text: string }).text).join('');
    expect(text).toBe('t2t3t4t5t6t7t8t9t10');
    expect(taken.at(-1)?.seq).toBe(10);
    expect(taken.length).toBeLessThan(9);

    const big = makeEnvelope('s1', 11, new Date(0), 'Other', { blob: 'x'.repeat(size * 50) });
    s.publish(big);
    await expect(iterator.next()).rejects.toMatchObject({
      code: 'SLOW_CONSUMER',
      details: { cursor: 's1:10', retryable: true },
    });
    expect(s.listeners.size).toBe(0);
  });
});
