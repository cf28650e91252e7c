import { describe, expect, it } from 'vitest';
import { filterTypes } from '../../src/edge/transforms/type-filter.js';
import { collect, delta, event, finished, fromArray, isTerminal, settle, TestSource } from './helpers.js';

describe('filterTypes', () => {
  it('keeps only the listed types, in order, and always the terminal event', async () => {
    const source = [
      event(1, 'CompletionStarted', { messageId: 'msg_1' }),
      delta(2, 'Hel'),
      delta(3, 'lo'),
      event(4, 'CompletionUsage', {}),
      finished(5, 'Hello'),
    ];
    const out = await collect(filterTypes(fromArray(source), ['CompletionDelta'], isTerminal));
    expect(out.map((e) => e.seq)).toEqual([2, 3, 5]);
    // Passed through untouched: the same objects.
    expect(out[0]).toBe(source[1]);
  });

  it('keeps a failed terminal even when no type matches', async () => {
    const failed = event(2, 'CompletionFailed', { error: { code: 'X' } });
    const out = await collect(filterTypes(fromArray([delta(1, 'a'), failed]), ['Nothing'], isTerminal));
    expect(out).toEqual([failed]);
  });

  it('detaches from upstream at once on return(), even while waiting for it', async () => {
    const source = new TestSource();
    const filtered = filterTypes(source, ['CompletionDelta'], isTerminal);
    source.push(event(1, 'Other'));
    const pending = filtered.next();
    await settle();
    expect(source.isWaiting).toBe(true);
    await filtered.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(source.returnCalls).toBe(1);
    expect(await filtered.next()).toEqual({ value: undefined, done: true });
  });

  it('passes upstream errors on', async () => {
    const source = new TestSource();
    const filtered = filterTypes(source, ['CompletionDelta'], isTerminal);
    source.push(delta(1, 'a'));
    source.fail(new Error('boom'));
    expect((await filtered.next()).value?.seq).toBe(1);
    await expect(filtered.next()).rejects.toThrow('boom');
    expect(await filtered.next()).toEqual({ value: undefined, done: true });
  });
});
