import { describe, expect, it } from 'vitest';
import { applyTransforms } from '../../src/edge/transforms/pipeline.js';
import type { TransformSpec } from '../../src/edge/transforms/spec.js';
import type { Envelope } from '../../src/streams/envelope.js';
import {
  collect,
  contentOf,
  DELTA_TYPES,
  delta,
  deltas,
  event,
  finished,
  fromArray,
  isTerminal,
  joinText,
  ManualScheduler,
  settle,
  TestSource,
  textOf,
  track,
} from './helpers.js';

const FULL: TransformSpec = {
  types: ['CompletionDelta', 'CompletionStarted'],
  redact: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'API_KEY'],
  format: 'PLAIN',
  coalesceMs: 50,
  maxEventsPerSecond: 5,
};

describe('applyTransforms', () => {
  it('returns the source iterator itself for a null spec', async () => {
    const source = new TestSource();
    expect(applyTransforms(source, null, { deltaTypes: DELTA_TYPES, isTerminal })).toBe(source);
    const generator = fromArray([delta(1, 'a')]);
    expect(applyTransforms(generator, null, { deltaTypes: DELTA_TYPES, isTerminal })).toBe(generator);
  });

  it('passes events untouched with only a type filter', async () => {
    const input = [delta(1, 'a'), event(2, 'CompletionUsage'), finished(3)];
    const out = await collect(
      applyTransforms(
        fromArray(input),
        { types: ['CompletionDelta'] },
        { deltaTypes: DELTA_TYPES, isTerminal },
      ),
    );
    expect(out).toEqual([input[0], input[2]]);
    expect(out[0]).toBe(input[0]);
  });

  it('composes filter → redaction → format → coalesce → pacing', async () => {
    const scheduler = new ManualScheduler();
    const source = new TestSource();
    const out: Envelope[] = [];
    const chain = applyTransforms(source, FULL, {
      deltaTypes: DELTA_TYPES,
      isTerminal,
      scheduler,
      resume: { seq: 0, offset: 0 },
    });
    source.push(
      event(1, 'CompletionStarted', { messageId: 'msg_1', message: { id: 'msg_1', content: '' } }),
      delta(2, '**Mail** bob@ex'),
      // Filtered out before redaction, so it does not end the text run in the middle of the address.
      event(3, 'CompletionUsage', { outputTokens: 3 }),
      delta(4, 'ample.com or '),
      delta(5, 'call 555-0199.'),
      finished(6, '**Mail** bob@example.com or call 555-0199.'),
    );
    source.end();
    for (;;) {
      const next = track(chain.next());
      await settle();
      while (!next.settled) await scheduler.advance(10);
      const result = await next.promise;
      if (result.done) break;
      out.push(result.value);
    }
    expect(out.map((e) => [e.type, textOf(e)])).toEqual([
      ['CompletionStarted', ''],
      // Redacted and formatted pieces of one message, merged by coalescing and pacing.
      ['CompletionDelta', 'Mail [REDACTED:EMAIL] or call [REDACTED:PHONE].'],
      ['CompletionFinished', ''],
    ]);
    expect(contentOf(out[2])).toBe('Mail [REDACTED:EMAIL] or call [REDACTED:PHONE].');
    expect(out[1]?.cursor).toBe(delta(5, '').cursor);
    expect(scheduler.pending).toBe(0);
  });

  it.each([
    // Waits on a coalescing window (and a pacing slot) while the source has nothing more.
    ['the full chain', FULL, [delta(2, 'more ')]],
    // Waits on the source while holding the start of an address.
    ['the text operator', { redact: ['EMAIL'] } satisfies TransformSpec, [delta(2, 'bob@ex')]],
    ['the skip for a resumed offset', { types: ['CompletionDelta'] } satisfies TransformSpec, []],
  ] as const)('detaches from the source at once on return() through %s', async (_name, spec, second) => {
    const scheduler = new ManualScheduler();
    const source = new TestSource();
    const chain = applyTransforms(source, spec, {
      deltaTypes: DELTA_TYPES,
      isTerminal,
      scheduler,
      resume: { seq: 0, offset: 1 },
    });
    source.push(delta(1, 'xHello '));
    const first = track(chain.next());
    await scheduler.advance(60);
    expect(textOf((await first.promise).value as Envelope)).toBe('Hello ');
    source.push(...second);
    const pending = track(chain.next());
    await scheduler.advance(10);
    expect(pending.settled).toBe(false);
    await chain.return?.();
    await settle();
    expect(pending.settled).toBe(true);
    expect(await pending.promise).toEqual({ value: undefined, done: true });
    expect(source.returnCalls).toBe(1);
    expect(scheduler.pending).toBe(0);
  });

  it('passes source errors through the full chain after what was let through', async () => {
    const scheduler = new ManualScheduler();
    const source = new TestSource();
    const chain = applyTransforms(source, FULL, { deltaTypes: DELTA_TYPES, isTerminal, scheduler });
    source.push(...deltas(['Hello ', 'world ', 'bob@exa']));
    source.fail(new Error('storage down'));
    const results: string[] = [];
    for (;;) {
      const next = track(chain.next());
      await settle();
      while (!next.settled) await scheduler.advance(10);
      try {
        const result = await next.promise;
        if (result.done) break;
        results.push(textOf(result.value));
      } catch (error) {
        results.push(`error: ${(error as Error).message}`);
        break;
      }
    }
    // The held start of an address is never emitted.
    expect(results).toEqual(['Hello world ', 'error: storage down']);
    expect(scheduler.pending).toBe(0);
  });

  it('skips the delivered part of the first event when resuming without a text transform', async () => {
    const out = await collect(
      applyTransforms(fromArray([delta(4, 'abc'), delta(5, 'def'), finished(6)]), null, {
        deltaTypes: DELTA_TYPES,
        isTerminal,
        resume: { seq: 3, offset: 4 },
      }),
    );
    expect(joinText(out)).toBe('ef');
    expect(out.map((e) => e.seq)).toEqual([5, 6]);
  });
});
