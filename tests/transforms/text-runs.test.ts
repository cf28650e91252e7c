import { describe, expect, it } from 'vitest';
import { redactorFor } from '../../src/edge/transforms/redaction.js';
import type { ResumePoint } from '../../src/edge/transforms/text-runs.js';
import { transformTextRuns } from '../../src/edge/transforms/text-runs.js';
import { type Envelope, mergeDeltas } from '../../src/streams/envelope.js';
import {
  collect,
  contentOf,
  DELTA_TYPES,
  delta,
  deltas,
  event,
  finished,
  fromArray,
  joinText,
  STREAM,
  TestSource,
  textOf,
} from './helpers.js';

const EMAIL_ONLY = { redactor: redactorFor(['EMAIL']), plain: false };

function run(source: Envelope[], resume?: ResumePoint, text = EMAIL_ONLY): Promise<Envelope[]> {
  return collect(
    transformTextRuns(fromArray(source), { deltaTypes: DELTA_TYPES, text, ...(resume && { resume }) }),
  );
}

const summary = (out: Envelope[]) =>
  out.map((e) => [e.type === 'CompletionDelta' ? textOf(e) : e.type, e.cursor, e.seq]);

describe('text runs: cursors', () => {
  const source = [...deltas(['Hi ', 'bob@ex', 'ample.com', ' bye']), finished(5, 'Hi bob@example.com bye')];

  it('names exactly the source text accounted for', async () => {
    expect(summary(await run(source))).toEqual([
      // Nothing held: the cursor still names the text (0 events + 3 characters of event 1), so a
      // resumed run knows the character before its first one.
      ['Hi ', `${STREAM}:0.3`, 1],
      // Events 2 and 3 were held whole; the address ends in event 4, whose first character is out.
      ['[REDACTED:EMAIL] ', `${STREAM}:3.1`, 4],
      // The run ends at the terminal event: a plain cursor.
      ['bye', `${STREAM}:4`, 4],
      ['CompletionFinished', `${STREAM}:5`, 5],
    ]);
  });

  it('resumes from each cursor with exactly the rest of the output', async () => {
    const full = await run(source);
    for (const [index, envelope] of full.entries()) {
      const [, position = ''] = envelope.cursor.split(':');
      const [seq, offset = '0'] = position.split('.');
      const rest = await run(
        source.filter((e) => e.seq > Number(seq)),
        { seq: Number(seq), offset: Number(offset) },
      );
      expect(summary(rest)).toEqual(summary(full.slice(index + 1)));
    }
  });

  it('counts an offset across events the join merged into one delta', async () => {
    const merged = mergeDeltas(mergeDeltas(delta(1, 'Hi '), delta(2, 'bob@ex')), delta(3, 'ample.com'));
    const out = await run([merged, delta(4, ' bye'), finished(5)], { seq: 0, offset: 0 });
    expect(summary(out).slice(0, 2)).toEqual([
      ['Hi ', `${STREAM}:0.3`, 3],
      ['[REDACTED:EMAIL] ', `${STREAM}:3.1`, 4],
    ]);
    // Resuming at 0.3 from the unmerged record skips three characters of the run, then goes on.
    const rest = await run(source.slice(0), { seq: 0, offset: 3 });
    expect(joinText(rest)).toBe('[REDACTED:EMAIL] bye');
  });

  it('assumes the first event follows the start directly when resume.seq is not given', async () => {
    const out = await run([delta(7, 'Hi '), delta(8, 'x')], { offset: 0 });
    expect(out.map((e) => e.cursor)).toEqual([`${STREAM}:6.3`, `${STREAM}:8`]);
  });
});

describe('text runs: boundaries', () => {
  it('ends a run at an event of another message, emitting its tail first', async () => {
    const out = await run([
      delta(1, 'write bob@exa', 'msg_1'),
      delta(2, 'hello', 'msg_2'),
      event(3, 'ThreadUpdated', {}),
      delta(4, 'mple.com', 'msg_1'),
    ]);
    // A one-dimensional cursor cannot pass msg_2 while msg_1's text is held (documented limitation).
    expect(out.map((e) => [textOf(e), e.cursor])).toEqual([
      ['write ', `${STREAM}:0.6`],
      ['bob@exa', `${STREAM}:1`],
      ['hello', `${STREAM}:2`],
      ['', `${STREAM}:3`],
      ['mple.com', `${STREAM}:4`],
    ]);
  });

  it('ends a run at a non-delta event of the same message', async () => {
    const out = await run([
      delta(1, 'mail me: bob@example.com'),
      event(2, 'ThreadMessageUpdated', { message: { id: 'msg_1', content: 'mail me: bob@example.com' } }),
    ]);
    expect(out.map((e) => e.type)).toEqual(['CompletionDelta', 'CompletionDelta', 'ThreadMessageUpdated']);
    expect(joinText(out)).toBe('mail me: [REDACTED:EMAIL]');
  });

  it('redacts and formats message snapshots as whole strings, without touching the input', async () => {
    const input = [
      event(1, 'CompletionStarted', { messageId: 'msg_1', message: { id: 'msg_1', content: '' } }),
      finished(2, '**Mail** bob@example.com'),
      event(3, 'CompletionFailed', { messageId: 'msg_1', message: null }),
    ];
    const before = structuredClone(input);
    const out = await run(input, undefined, { redactor: redactorFor(['EMAIL']), plain: true });
    expect(out[0]).toBe(input[0]);
    expect(contentOf(out[1])).toBe('Mail [REDACTED:EMAIL]');
    expect(out[1]?.json).toBe(JSON.stringify(out[1]?.data));
    expect(out[1]?.cursor).toBe(input[1]?.cursor);
    expect(out[2]).toBe(input[2]);
    expect(input).toEqual(before);
  });

  it('never mutates the deltas it reads', async () => {
    const input = [...deltas(['a **b@exam', 'ple.com** c']), finished(3)];
    const before = structuredClone(input);
    const out = await run(input, undefined, { redactor: redactorFor(['EMAIL']), plain: true });
    expect(joinText(out)).toBe('a [REDACTED:EMAIL] c');
    expect(input).toEqual(before);
    for (const envelope of out) expect(envelope.json).toBe(JSON.stringify(envelope.data));
  });

  it('never splits a surrogate pair, even when a delta does', async () => {
    const out = await run([...deltas(['ok \ud83d', '\ude00 fine \ud83d', '\ude00']), finished(4)]);
    for (const envelope of out) expect(textOf(envelope)).not.toMatch(/[\ud800-\udbff]$/);
    expect(joinText(out)).toBe('ok 😀 fine 😀');
  });

  it('drops the held tail when the upstream fails (it may be the start of a secret)', async () => {
    const source = new TestSource();
    const runs = transformTextRuns(source, { deltaTypes: DELTA_TYPES, text: EMAIL_ONLY });
    source.push(delta(1, 'Hi bob@exa'));
    source.fail(new Error('storage down'));
    expect(textOf((await runs.next()).value as Envelope)).toBe('Hi ');
    await expect(runs.next()).rejects.toThrow('storage down');
  });
});
