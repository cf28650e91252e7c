/**
 * Markdown → plain text for text that arrives in pieces.
 *
 * What is removed: emphasis and strikethrough delimiter runs (`*`, `**`, `_`, `__`, `~~`; a run is
 * markup when it is left- or right-flanking in the CommonMark sense, `_` not inside a word), inline
 * code backticks (the code itself is kept verbatim), fence lines (```` ``` ```` / `~~~` with their
 * info string), heading markers `#`, block quote markers `>`, list bullets `-` `*` `+` (and task
 * boxes `[ ]`/`[x]`), thematic breaks and `===` underlines, link and image syntax (`[text](url)` →
 * `text`, `![alt](src)` → `alt`), backslash escapes. Ordered list numbers are words and are kept.
 *
 * Approximations, chosen so that every decision depends on a bounded window of text and at most one
 * character before a cut (which is what makes resuming from a cursor exact, see text-step.ts):
 * - emphasis runs are judged by flanking alone, without pairing: `*args` loses its star;
 * - the inside of a fenced code block is formatted like any text (its fence lines are removed), since
 *   "inside a fence" cannot be known from a resume point;
 * - a code span must close on the same line within 256 characters, a link's text is at most 200
 *   and its destination (with title) 300 characters, a fence or rule line at most 128: longer
 *   constructs are left as text (a stray backtick is still removed);
 * - after a marker, one space is removed (`#   Title` → `  Title`); runs of more than 8 delimiters
 *   are kept literally; indented code (4 spaces) is ordinary text; closing `#`s, tables and HTML
 *   are kept.
 */

/** The formatted prefix of a text: `out` is the output for `text[0, cut)`. */
export interface FormatStep {
  cut: number;
  out: string;
}

/** Source length of a character code: placeholders stand for longer text (windows count source). */
export type Weigh = (code: number) => number;

const unit: Weigh = () => 1;

const LONG_RUN = 8;
const CODE_SPAN_MAX = 256;
const LINK_TEXT_MAX = 200;
const LINK_DESTINATION_MAX = 300;
const LINE_CONSTRUCT_MAX = 128;
const MAX_QUOTE_DEPTH = 8;

