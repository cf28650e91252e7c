import { describe, expect, it } from 'vitest';
import { applyTransforms } from '../../src/edge/transforms/pipeline.js';
import { redactorFor } from '../../src/edge/transforms/redaction.js';
import { luhn, MAX_MATCH_LENGTH } from '../../src/edge/transforms/redaction-patterns.js';
import type { RedactionRule } from '../../src/edge/transforms/spec.js';
import { stepText } from '../../src/edge/transforms/text-step.js';
import {
  collect,
  DELTA_TYPES,
  deltas,
  finished,
  fromArray,
  isTerminal,
  joinText,
  random,
  split,
  textOf,
} from './helpers.js';

const ALL: RedactionRule[] = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'API_KEY'];
const redact = (text: string, rules: RedactionRule[] = ALL) => redactorFor(rules).redact(text);

describe('redaction patterns (whole text)', () => {
  it.each([
    ['EMAIL', 'mail alice.smith+tag@example.com now', 'mail [REDACTED:EMAIL] now'],
    ['EMAIL', 'end of sentence: bob@mail.eng.corp.co.uk.', 'end of sentence: [REDACTED:EMAIL].'],
    ['EMAIL', '<first_last@sub-domain.example.org>', '<[REDACTED:EMAIL]>'],
    ['PHONE', 'call +1 (415) 555-0199 today', 'call [REDACTED:PHONE] today'],
    ['PHONE', 'call +44 20 7946 0958', 'call [REDACTED:PHONE]'],
    ['PHONE', 'call +4915112345678.', 'call [REDACTED:PHONE].'],
    [
      'PHONE',
      '(415) 555-0199 or 415.555.0199 or 1-800-555-0199',
      '[REDACTED:PHONE] or [REDACTED:PHONE] or [REDACTED:PHONE]',
    ],
    ['PHONE', 'ext 555-0199', 'ext [REDACTED:PHONE]'],
    ['CREDIT_CARD', 'card 4111 1111 1111 1111 ok', 'card [REDACTED:CREDIT_CARD] ok'],
    [
      'CREDIT_CARD',
      '5500-0000-0000-0004 and 378282246310005',
      '[REDACTED:CREDIT_CARD] and [REDACTED:CREDIT_CARD]',
    ],
    ['API_KEY', 'key sk-ant-api03-Xq7Vb2Lm9Rt4Wz8Kp1Ns6Yd3_aB-9 end', 'key [REDACTED:API_KEY] end'],
    [
      'API_KEY',
      'OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz012345',
      'OPENAI_API_KEY=[REDACTED:API_KEY]',
    ],
    [
      'API_KEY',
      'ghp_0123456789abcdefghijABCDEFGHIJ012345 / AKIAIOSFODNN7EXAMPLE',
      '[REDACTED:API_KEY] / [REDACTED:API_KEY]',
    ],
    ['API_KEY', 'AIzaSyA-0123456789abcdefghijklmnopqrstu', '[REDACTED:API_KEY]'],
  ] as const)('%s: %s', (rule, input, expected) => {
    expect(redact(input, [rule])).toBe(expected);
    expect(redact(input)).toBe(expected);
  });

  it.each([
    'the date 2024-01-15, version 1.2.3, 2023 results, 42 cats',
    'card-like but not Luhn: 4111 1111 1111 1112',
    'a longer number 1234 5678 9012 3456 7890 1234',
    'all zeros 0000 0000 0000 0000',
    'too short +1 234 5',
    'ask-notakey-0123456789abcdef and sk-short and task-0123456789abcdefghij',
    'not an address: user@localhost, @handle, a@b',
  ])('leaves %s alone', (input) => {
    expect(redact(input)).toBe(input);
  });

  it('only applies the rules asked for', () => {
    const text = 'a@example.com +1 415 555 0199';
    expect(redact(text, ['EMAIL'])).toBe('[REDACTED:EMAIL] +1 415 555 0199');
    expect(redact(text, ['PHONE'])).toBe('a@example.com [REDACTED:PHONE]');
  });

  it('checks card numbers with Luhn', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
  });
});

