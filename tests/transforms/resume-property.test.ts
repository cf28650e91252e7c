import { describe, expect, it } from 'vitest';
import { applyTransforms } from '../../src/edge/transforms/pipeline.js';
import { redactorFor } from '../../src/edge/transforms/redaction.js';
import type { TransformSpec } from '../../src/edge/transforms/spec.js';
import { transformText } from '../../src/edge/transforms/text-step.js';
import { canMerge, type Envelope, mergeDeltas, parseCursor } from '../../src/streams/envelope.js';
import {
  collect,
  contentOf,
  DELTA_TYPES,
  delta,
  event,
  finished,
  fromArray,
  isTerminal,
  random,
  split,
} from './helpers.js';

const FRAGMENTS = [
  'Hello',
  ' ',
  ' ',
  'world',
  'it',
  '\n',
  '\n',
  '# ',
  '## ',
  '> ',
  '- ',
  '* ',
  '1. ',
  '**',
  '__',
  '*',
  '_',
  '~~',
  '`',
  '```',
  '```js\n',
  '[',
  ']',
  '(',
  ')',
  '](',
  '![',
  'link',
  'https://x.com/a_(b)',
  '\\',
  '\\*',
  'zq.kirov@fjordmail.example',
  'bob@ex.co',
  '+1 (415) 555-0199',
  '555-0199',
  '4111 1111 1111 1111',
  'sk-ant-api03-Xq7Vb2Lm9Rt4Wz8Kp1Ns6Yd3',
  'ghp_0123456789abcdefghijABCDEFGHIJ012345',
  '😀',
  '日本',
  '.',
  ',',
  '2024-01-15',
  '---\n',
  '- [x] ',
  '\ue001',
  'snake_case',
  '2 * 3',
  '"',
  "'",
  '!',
  '#',
  '>',
  '-',
  '+',
  '0',
];

function generateText(next: () => number): string {
  const count = 8 + Math.floor(next() * 30);
  return Array.from({ length: count }, () => FRAGMENTS[Math.floor(next() * FRAGMENTS.length)]).join('');
}

/** Merges some consecutive deltas, as the join's backlog does for a lagging subscriber. */
function mergeSome(events: readonly Envelope[], next: () => number): Envelope[] {
  const out: Envelope[] = [];
  for (const envelope of events) {
    const last = out.at(-1);
    if (last && next() < 0.3 && canMerge(last, envelope, DELTA_TYPES))
      out[out.length - 1] = mergeDeltas(last, envelope);
    else out.push(envelope);
  }
  return out;
}

/** Text and events as one string: every delta's text, every other event as a marker. */
function shape(envelopes: readonly Envelope[]): string {
  return envelopes
    .map((e) =>
      DELTA_TYPES.has(e.type) ? (e.data as { text: string }).text : `\u0000${e.type}@${e.seq}\u0000`,
    )
    .join('');
}

interface Config {
  name: string;
  spec: TransformSpec;
  /** Events of other types interleaved (only with a type filter that drops them). */
  noise: boolean;
}

const CONFIGS: Config[] = [
  { name: 'redact all', spec: { redact: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'API_KEY'] }, noise: false },
  { name: 'PLAIN', spec: { format: 'PLAIN' }, noise: false },
  {
    name: 'redact all + PLAIN',
    spec: { redact: ['EMAIL', 'PHONE', 'CREDIT_CARD', 'API_KEY'], format: 'PLAIN' },
    noise: false,
  },
  {
    name: 'type filter + API_KEY + PLAIN',
    spec: { types: ['CompletionDelta', 'CompletionStarted'], redact: ['API_KEY'], format: 'PLAIN' },
    noise: true,
  },
];

const TEXTS = 60;

describe('resume is exact for every emitted cursor (property)', () => {
  for (const config of CONFIGS) {
    it(config.name, async () => {
      const options = {
        redactor: config.spec.redact ? redactorFor(config.spec.redact) : null,
        plain: config.spec.format === 'PLAIN',
      };
      const ctx = (resume: { seq: number; offset: number }) => ({
        deltaTypes: DELTA_TYPES,
        isTerminal,
        resume,
      });
      let checked = 0;
      for (let seed = 1; seed <= TEXTS; seed++) {
        const next = random(seed * 7919);
        const text = generateText(next);
        const expectedText = transformText(text, options);

        // The record: a start event, the text in 1-5 character deltas (with noise), a terminal.
        const record: Envelope[] = [
          event(1, 'CompletionStarted', { messageId: 'msg_1', message: { id: 'msg_1', content: '' } }),
        ];
        for (const piece of split(text, next, 1, 5)) {
          if (config.noise && next() < 0.2)
            record.push(event(record.length + 1, 'CompletionUsage', { outputTokens: 1 }));
          record.push(delta(record.length + 1, piece));
        }
        record.push(finished(record.length + 1, text));
        const terminal = record.at(-1) as Envelope;
        const expected = `\u0000CompletionStarted@1\u0000${expectedText}\u0000CompletionFinished@${terminal.seq}\u0000`;

        const out = await collect(
          applyTransforms(fromArray(mergeSome(record, next)), config.spec, ctx({ seq: 0, offset: 0 })),
        );
        expect(shape(out), `seed ${seed}: ${JSON.stringify(text)}`).toBe(expected);
        const snapshot = (terminal.data as { message: { content: string } }).message.content;
        expect(contentOf(out.at(-1))).toBe(transformText(snapshot, options));

        for (let i = 0; i < out.length; i++) {
          const position = parseCursor((out[i] as Envelope).cursor);
          expect(position).not.toBeNull();
          const { seq, offset } = position as { seq: number; offset: number };
          const replay = mergeSome(
            record.filter((e) => e.seq > seq),
            next,
          );
          const resumed = await collect(
            applyTransforms(fromArray(replay), config.spec, ctx({ seq, offset })),
          );
          expect(
            shape(out.slice(0, i + 1)) + shape(resumed),
            `seed ${seed}, resume from ${out[i]?.cursor}`,
          ).toBe(expected);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(TEXTS * 5);
    });
  }
});
