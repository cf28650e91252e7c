import { deltaText, type Envelope } from '../../streams/envelope.js';
import { DONE, emit, Operator } from './operator.js';

class SkipDelivered extends Operator {
  private messageId: unknown;
  private started = false;

  constructor(
    source: AsyncIterable<Envelope>,
    private skip: number,
    private readonly deltaTypes: ReadonlySet<string>,
  ) {
    super(source);
  }

  protected async produce(): Promise<IteratorResult<Envelope>> {
    for (;;) {
      const pulled = await this.pull();
      if (pulled.done) return DONE;
      const envelope = this.trim(pulled.value);
      if (envelope) return emit(envelope);
    }
  }

  private trim(envelope: Envelope): Envelope | null {
    if (this.skip === 0) return envelope;
    const text = deltaText(envelope, this.deltaTypes);
    const messageId = (envelope.data as { messageId?: unknown }).messageId;
    if (text === undefined || (this.started && messageId !== this.messageId)) {
      this.skip = 0;
      return envelope;
    }
    this.started = true;
    this.messageId = messageId;
    const skipped = Math.min(this.skip, text.length);
    this.skip -= skipped;
    if (skipped === text.length) return null;
    const data = { ...envelope.data, text: text.slice(skipped) };
    return { ...envelope, data, json: JSON.stringify(data) };
  }
}

/**
 * Drops the first `offset` characters of the text run a resumed subscription starts in (the part a
 * cursor with `.offset` says was delivered), for subscriptions without a text transform.
 */
export function skipDelivered(
  source: AsyncIterable<Envelope>,
  offset: number,
  deltaTypes: ReadonlySet<string>,
): AsyncIterableIterator<Envelope> {
  return new SkipDelivered(source, offset, deltaTypes);
}
