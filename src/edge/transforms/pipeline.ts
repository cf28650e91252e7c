import type { Envelope } from '../../streams/envelope.js';
import { coalesceDeltas } from './coalesce.js';
import { paceEvents } from './pacing.js';
import { redactorFor } from './redaction.js';
import type { Scheduler } from './scheduler.js';
import { skipDelivered } from './skip-delivered.js';
import type { TransformSpec } from './spec.js';
import { type ResumePoint, transformTextRuns } from './text-runs.js';
import { filterTypes } from './type-filter.js';

/** What the pipeline needs to know about the stream and the subscription. */
export interface TransformContext {
  /** The stream kind's text delta types. */
  readonly deltaTypes: ReadonlySet<string>;
  isTerminal(envelope: Envelope): boolean;
  /** Where the subscription starts (the parsed `after` cursor); see ResumePoint. */
  readonly resume?: ResumePoint;
  /** Time for coalescing and pacing; the process clock by default. */
  readonly scheduler?: Scheduler;
}

/**
 * Applies a subscription's transforms, in the fixed order type filter → redaction and format (one
 * text operator, so cursors stay exact) → coalesce → pacing; operators not asked for are left out,
 * and a null spec returns the source's own iterator. `return()` detaches from the source at once;
 * source errors come out after the events already let through.
 */
export function applyTransforms(
  source: AsyncIterable<Envelope>,
  spec: TransformSpec | null,
  ctx: TransformContext,
): AsyncIterableIterator<Envelope> {
  const { deltaTypes, resume, scheduler } = ctx;
  let stream: AsyncIterable<Envelope> = source;
  if (spec?.types) stream = filterTypes(stream, spec.types, (envelope) => ctx.isTerminal(envelope));
  const redactor = spec?.redact && spec.redact.length > 0 ? redactorFor(spec.redact) : null;
  const plain = spec?.format === 'PLAIN';
  if (redactor || plain) {
    stream = transformTextRuns(stream, { deltaTypes, text: { redactor, plain }, ...(resume && { resume }) });
  } else if (resume && resume.offset > 0) {
    // The cursor came from a text-transformed subscription; without a text transform the rest of
    // that event's text is all that is left to deliver.
    stream = skipDelivered(stream, resume.offset, deltaTypes);
  }
  if (spec?.coalesceMs)
    stream = coalesceDeltas(stream, {
      coalesceMs: spec.coalesceMs,
      deltaTypes,
      ...(scheduler && { scheduler }),
    });
  if (spec?.maxEventsPerSecond) {
    stream = paceEvents(stream, {
      maxEventsPerSecond: spec.maxEventsPerSecond,
      deltaTypes,
      ...(scheduler && { scheduler }),
    });
  }
  return iteratorOf(stream);
}

function iteratorOf(iterable: AsyncIterable<Envelope>): AsyncIterableIterator<Envelope> {
  const iterator = iterable[Symbol.asyncIterator]();
  if (Symbol.asyncIterator in iterator) return iterator as AsyncIterableIterator<Envelope>;
  const wrapped: AsyncIterableIterator<Envelope> = {
    next: () => iterator.next(),
    return: () => iterator.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]: () => wrapped,
  };
  return wrapped;
}