const SPECIAL = /[*_~`\\[!\n]/g;

/**
 * Formats as much of `text` as is decided. `prev` is the character before `text` ('' at the start of
 * a message, which counts as the start of a line). With `final` the text is complete.
 */
export function formatPlain(text: string, prev: string, final: boolean, weigh: Weigh = unit): FormatStep {
  return new PlainScan(text, prev, final, weigh).run();
}

/** The whole of a complete text. */
export function plainText(text: string): string {
  return formatPlain(text, '', true).out;
}

interface LinePrefix {
  end: number;
  out: string;
  /** The prefix swallowed the whole line and its newline (a fence line). */
  lineStart: boolean;
}

/** Undecided: the text ends inside a construct that more text could still change. */
const MORE = undefined;

class PlainScan {
  private out = '';
  private i = 0;
  private cut = 0;
  private cutLength = 0;
  private lineStart: boolean;

  constructor(
    private readonly s: string,
    private readonly prev: string,
    private readonly final: boolean,
    private readonly weigh: Weigh,
  ) {
    this.lineStart = prev === '' || prev === '\n';
  }

  run(): FormatStep {
    const { s, prev } = this;
    // The only cut allowed between two equal delimiters is inside a long literal run (canCut), so
    // text that starts with the character before it continues that run.
    if (isRunChar(prev) && s[0] === prev) {
      let k = 0;
      while (k < s.length && s[k] === prev) k++;
      this.out += s.slice(0, k);
      this.i = k;
      this.mark(true);
    }
    while (this.step()) {}
    return { cut: this.cut, out: this.out.slice(0, this.cutLength) };
  }

  /** Consumes one token; false at the end of the text or before an undecided token. */
  private step(): boolean {
    const { s } = this;
    if (this.lineStart) {
      const prefix = linePrefix(s, this.i, this.final, this.weigh);
      if (prefix === MORE) return false;
      this.out += prefix.out;
      this.i = prefix.end;
      this.lineStart = prefix.lineStart;
      this.mark();
      return true;
    }
    if (this.i >= s.length) return false;
    SPECIAL.lastIndex = this.i;
    const special = SPECIAL.exec(s);
    const at = special ? special.index : s.length;
    if (at > this.i) {
      this.out += s.slice(this.i, at);
      this.i = at;
      this.mark();
      return true;
    }
    switch (s[at]) {
      case '\n':
        this.out += '\n';
        this.i++;
        this.lineStart = true;
        this.mark();
        return true;
      case '\\':
        return this.escape();
      case '`':
        return this.backticks();
      case '!':
        return this.bang();
      case '[':
        return this.bracket();
      default:
        return this.delimiters(s[at] as string);
    }
  }

  /**
   * Records `i` as the furthest cut if resuming there is exact: never inside a surrogate pair, and
   * after a delimiter only when the next character is known not to extend its run (or inside a long
   * literal run, which `run()` continues).
   */
  private mark(longRun = false): void {
    const { s, i } = this;
    if (i === 0) return;
    const code = s.charCodeAt(i - 1);
    if (code >= 0xd800 && code <= 0xdbff && !(this.final && i === s.length)) return;
    const before = s[i - 1] as string;
    if (isRunChar(before) && !longRun) {
      if (i === s.length ? !this.final : s[i] === before) return;
    }
    this.cut = i;
    this.cutLength = this.out.length;
  }

  private escape(): boolean {
    const { s, i } = this;
    if (i + 1 >= s.length) {
      if (!this.final) return false;
      this.out += '\\';
      this.i++;
    } else if (isAsciiPunctuation(s[i + 1] as string)) {
      this.out += s[i + 1];
      this.i += 2;
    } else {
      this.out += '\\';
      this.i++;
    }
    this.mark();
    return true;
  }

  private delimiters(c: string): boolean {
    const { s, i } = this;
    let k = i;
    while (k < s.length && s[k] === c) k++;
    if (k - i > LONG_RUN) {
      this.out += s.slice(i, k);
      this.i = k;
      this.mark(true);
      return true;
    }
    if (k === s.length && !this.final) return false;
    const before = i > 0 ? (s[i - 1] as string) : this.prev;
    const after = k < s.length ? (s[k] as string) : '';
    const markup = c === '~' && k - i < 2 ? false : isEmphasisRun(c, before, after);
    if (!markup) this.out += s.slice(i, k);
    this.i = k;
    this.mark();
    return true;
  }

  private backticks(): boolean {
    const { s, i } = this;
    let k = i;
    while (k < s.length && s[k] === '`') k++;
    const n = k - i;
    if (n > LONG_RUN) {
      this.out += s.slice(i, k);
      this.i = k;
      this.mark(true);
      return true;
    }
    if (k === s.length && !this.final) return false;
    let j = k;
    let weight = 0;
    while (j < s.length) {
      const ch = s[j];
      if (ch === '\n') break;
      if (ch === '`') {
        let m = j;
        while (m < s.length && s[m] === '`') m++;
        if (m === s.length && !this.final) return false;
        if (m - j === n) {
          this.out += s.slice(k, j);
          this.i = m;
          this.mark();
          return true;
        }
        weight += m - j;
        j = m;
      } else {
        weight += this.weigh(s.charCodeAt(j));
        j++;
      }
      if (weight > CODE_SPAN_MAX) break;
    }
    if (j >= s.length && weight <= CODE_SPAN_MAX && !this.final) return false;
    // Not a code span: the backticks go, the text after them is ordinary text.
    this.i = k;
    this.mark();
    return true;
  }

  private bang(): boolean {
    const { s, i } = this;
    if (i + 1 >= s.length && !this.final) return false;
    if (s[i + 1] === '[') {
      const link = parseLink(s, i + 1, this.final, this.weigh);
      if (link === MORE) return false;
      if (link) {
        this.out += formatPlain(s.slice(link.textStart, link.textEnd), '[', true, this.weigh).out;
        this.i = link.end;
        this.mark();
        return true;
      }
    }
    this.out += '!';
    this.i++;
    this.mark();
    return true;
  }

  private bracket(): boolean {
    const { s, i } = this;
    const link = parseLink(s, i, this.final, this.weigh);
    if (link === MORE) return false;
    if (link) {
      this.out += formatPlain(s.slice(link.textStart, link.textEnd), '[', true, this.weigh).out;
      this.i = link.end;
    } else {
      this.out += '[';
      this.i++;
    }
    this.mark();
    return true;
  }
}

