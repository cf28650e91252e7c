/**
 * The cheapest SSE reading that still tells frames apart, shared by every client of the harness so
 * ours and the baselines pay exactly the same client cost: split on the blank line, look at the
 * `event:` line, pull `"seq":` and the producer timestamp out of the text without JSON parsing.
 */

export type FrameKind = 'next' | 'complete' | 'other';

/** Splits a byte stream into frames; `onFrame(text, start, end)` sees each frame as a slice of `text`. */
export class SseScanner {
  private pending = '';

  constructor(private readonly onFrame: (text: string, start: number, end: number) => void) {}

  push(chunk: Buffer): void {
    // latin1 is a straight byte copy: the fields we read are ASCII, so no UTF-8 decoding cost.
    const text = this.pending.length > 0 ? this.pending + chunk.toString('latin1') : chunk.toString('latin1');
    let position = 0;
    for (;;) {
      const end = text.indexOf('\n\n', position);
      if (end < 0) break;
      if (end > position) this.onFrame(text, position, end);
      position = end + 2;
    }
    this.pending = position < text.length ? text.slice(position) : '';
  }
}

/** `next`, `complete` or anything else (comments, retry); an `id:` line before `event:` is skipped. */
export function frameKind(text: string, start: number): FrameKind {
  let p = start;
  if (text.startsWith('id:', p)) p = text.indexOf('\n', p) + 1;
  if (text.startsWith('event: next', p)) return 'next';
  if (text.startsWith('event: complete', p)) return 'complete';
  return 'other';
}

/** The integer after the first `"seq":` in the frame, or -1. */
export function seqOf(text: string, start: number, end: number): number {
  const at = text.indexOf('"seq":', start);
  if (at < 0 || at > end) return -1;
  let value = 0;
  for (let i = at + 6; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value;
}

/** Marker that precedes a producer timestamp inside a delta's text. */
export const STAMP = 't=';

/** The producer timestamp (ms, {@link monoMs} clock) embedded in the frame's text, or NaN. */
export function stampOf(text: string, start: number, end: number): number {
  const at = text.indexOf(STAMP, start);
  if (at < 0 || at > end) return Number.NaN;
  let stop = at + STAMP.length;
  while (stop < end) {
    const c = text.charCodeAt(stop);
    if ((c < 48 || c > 57) && c !== 46) break;
    stop++;
  }
  return Number(text.slice(at + STAMP.length, stop));
}

/** Text of delta number `i` when no timestamp is wanted: short, like a real token. */
export function tokenText(i: number): string {
  return ` tok${i % 1000}`;
}
