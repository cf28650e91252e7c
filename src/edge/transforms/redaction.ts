import { MAX_MATCH_LENGTH, PATTERNS, placeholder, type RedactionPattern } from './redaction-patterns.js';
import type { RedactionRule } from './spec.js';

/** One occurrence to replace, in the coordinates of the scanned text. */
export interface RedactionMatch {
  start: number;
  end: number;
  rule: RedactionRule;
}

/** What a scan found: matches before `safe` are final; from `safe` on the text could still change. */
export interface RedactionScan {
  safe: number;
  matches: RedactionMatch[];
}

/**
 * Finds occurrences of a set of rules in text that may still continue. The scan is the same
 * leftmost-first scan as over the whole text; it stops at the first position whose suffix could
 * still grow into an occurrence, so nothing before `safe` can change with more text and no
 * occurrence crosses `safe`. Patterns look at most one character behind an occurrence, so a scan
 * restarted at any `safe` position with that one character of context continues exactly like the
 * whole-text scan.
 */
export class Redactor {
  private readonly search: RegExp;
  private readonly viable: RegExp;
  private readonly sticky: { pattern: RedactionPattern; regex: RegExp }[];

  constructor(readonly rules: readonly RedactionRule[]) {
    const patterns = PATTERNS.filter((pattern) => rules.includes(pattern.rule));
    if (patterns.length === 0) throw new Error('Redactor needs at least one rule');
    this.search = new RegExp(patterns.map((p) => `(?:${p.match})`).join('|'), 'g');
    this.viable = new RegExp(patterns.map((p) => `(?:${p.prefix})`).join('|'), 'g');
    this.sticky = patterns.map((pattern) => ({ pattern, regex: new RegExp(pattern.match, 'y') }));
  }

  /**
   * Scans `text` from `from` (characters before `from` are context only). With `final` the text is
   * complete and everything is decided.
   */
  scan(text: string, from: number, final: boolean): RedactionScan {
    const end = text.length;
    // Only a suffix of at most MAX_MATCH_LENGTH characters can still grow into an occurrence.
    const tail = Math.max(from, end - MAX_MATCH_LENGTH);
    let safe = final ? end : this.firstViable(text, tail);
    const matches: RedactionMatch[] = [];
    let position = from;
    while (position < safe) {
      const match = this.nextMatch(text, position, safe);
      if (!match) break;
      matches.push(match);
      position = match.end;
      if (!final && safe < position) safe = this.firstViable(text, Math.max(position, tail));
    }
    return { safe: Math.max(safe, position), matches };
  }

  /** The whole text with every occurrence replaced. */
  redact(text: string): string {
    const { matches } = this.scan(text, 0, true);
    return applyMatches(text, 0, text.length, matches);
  }

  private firstViable(text: string, from: number): number {
    this.viable.lastIndex = from;
    const found = this.viable.exec(text);
    return found ? found.index : text.length;
  }

  /** The leftmost accepted occurrence starting in [from, before). */
  private nextMatch(text: string, from: number, before: number): RedactionMatch | null {
    this.search.lastIndex = from;
    for (;;) {
      const candidate = this.search.exec(text);
      if (!candidate || candidate.index >= before) return null;
      const start = candidate.index;
      for (const { pattern, regex } of this.sticky) {
        regex.lastIndex = start;
        const found = regex.exec(text);
        if (found && (!pattern.accept || pattern.accept(found[0]))) {
          return { start, end: start + found[0].length, rule: pattern.rule };
        }
      }
      this.search.lastIndex = start + 1;
    }
  }
}

/** `text[from, to)` with the matches (which lie inside it, in order) replaced by placeholders. */
export function applyMatches(
  text: string,
  from: number,
  to: number,
  matches: readonly RedactionMatch[],
): string {
  if (matches.length === 0) return text.slice(from, to);
  let out = '';
  let position = from;
  for (const match of matches) {
    out += text.slice(position, match.start) + placeholder(match.rule);
    position = match.end;
  }
  return out + text.slice(position, to);
}

const redactors = new Map<string, Redactor>();

/** A shared Redactor per rule set (compiling the combined regexes is the expensive part). */
export function redactorFor(rules: readonly RedactionRule[]): Redactor {
  const key = [...rules].sort().join(',');
  let redactor = redactors.get(key);
  if (!redactor) {
    redactor = new Redactor(rules);
    redactors.set(key, redactor);
  }
  return redactor;
}