describe('redaction across delta boundaries', () => {
  const secrets = [
    'zq.kirov@fjordmail.example',
    '+1 (415) 555-0199',
    'sk-ant-api03-Xq7Vb2Lm9Rt4Wz8Kp1Ns6Yd3',
  ];
  const text = `Write to ${secrets[0]}, then dial ${secrets[1]} or use ${secrets[2]} today.`;
  const expected = 'Write to [REDACTED:EMAIL], then dial [REDACTED:PHONE] or use [REDACTED:API_KEY] today.';
  const ngrams = (s: string, n: number) =>
    new Set(Array.from({ length: s.length - n + 1 }, (_, i) => s.slice(i, i + n)));
  const allowed = ngrams(expected, 3);
  // Every three characters of a secret that the redacted text does not contain anyway.
  const fragments = secrets.flatMap((secret) => [...ngrams(secret, 3)].filter((gram) => !allowed.has(gram)));

  it('has distinctive fragments to look for', () => {
    expect(redact(text)).toBe(expected);
    expect(fragments.length).toBeGreaterThan(50);
  });

  for (const format of ['RAW', 'PLAIN'] as const) {
    it(`never emits a fragment of an e-mail, phone number or key split into 1-3 character deltas (${format})`, async () => {
      const splits = [
        [...text].map((c) => c),
        ...Array.from({ length: 300 }, (_, seed) => split(text, random(seed), 1, 3)),
      ];
      for (const pieces of splits) {
        const source = [...deltas(pieces), finished(pieces.length + 1)];
        const out = await collect(
          applyTransforms(
            fromArray(source),
            { redact: ALL, format },
            { deltaTypes: DELTA_TYPES, isTerminal },
          ),
        );
        const leaks = out
          .map(textOf)
          .flatMap((emitted) =>
            fragments.filter((fragment) => emitted.includes(fragment)).map((f) => `${f} in ${emitted}`),
          );
        expect(leaks, JSON.stringify(pieces)).toEqual([]);
        expect(joinText(out)).toBe(expected);
      }
    });
  }

  it('holds back only what could still become a match', async () => {
    const source = [
      ...deltas(['Hello there, ', 'write to zq', '.kirov@fj', 'ordmail.example now']),
      finished(5),
    ];
    const out = await collect(
      applyTransforms(fromArray(source), { redact: ['EMAIL'] }, { deltaTypes: DELTA_TYPES, isTerminal }),
    );
    expect(out.map(textOf)).toEqual(['Hello there, ', 'write to ', '[REDACTED:EMAIL] ', 'now', '']);
  });
});

describe('held-back text is bounded', () => {
  const pathological = [
    'a'.repeat(3000),
    '7'.repeat(3000),
    `x@${'a'.repeat(3000)}`,
    `a@b.${'c'.repeat(3000)}`,
    `sk-${'A'.repeat(3000)}`,
    `+${'1 '.repeat(1500)}`,
    `[${'a'.repeat(3000)}`,
    `[a](${'b'.repeat(3000)}`,
    `\`${'c'.repeat(3000)}`,
    '*'.repeat(3000),
    '_'.repeat(3000),
    '> '.repeat(1500),
    '#'.repeat(3000),
    '-'.repeat(3000),
    `\`\`\`${'x'.repeat(3000)}`,
    '\\'.repeat(3000),
    `[${'u@example.com '.repeat(200)}](x)`,
  ];

  const generated = (seed: number): string => {
    const next = random(seed);
    const alphabet = 'a1@.-_ *`[]()>#\n+~!\\sk';
    return Array.from({ length: 5000 }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  };

  for (const plain of [false, true]) {
    it(`stays under ${plain ? '1024' : `${MAX_MATCH_LENGTH}`} characters for pathological streams (${plain ? 'PLAIN' : 'RAW'})`, () => {
      const options = { redactor: redactorFor(ALL), plain };
      const bound = plain ? 1024 : MAX_MATCH_LENGTH;
      for (const [index, text] of [...pathological, generated(1), generated(2)].entries()) {
        let buffer = '';
        let prev = '';
        let held = 0;
        for (const piece of split(text, random(index), 1, 3)) {
          buffer += piece;
          for (;;) {
            const step = stepText(buffer, prev, false, options);
            if (step.cut > 0) {
              prev = buffer[step.cut - 1] as string;
              buffer = buffer.slice(step.cut);
            }
            if (!step.more) break;
          }
          held = Math.max(held, buffer.length);
        }
        expect(held, `input #${index}`).toBeLessThanOrEqual(bound);
      }
    });
  }
});
