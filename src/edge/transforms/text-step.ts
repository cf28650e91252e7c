import { formatPlain } from './plain-text.js';
import { applyMatches, type RedactionMatch, type Redactor } from './redaction.js';
import { placeholder } from './redaction-patterns.js';

/** What the text transform does: redaction (null: none), then markdown removal. */
export interface TextOptions {
  readonly redactor: Redactor | null;
  readonly plain: boolean;
}

/** The transformed output of `buffer[0, cut)`; `more` when a further step on the rest may progress. */
export interface TextStep {
  cut: number;
  out: string;
  more: boolean;
}

// Private-use characters stand for placeholders while the formatter runs, so it sees one opaque
// letter-like character (no brackets to mistake for a link) whose source length it can still weigh.
const SENTINEL_BASE = 0xe000;
const SENTINEL_COUNT = 0xf8ff - SENTINEL_BASE + 1;
const PRIVATE_USE = /[\ue000-\uf8ff]/g;

/**
 * Transforms the longest prefix of `buffer` that no later text can change: no redaction match and no
 * markdown construct spans the cut. `prev` is the source character before `buffer` ('' at the start
 * of a message). Cuts are chosen so that everything a later step needs to know about the text
 * before the cut is that one character: the redaction patterns look one character behind, and the
 * formatter's state at a cut is "at a line start" exactly when `prev` is a newline. So restarting
 * at any cut with `prev` — which is what resuming from a cursor does — gives the same output as
 * transforming the whole text at once.
 *
 * With `final` the buffer is the end of the message and is consumed entirely.
 */
export function stepText(buffer: string, prev: string, final: boolean, options: TextOptions): TextStep {
  let safe = buffer.length;
  let matches: RedactionMatch[] = [];
  if (options.redactor) {
    const context = prev.length;
    const scan = options.redactor.scan(prev + buffer, context, final);
    safe = scan.safe - context;
    matches =
      context === 0
        ? scan.matches
        : scan.matches.map((m) => ({ ...m, start: m.start - context, end: m.end - context }));
  }
  if (!options.plain) {
    // A lone high surrogate at the end waits for its pair: an emitted delta must be valid text.
    if (!final && safe > 0 && isHighSurrogate(buffer.charCodeAt(safe - 1))) safe--;
    return { cut: safe, out: applyMatches(buffer, 0, safe, matches), more: false };
  }
  return formatRedacted(buffer, prev, final, safe, matches);
}

/** The whole of a complete text, transformed. */
export function transformText(text: string, options: TextOptions): string {
  let out = '';
  let rest = text;
  let prev = '';
  for (;;) {
    const step = stepText(rest, prev, true, options);
    out += step.out;
    if (step.cut >= rest.length) return out;
    if (step.cut === 0) throw new Error('text transform made no progress on complete text');
    prev = rest[step.cut - 1] as string;
    rest = rest.slice(step.cut);
  }
}

function formatRedacted(
  buffer: string,
  prev: string,
  final: boolean,
  safe: number,
  matches: readonly RedactionMatch[],
): TextStep {
  const whole = final && safe === buffer.length;
  if (matches.length === 0) {
    const text = buffer.slice(0, safe);
    PRIVATE_USE.lastIndex = 0;
    if (!PRIVATE_USE.test(text)) {
      const formatted = formatPlain(text, prev, whole);
      return { cut: formatted.cut, out: formatted.out, more: false };
    }
  }
  const redacted = new SentinelText(buffer);
  // Past the last sentinel (a huge merged delta) the text is cut short and `more` asks for another step.
  let complete = true;
  let position = 0;
  for (const match of matches) {
    if (
      !redacted.plain(position, match.start) ||
      !redacted.sentinel(placeholder(match.rule), match.end - match.start)
    ) {
      complete = false;
      break;
    }
    position = match.end;
  }
  if (complete && !redacted.plain(position, safe)) complete = false;
  const formatted = formatPlain(redacted.text, prev, whole && complete, redacted.weigh);
  return {
    cut: redacted.sourceIndex(formatted.cut),
    out: redacted.expand(formatted.out),
    more: !complete && formatted.cut > 0,
  };
}

/** Redacted text in which each placeholder (and each private-use source character) is one sentinel. */
class SentinelText {
  text = '';
  private readonly fills: string[] = [];
  private readonly sentinelAt: number[] = [];
  private readonly sourceLength: number[] = [];

  constructor(private readonly source: string) {}

  /** Source length of a character of `text`. */
  readonly weigh = (code: number): number => {
    if (code < SENTINEL_BASE || code >= SENTINEL_BASE + SENTINEL_COUNT) return 1;
    return this.sourceLength[code - SENTINEL_BASE] ?? 1;
  };

  sentinel(fill: string, length: number): boolean {
    if (this.fills.length === SENTINEL_COUNT) return false;
    this.sentinelAt.push(this.text.length);
    this.sourceLength.push(length);
    this.text += String.fromCharCode(SENTINEL_BASE + this.fills.length);
    this.fills.push(fill);
    return true;
  }

  plain(from: number, to: number): boolean {
    const piece = this.source.slice(from, to);
    PRIVATE_USE.lastIndex = 0;
    if (!PRIVATE_USE.test(piece)) {
      this.text += piece;
      return true;
    }
    for (let i = from; i < to; i++) {
      const ch = this.source[i] as string;
      const code = ch.charCodeAt(0);
      if (code >= SENTINEL_BASE && code < SENTINEL_BASE + SENTINEL_COUNT) {
        if (!this.sentinel(ch, 1)) return false;
      } else this.text += ch;
    }
    return true;
  }

  /** The source index of a position in `text` (never inside a sentinel). */
  sourceIndex(at: number): number {
    let index = at;
    for (let i = 0; i < this.sentinelAt.length && (this.sentinelAt[i] as number) < at; i++) {
      index += (this.sourceLength[i] as number) - 1;
    }
    return index;
  }

  expand(out: string): string {
    if (this.fills.length === 0) return out;
    return out.replace(PRIVATE_USE, (ch) => this.fills[ch.charCodeAt(0) - SENTINEL_BASE] ?? ch);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
