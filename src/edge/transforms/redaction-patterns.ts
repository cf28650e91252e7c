import type { RedactionRule } from './spec.js';

/**
 * One way a rule can match. `match` finds an occurrence at its start; `prefix` matches, anchored at
 * the end of the text, any text that could still grow into an occurrence (or into a longer one) —
 * a superset is fine, it only holds back more. Every occurrence ends with an ASCII letter or digit
 * (the PLAIN formatter relies on that, see text-step.ts), and every occurrence and every prefix is at
 * most MAX_MATCH_LENGTH characters long, which is what bounds the text held back.
 */
export interface RedactionPattern {
  readonly rule: RedactionRule;
  readonly match: string;
  readonly prefix: string;
  /** Extra check on a regex match (Luhn, digit count); a rejected match is no match. */
  readonly accept?: (text: string) => boolean;
}

/** No occurrence and no prefix of one is longer than this. */
export const MAX_MATCH_LENGTH = 256;

/** What replaces an occurrence of `rule`. */
export function placeholder(rule: RedactionRule): string {
  return `[REDACTED:${rule}]`;
}

const LOCAL = String.raw`A-Za-z0-9._%+\-`;

/**
 * EMAIL: `local@domain.tld` — a local part of 1–64 of `A-Za-z0-9._%+-`, 1–4 dot-terminated labels
 * of at most 40 characters, a 2–24 letter TLD (253 characters at most, as in RFC 5321).
 */
const EMAIL: RedactionPattern = {
  rule: 'EMAIL',
  match: String.raw`(?<![${LOCAL}])[${LOCAL}]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,38}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,24}`,
  prefix: String.raw`(?<![${LOCAL}])[${LOCAL}]{1,64}(?:@[A-Za-z0-9.\-]{0,188})?$`,
};

/**
 * CREDIT_CARD: 13–19 digits, single spaces or dashes allowed between them, not part of a longer
 * number, passing the Luhn check (and not all the same digit).
 */
const CREDIT_CARD: RedactionPattern = {
  rule: 'CREDIT_CARD',
  match: String.raw`(?<![\w.\-])\d(?:[ \-]?\d){12,18}(?![ \-]?\d)`,
  prefix: String.raw`(?<![\w.\-])\d(?:[ \-]?\d){0,18}[ \-]?$`,
  accept: (text) => {
    const digits = text.replace(/\D/g, '');
    return luhn(digits) && !/^(\d)\1*$/.test(digits);
  },
};

/**
 * PHONE, three shapes, each with at least 7 digits:
 * - international: `+` and 7–15 digits with single spaces, dots, dashes or parentheses between
 *   groups (`+44 20 7946 0958`, `+1 (555) 123-4567`, `+4915112345678`);
 * - North American: optional `1`, a 3-digit area code (bare or in parentheses) and 3+4 digits
 *   separated by a space, dot or dash (`(555) 123-4567`, `555.123.4567`, `1-800-555-0199`);
 * - local: `555-0199` (dash only: `123 4567` is too often just a number).
 * Known over-match: a 3-4 digit range such as `100-2000`. Dates (`2024-01-15`) do not match.
 */
const PHONE_INTERNATIONAL: RedactionPattern = {
  rule: 'PHONE',
  match: String.raw`(?<![\w+])\+\d[\d .()\-]{5,22}\d(?!\d)`,
  prefix: String.raw`(?<![\w+])\+[\d .()\-]{0,25}$`,
  accept: (text) => {
    const digits = text.replace(/\D/g, '').length;
    const opens = text.split('(').length;
    return digits >= 7 && digits <= 15 && !/[ .-]{2}/.test(text) && opens === text.split(')').length;
  },
};

const PHONE_NORTH_AMERICAN: RedactionPattern = {
  rule: 'PHONE',
  match: String.raw`(?<![\w.\-])(?:1[ .\-]?)?(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?!\d)`,
  prefix: String.raw`(?<![\w.\-])[\d(][\d .()\-]{0,17}$`,
};

const PHONE_LOCAL: RedactionPattern = {
  rule: 'PHONE',
  match: String.raw`(?<![\w.\-])\d{3}-\d{4}(?!\d|-\d)`,
  prefix: String.raw`(?<![\w.\-])\d[\d\-]{0,8}$`,
};

/**
 * API_KEY: a token of at least 16 more `A-Za-z0-9_-` characters (ending with a letter or digit,
 * 200 at most) after a well-known secret prefix: `sk-` (OpenAI, Anthropic `sk-ant-…`), Stripe
 * `sk_live_`/`sk_test_`/`rk_live_`/`rk_test_`, GitHub `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_`/
 * `github_pat_`, GitLab `glpat-`, Slack `xoxa-`/`xoxb-`/`xoxp-`/`xoxr-`/`xoxs-`, AWS `AKIA`/`ASIA`,
 * Google `AIza`, Hugging Face `hf_`, npm `npm_`. A longer token leaks its tail past 200 characters.
 */
const KEY_PREFIXES = [
  'sk-',
  'sk_live_',
  'sk_test_',
  'rk_live_',
  'rk_test_',
  'ghp_',
  'gho_',
  'ghu_',
  'ghs_',
  'ghr_',
  'github_pat_',
  'glpat-',
  'xoxa-',
  'xoxb-',
  'xoxp-',
  'xoxr-',
  'xoxs-',
  'AKIA',
  'ASIA',
  'AIza',
  'hf_',
  'npm_',
];

const escapeRegex = (text: string): string => text.replace(/[-\\^$.*+?()[\]{}|]/g, '\\$&');

const keyStarts = KEY_PREFIXES.map(escapeRegex).join('|');
const keyPartials = [
  ...new Set(
    KEY_PREFIXES.flatMap((prefix) =>
      Array.from({ length: prefix.length - 1 }, (_, i) => prefix.slice(0, i + 1)),
    ),
  ),
]
  .map(escapeRegex)
  .join('|');

const API_KEY: RedactionPattern = {
  rule: 'API_KEY',
  match: String.raw`(?<![A-Za-z0-9_\-])(?:${keyStarts})[A-Za-z0-9_\-]{15,199}[A-Za-z0-9]`,
  prefix: String.raw`(?<![A-Za-z0-9_\-])(?:${keyPartials}|(?:${keyStarts})[A-Za-z0-9_\-]{0,200})$`,
};

/**
 * All patterns in priority order: where two match at the same position the first wins (an e-mail
 * whose local part looks like a key or a phone number is still an e-mail).
 */
export const PATTERNS: readonly RedactionPattern[] = [
  EMAIL,
  CREDIT_CARD,
  API_KEY,
  PHONE_INTERNATIONAL,
  PHONE_NORTH_AMERICAN,
  PHONE_LOCAL,
];

/** The Luhn checksum every payment card number satisfies. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}