interface Link {
  textStart: number;
  textEnd: number;
  end: number;
}

/** `[text](destination "title")` at `start`; null when it is not one, MORE when undecided. */
function parseLink(s: string, start: number, final: boolean, weigh: Weigh): Link | null | typeof MORE {
  const undecided = final ? null : MORE;
  const len = s.length;
  let j = start + 1;
  let weight = 0;
  for (;;) {
    if (j >= len) return undecided;
    const ch = s[j];
    if (ch === ']') break;
    if (ch === '[' || ch === '\n') return null;
    weight += weigh(s.charCodeAt(j));
    if (weight > LINK_TEXT_MAX) return null;
    j++;
  }
  const link = (end: number): Link => ({ textStart: start + 1, textEnd: j, end });
  if (j + 1 >= len) return undecided;
  if (s[j + 1] !== '(') return null;
  let k = j + 2;
  let depth = 0;
  weight = 0;
  const take = (): boolean => {
    weight += weigh(s.charCodeAt(k));
    k++;
    return weight <= LINK_DESTINATION_MAX;
  };
  // The destination: no whitespace, one level of balanced parentheses.
  for (;;) {
    if (k >= len) return undecided;
    const ch = s[k];
    if (ch === '\n') return null;
    if (ch === ' ' || ch === '\t') {
      if (depth > 0) return null;
      break;
    }
    if (ch === '(' && ++depth > 1) return null;
    if (ch === ')') {
      if (depth === 0) return link(k + 1);
      depth--;
    }
    if (!take()) return null;
  }
  // Whitespace, an optional quoted title, whitespace, then the closing parenthesis.
  const skipSpaces = (): boolean => {
    while (k < len && (s[k] === ' ' || s[k] === '\t')) if (!take()) return false;
    return true;
  };
  if (!skipSpaces()) return null;
  if (k >= len) return undecided;
  const quote = s[k];
  if (quote === '"' || quote === "'") {
    if (!take()) return null;
    for (;;) {
      if (k >= len) return undecided;
      const ch = s[k];
      if (ch === '\n') return null;
      if (!take()) return null;
      if (ch === quote) break;
    }
    if (!skipSpaces()) return null;
    if (k >= len) return undecided;
  }
  return s[k] === ')' ? link(k + 1) : null;
}

/** The block markup at the start of a line beginning at `i`, or MORE when undecided. */
function linePrefix(s: string, i: number, final: boolean, weigh: Weigh): LinePrefix | typeof MORE {
  const len = s.length;
  let j = i;
  while (j < len && s[j] === ' ' && j - i < 4) j++;
  if (j === len) return final ? { end: j, out: s.slice(i, j), lineStart: false } : MORE;
  // Four spaces or a tab: indented code, no markup.
  if (j - i === 4 || s[j] === '\t') return { end: i, out: '', lineStart: false };
  const indent = s.slice(i, j);
  let k = j;
  for (let depth = 0; depth < MAX_QUOTE_DEPTH && k < len && s[k] === '>'; depth++) {
    k++;
    if (k === len) {
      if (!final) return MORE;
      break;
    }
    if (s[k] === ' ') k++;
  }
  if (k === len) return final ? { end: k, out: indent, lineStart: false } : MORE;
  const c = s[k];
  if (c === '`' || c === '~') {
    const fence = fenceLine(s, k, final, weigh);
    if (fence === MORE) return MORE;
    if (fence) return fence;
  }
  if (c === '-' || c === '*' || c === '_' || c === '=') {
    const end = ruleLine(s, k, final);
    if (end === MORE) return MORE;
    if (end !== null) return { end, out: '', lineStart: false };
  }
  if (c === '#') {
    const end = headingMarker(s, k, final);
    if (end === MORE) return MORE;
    if (end !== null) return { end, out: indent, lineStart: false };
  }
  if (c === '-' || c === '*' || c === '+') {
    const end = bulletMarker(s, k, final);
    if (end === MORE) return MORE;
    if (end !== null) return { end, out: indent, lineStart: false };
  }
  return { end: k, out: indent, lineStart: false };
}

