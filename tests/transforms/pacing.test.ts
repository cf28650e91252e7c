import { describe, expect, it } from 'vitest';
import { MAX_PACED_QUEUE, paceEvents } from '../../src/edge/transforms/pacing.js';
import type { Envelope } from '../../src/streams/envelope.js';
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

function setup(maxEventsPerSecond = 10) {
  const scheduler = new ManualScheduler();
  const source = new TestSource();
  const paced = paceEvents(source, { maxEventsPerSecond, deltaTypes: DELTA_TYPES, scheduler });
  return { scheduler, source, paced };
}

/** Reads everything, advancing time in steps; records when each event came out. */
async function drain(paced: AsyncIterableIterator<Envelope>, scheduler: ManualScheduler, step = 10) {
  const out: { at: number; envelope: Envelope }[] = [];
  for (;;) {
    const next = track(paced.next());
    await settle();
    while (!next.settled) await scheduler.advance(step);
    const result = await next.promise;
    if (result.done) return out;
    out.push({ at: scheduler.now(), envelope: result.value });
  }
}

describe('paceEvents', () => {
  it('delivers at most the rate, merging deltas held back meanwhile', async () => {
    const { scheduler, source, paced } = setup(10);
    source.push(delta(1, 'a'), delta(2, 'b'), delta(3, 'c'), delta(4, 'd'));
    const first = await paced.next();
    expect(textOf(first.value as Envelope)).toBe('a');
    const second = track(paced.next());
    await scheduler.advance(99);
    expect(second.settled).toBe(false);
    await scheduler.advance(1);
    const merged = (await second.promise).value as Envelope;
    expect([textOf(merged), merged.seq, merged.cursor]).toEqual(['bcd', 4, delta(4, '').cursor]);
    expect(scheduler.now()).toBe(100);
  });

  it('never drops, merges or reorders other events; the terminal comes last', async () => {
    const { scheduler, source, paced } = setup(4);
    const input = [
      event(1, 'CompletionStarted', { messageId: 'msg_1' }),
      delta(2, 'a'),
      delta(3, 'b'),
      event(4, 'CompletionUsage'),
      event(5, 'CompletionUsage'),
      delta(6, 'c'),
      delta(7, 'x', 'msg_2'),
      delta(8, 'd'),
      delta(9, 'e'),
      finished(10),
    ];
    source.push(...input);
    source.end();
    const out = await drain(paced, scheduler);
    expect(out.map(({ envelope: e }) => [e.type, textOf(e), e.seq])).toEqual([
      ['CompletionStarted', '', 1],
      ['CompletionDelta', 'ab', 3],
      ['CompletionUsage', '', 4],
      ['CompletionUsage', '', 5],
      ['CompletionDelta', 'c', 6],
      ['CompletionDelta', 'x', 7],
      ['CompletionDelta', 'de', 9],
      ['CompletionFinished', '', 10],
    ]);
    // Non-delta events are the very same objects.
    expect(out[2]?.envelope).toBe(input[3]);
    // At most 4 per second: consecutive deliveries at least 250 ms apart.
    for (let i = 1; i < out.length; i++) {
      expect((out[i]?.at ?? 0) - (out[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(250);
    }
    expect(scheduler.pending).toBe(0);
  });

  it('delivers at once when the consumer is slower than the rate', async () => {
    const { scheduler, source, paced } = setup(10);
    source.push(delta(1, 'a'), event(2, 'CompletionUsage'));
    await paced.next();
    await scheduler.advance(500);
    const next = track(paced.next());
    await settle();
    expect(next.settled).toBe(true);
  });

  it('stops reading ahead once its queue of unmergeable events is full', async () => {
    const { scheduler, source, paced } = setup(1);
    for (let seq = 1; seq <= MAX_PACED_QUEUE + 20; seq++) source.push(event(seq, 'CompletionUsage'));
    await paced.next();
    const next = track(paced.next());
    await scheduler.advance(500);
    expect(next.settled).toBe(false);
    expect(source.pulls).toBeLessThanOrEqual(MAX_PACED_QUEUE + 2);
    await paced.return?.();
  });

  it('detaches upstream and clears its timer on return(), even while waiting for a slot', async () => {
    const { scheduler, source, paced } = setup(1);
    source.push(delta(1, 'a'), delta(2, 'b'));
    await paced.next();
    const next = track(paced.next());
    await scheduler.advance(10);
    expect(scheduler.pending).toBe(1);
    await paced.return?.();
    expect(await next.promise).toEqual({ value: undefined, done: true });
    expect(source.returnCalls).toBe(1);
    expect(scheduler.pending).toBe(0);
  });

  it('delivers what it read, in its turn, before an upstream error', async () => {
    const { scheduler, source, paced } = setup(10);
    source.push(delta(1, 'a'), event(2, 'CompletionUsage'));
    source.fail(new Error('gone'));
    const out = [(await paced.next()).value as Envelope];
    const second = track(paced.next());
    while (!second.settled) await scheduler.advance(10);
    out.push((await second.promise).value as Envelope);
    expect(out.map((e) => e.seq)).toEqual([1, 2]);
    const third = track(paced.next());
    while (!third.settled) await scheduler.advance(10);
    await expect(third.promise).rejects.toThrow('gone');
    expect(scheduler.pending).toBe(0);
  });
});
