import { canMerge, type Envelope } from '../../streams/envelope.js';

/**
 * Events gathered for one delivery: consecutive text deltas of one message (merged when delivered),
 * or a single other event. Folding `mergeDeltas` over each arrival would serialize the growing text
 * again at every step; this merges once, with the same result (concatenated text, the last event's
 * other fields, seq, cursor and time).
 */
export class DeltaBatch {
  private readonly parts: Envelope[];

  constructor(first: Envelope) {
    this.parts = [first];
  }

  /** Adds `envelope` if it merges with the batch (a delta of the same message and type). */
  tryAdd(envelope: Envelope, deltaTypes: ReadonlySet<string>): boolean {
    if (!canMerge(this.parts[this.parts.length - 1] as Envelope, envelope, deltaTypes)) return false;
    this.parts.push(envelope);
    return true;
  }

  envelope(): Envelope {
    const last = this.parts[this.parts.length - 1] as Envelope;
    if (this.parts.length === 1) return last;
    let text = '';
    for (const part of this.parts) text += (part.data as { text: string }).text;
    const data = { ...last.data, text };
    return { ...last, data, json: JSON.stringify(data) };
  }
}
