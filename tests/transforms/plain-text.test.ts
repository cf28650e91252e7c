import { describe, expect, it } from 'vitest';
import { applyTransforms } from '../../src/edge/transforms/pipeline.js';
import { formatPlain, plainText } from '../../src/edge/transforms/plain-text.js';
import {
  collect,
  DELTA_TYPES,
  deltas,
  finished,
  fromArray,
  isTerminal,
  joinText,
  textOf,
} from './helpers.js';

describe('PLAIN format (whole text)', () => {
  it.each([
    [
      'emphasis',
      'Some **bold**, __strong__, *it*, _em_ and ~~gone~~ text',
      'Some bold, strong, it, em and gone text',
    ],
    [
      'words with inner markers',
      'snake_case, 2 * 3, a*b*c, file_name.txt',
      'snake_case, 2 * 3, abc, file_name.txt',
    ],
    ['inline code kept verbatim', 'Run `npm *install*` now', 'Run npm *install* now'],
    ['a stray backtick', 'It`s here', 'Its here'],
    ['headings', '# Title\n## Sub title\n#hashtag', 'Title\nSub title\n#hashtag'],
    ['block quotes', '> quoted\n> > nested\n>tight', 'quoted\nnested\ntight'],
    [
      'bullets and task boxes',
      '- one\n* two\n+ three\n  - nested\n- [x] done\n- [ ] todo',
      'one\ntwo\nthree\n  nested\ndone\ntodo',
    ],
    ['ordered lists keep their numbers', '1. first\n2. second', '1. first\n2. second'],
    [
      'links and images',
      'See [the **docs**](https://x.com/a_(b) "Title") and ![a chart](c.png).',
      'See the docs and a chart.',
    ],
    ['not a link', '[1] and [x] (y) and [z]', '[1] and [x] (y) and [z]'],
    ['fences', 'Code:\n```ts\nconst a = 1;\n```\nend', 'Code:\nconst a = 1;\nend'],
    ['rules and underlines', 'A\n---\nB\n===\n* * *\nC', 'A\n\nB\n\n\nC'],
    ['escapes', '\\*not emphasis\\* and C:\\path', '*not emphasis* and C:\\path'],
    ['indented code is text', '    - not a bullet', '    - not a bullet'],
    ['emoji and CJK', '**😀 日本** _ok_', '😀 日本 ok'],
  ])('%s', (_name, input, expected) => {
    expect(plainText(input)).toBe(expected);
  });
});

describe('PLAIN format across delta boundaries', () => {
  const samples = [
    '# Heading\nSome **bold** and _it_ text with `code` and [a link](https://example.com/x).',
    '> quote\n- item **one**\n- [x] done\n```js\nlet a = 1;\n```\n~~old~~ new',
    'A long ********** run, escaped \\**star**, and ![img](p.png "t") end',
  ];

  it('gives the same text for every split point and for one-character deltas', async () => {
    for (const text of samples) {
      const expected = plainText(text);
      const splits = [
        [...text],
        ...Array.from({ length: text.length - 1 }, (_, i) => [text.slice(0, i + 1), text.slice(i + 1)]),
      ];
      for (const pieces of splits) {
        const source = [...deltas(pieces), finished(pieces.length + 1)];
        const out = await collect(
          applyTransforms(fromArray(source), { format: 'PLAIN' }, { deltaTypes: DELTA_TYPES, isTerminal }),
        );
        expect(joinText(out), JSON.stringify(pieces)).toBe(expected);
      }
    }
  });

  it('never emits a markup fragment when markup is split', async () => {
    const source = [...deltas(['Some *', '*bo', 'ld*', '* and [li', 'nk](http://x', '.com) #']), finished(7)];
    const out = await collect(
      applyTransforms(fromArray(source), { format: 'PLAIN' }, { deltaTypes: DELTA_TYPES, isTerminal }),
    );
    for (const envelope of out) expect(textOf(envelope)).not.toMatch(/[*[\]()]|http/);
    expect(joinText(out)).toBe('Some bold and link #');
  });

  it('holds back only ambiguous markup', () => {
    expect(formatPlain('Hello wor', '', false)).toEqual({ cut: 9, out: 'Hello wor' });
    expect(formatPlain('Hello *', '', false)).toEqual({ cut: 6, out: 'Hello ' });
    expect(formatPlain('Hello **wor', '', false)).toEqual({ cut: 11, out: 'Hello wor' });
    expect(formatPlain('see [docs', '', false)).toEqual({ cut: 4, out: 'see ' });
    expect(formatPlain('line\n#', '', false)).toEqual({ cut: 5, out: 'line\n' });
    expect(formatPlain('line\n# T', '', false)).toEqual({ cut: 8, out: 'line\nT' });
    // Mid-line, '#' is just a character.
    expect(formatPlain('#', 'x', false)).toEqual({ cut: 1, out: '#' });
  });
});
