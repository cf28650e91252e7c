import { afterEach, describe, expect, it, vi } from 'vitest';
import { coalesceDeltas } from '../../src/edge/transforms/coalesce.js';
import { DeltaBatch } from '../../src/edge/transforms/delta-batch.js';
import { type Envelope, mergeDeltas } from '../../src/streams/envelope.js';
import {
  DELTA_TYPES,
  delta,
  event,
  finished,
  ManualScheduler,
  settle,
  TestSource,
  textOf,
  track,
} from './helpers.js';

function setup(coalesceMs = 50) {
  const scheduler = new ManualScheduler();
  const source = new TestSource();
  const coalesced = coalesceDeltas(source, { coalesceMs, deltaTypes: DELTA_TYPES, scheduler });
  return { scheduler, source, coalesced };
}

const resultOf = async (promise: Promise<IteratorResult<Envelope>>) => (await promise).value as Envelope;

describe('coalesceDeltas', () => {
  it('merges deltas arriving within the window into one (text joined, last seq and cursor)', async () => {
    const { scheduler, source, coalesced } = setup();
    source.push(delta(1, 'Hel'), delta(2, 'lo '));
    const next = track(coalesced.next());
    await scheduler.advance(10);
    source.push(delta(3, 'world'));
    await scheduler.advance(39);
    expect(next.settled).toBe(false);
    await scheduler.advance(1);
    const merged = await resultOf(next.promise);
    expect(textOf(merged)).toBe('Hello world');
    expect([merged.seq, merged.cursor]).toEqual([3, delta(3, '').cursor]);
    expect(merged.json).toBe(JSON.stringify(merged.data));
    expect(scheduler.pending).toBe(0);
  });

  it('counts the window from the first delta of a batch', async () => {
    const { scheduler, source, coalesced } = setup();
    source.push(delta(1, 'a'));
    const first = track(coalesced.next());
    await scheduler.advance(30);
    source.push(delta(2, 'b'));
    await scheduler.advance(20);
    expect(textOf(await resultOf(first.promise))).toBe('ab');
    source.push(delta(3, 'c'));
    const second = track(coalesced.next());
    await scheduler.advance(49);
    expect(second.settled).toBe(false);
    await scheduler.advance(1);
    expect(textOf(await resultOf(second.promise))).toBe('c');
  });

  it('delivers the pending batch before any other event, at once, keeping the order', async () => {
    const { scheduler, source, coalesced } = setup();
    const started = event(1, 'CompletionStarted', { messageId: 'msg_1' });
    source.push(started, delta(2, 'a'), delta(3, 'b'), event(4, 'CompletionUsage'), delta(5, 'c'));
    source.push(delta(6, 'x', 'msg_2'), finished(7));
    source.end();
    const out: Envelope[] = [];
    for await (const envelope of coalesced) out.push(envelope);
    expect(out.map((e) => [e.type, textOf(e), e.seq])).toEqual([
      ['CompletionStarted', '', 1],
      ['CompletionDelta', 'ab', 3],
      ['CompletionUsage', '', 4],
      ['CompletionDelta', 'c', 5],
      ['CompletionDelta', 'x', 6],
      ['CompletionFinished', '', 7],
    ]);
    expect(out[0]).toBe(started);
    expect(scheduler.pending).toBe(0);
  });

  it('starts a new batch with deltas read after the window closed while the consumer was away', async () => {
    const { scheduler, source, coalesced } = setup();
    source.push(delta(1, 'a', 'msg_1'), delta(2, 'b', 'msg_2'), delta(3, 'c', 'msg_2'));
    // msg_2's first delta ends msg_1's batch and opens its own window.
    expect(textOf(await resultOf(coalesced.next()))).toBe('a');
    await scheduler.advance(60);
    expect(textOf(await resultOf(coalesced.next()))).toBe('b');
    const last = track(coalesced.next());
    await scheduler.advance(50);
    expect(textOf(await resultOf(last.promise))).toBe('c');
  });

  it('delivers the pending batch when the source ends', async () => {
    const { scheduler, source, coalesced } = setup();
    source.push(delta(1, 'a'), delta(2, 'b'));
    const next = track(coalesced.next());
    await settle();
    source.end();
    expect(textOf(await resultOf(next.promise))).toBe('ab');
    expect(await coalesced.next()).toEqual({ value: undefined, done: true });
    expect(scheduler.pending).toBe(0);
  });

  it('detaches upstream and clears its timer on return(), even while waiting', async () => {
    const { scheduler, source, coalesced } = setup();
    source.push(delta(1, 'a'));
    const next = track(coalesced.next());
    await settle();
    expect(scheduler.pending).toBe(1);
    expect(source.isWaiting).toBe(true);
    await coalesced.return?.();
    expect(await next.promise).toEqual({ value: undefined, done: true });
    expect(source.returnCalls).toBe(1);
    expect(scheduler.pending).toBe(0);
  });

  it('delivers what it merged before an upstream error', async () => {
    const { scheduler, source, coalesced } = setup();
    source.push(delta(1, 'a'), delta(2, 'b'));
    source.fail(new Error('gone'));
    expect(textOf(await resultOf(coalesced.next()))).toBe('ab');
    await expect(coalesced.next()).rejects.toThrow('gone');
    expect(scheduler.pending).toBe(0);
  });

  describe('with the process clock (vitest fake timers)', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('merges within the window and leaves no timer behind', async () => {
      vi.useFakeTimers();
      const source = new TestSource();
      const coalesced = coalesceDeltas(source, { coalesceMs: 100, deltaTypes: DELTA_TYPES });
      source.push(delta(1, 'a'), delta(2, 'b'));
      const first = track(coalesced.next());
      await vi.advanceTimersByTimeAsync(99);
      expect(first.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(textOf(await resultOf(first.promise))).toBe('ab');
      source.push(delta(3, 'c'));
      const second = track(coalesced.next());
      await vi.advanceTimersByTimeAsync(10);
      expect(vi.getTimerCount()).toBe(1);
      await coalesced.return?.();
      expect(await second.promise).toEqual({ value: undefined, done: true });
      expect(vi.getTimerCount()).toBe(0);
      expect(source.returnCalls).toBe(1);
    });
  });

  it('merges a batch exactly like folding mergeDeltas, without touching the inputs', () => {
    const parts = [delta(1, 'a'), delta(2, 'b'), delta(3, 'c')];
    const before = structuredClone(parts);
    const batch = new DeltaBatch(parts[0] as Envelope);
    expect(batch.tryAdd(parts[1] as Envelope, DELTA_TYPES)).toBe(true);
    expect(batch.tryAdd(parts[2] as Envelope, DELTA_TYPES)).toBe(true);
    expect(batch.tryAdd(delta(4, 'x', 'msg_2'), DELTA_TYPES)).toBe(false);
    expect(batch.tryAdd(event(4, 'CompletionUsage'), DELTA_TYPES)).toBe(false);
    const folded = parts.slice(1).reduce((a, b) => mergeDeltas(a, b), parts[0] as Envelope);
    expect(batch.envelope()).toEqual(folded);
    expect(parts).toEqual(before);
    expect(new DeltaBatch(parts[0] as Envelope).envelope()).toBe(parts[0]);
  });
});