/** A fence line (``` or ~~~, info string, newline): removed whole. */
function fenceLine(s: string, k: number, final: boolean, weigh: Weigh): LinePrefix | null | typeof MORE {
  const c = s[k];
  let m = k;
  while (m < s.length && s[m] === c) m++;
  if (m === s.length && !final) return MORE;
  if (m - k < 3) return null;
  let e = m;
  let weight = 0;
  while (e < s.length && s[e] !== '\n') {
    if (c === '`' && s[e] === '`') return null;
    weight += weigh(s.charCodeAt(e));
    if (weight > LINE_CONSTRUCT_MAX) return null;
    e++;
  }
  if (e === s.length) return final ? { end: e, out: '', lineStart: false } : MORE;
  return { end: e + 1, out: '', lineStart: true };
}

/** A thematic break or setext underline (3+ of one of `-*_=`, spaces allowed): end of its content. */
function ruleLine(s: string, k: number, final: boolean): number | null | typeof MORE {
  const c = s[k];
  let count = 0;
  let e = k;
  while (e < s.length && s[e] !== '\n') {
    const ch = s[e];
    if (ch === c) count++;
    else if (ch !== ' ' && ch !== '\t' && ch !== '\r') return null;
    e++;
    if (e - k > LINE_CONSTRUCT_MAX) return null;
  }
  if (e === s.length && !final) return MORE;
  return count >= 3 ? e : null;
}

/** `#`–`######` followed by a space (removed with the marker) or the end of the line. */
function headingMarker(s: string, k: number, final: boolean): number | null | typeof MORE {
  let m = k;
  while (m < s.length && s[m] === '#' && m - k < 7) m++;
  const level = m - k;
  if (m === s.length) {
    if (!final) return MORE;
    return level <= 6 ? m : null;
  }
  if (level > 6) return null;
  const next = s[m];
  if (next === ' ' || next === '\t') return m + 1;
  if (next === '\n' || next === '\r') return m;
  return null;
}

const TASK_BOX = /^\[[ xX]\] $/;
const TASK_BOX_START = /^(?:\[(?:[ xX]\]?)?)?$/;

/** `-`, `*` or `+` and a space (both removed), with a task box `[ ] ` / `[x] ` after it. */
function bulletMarker(s: string, k: number, final: boolean): number | null | typeof MORE {
  if (k + 1 >= s.length) return final ? null : MORE;
  const next = s[k + 1];
  if (next !== ' ' && next !== '\t') return null;
  const end = k + 2;
  const box = s.slice(end, end + 4);
  if (TASK_BOX.test(box)) return end + 4;
  if (box.length < 4 && !final && TASK_BOX_START.test(box)) return MORE;
  return end;
}

function isRunChar(c: string): boolean {
  return c === '*' || c === '_' || c === '~' || c === '`';
}

/** CommonMark's left/right-flanking rules; `_` must not be inside a word. */
function isEmphasisRun(c: string, before: string, after: string): boolean {
  const beforeSpace = isWhitespace(before);
  const afterSpace = isWhitespace(after);
  const beforePunct = isPunctuation(before);
  const afterPunct = isPunctuation(after);
  const left = !afterSpace && (!afterPunct || beforeSpace || beforePunct);
  const right = !beforeSpace && (!beforePunct || afterSpace || afterPunct);
  if (c === '_') return (left && (!right || beforePunct)) || (right && (!left || afterPunct));
  return left || right;
}

/** Whitespace, or the edge of the text (''). */
function isWhitespace(c: string): boolean {
  if (c === '' || c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f' || c === '\v')
    return true;
  return c > '\x7f' && /\s/.test(c);
}

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const UNICODE_PUNCTUATION = /[\p{P}\p{S}]/u;

function isAsciiPunctuation(c: string): boolean {
  return ASCII_PUNCTUATION.test(c);
}

function isPunctuation(c: string): boolean {
  if (c === '') return false;
  if (c <= '\x7f') return ASCII_PUNCTUATION.test(c);
  return UNICODE_PUNCTUATION.test(c);
}
