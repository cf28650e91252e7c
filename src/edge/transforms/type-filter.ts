import type { Envelope } from '../../streams/envelope.js';
import { DONE, emit, Operator } from './operator.js';

class TypeFilter extends Operator {
  constructor(
    source: AsyncIterable<Envelope>,
    private readonly types: ReadonlySet<string>,
    private readonly isTerminal: (envelope: Envelope) => boolean,
  ) {
    super(source);
  }

  protected async produce(): Promise<IteratorResult<Envelope>> {
    for (;;) {
      const pulled = await this.pull();
      if (pulled.done) return DONE;
      const envelope = pulled.value;
      // The terminal event is how a client learns the stream is over; filtering it out would leave
      // the client waiting forever.
      if (this.types.has(envelope.type) || this.isTerminal(envelope)) return emit(envelope);
    }
  }
}

/** Keeps only events whose type is listed; terminal events always pass. */
export function filterTypes(
  source: AsyncIterable<Envelope>,
  types: Iterable<string>,
  isTerminal: (envelope: Envelope) => boolean,
): AsyncIterableIterator<Envelope> {
  return new TypeFilter(source, new Set(types), isTerminal);
}
