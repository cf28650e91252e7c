import type { ServerResponse } from 'node:http';
import type { GraphQLResolveInfo } from 'graphql';
import { AppError } from '../domain/errors.js';
import type { StreamHandle } from '../streams/engine.js';
import { cursorOf, type Envelope } from '../streams/envelope.js';
import type { GraphQLContext } from './context.js';
import { deferUntilDecided } from './fanout/deferred-iterator.js';
import { FANOUT_SLOT, type FanoutSlot } from './fanout/slot.js';
import { guardSocketBacklog } from './socket-backlog.js';
import { applyTransforms } from './transforms/pipeline.js';
import type { TransformSpec } from './transforms/spec.js';

/** The last item of a subscription that ended with an error: the resolver turns it into a GraphQL error. */
export class SubscriptionErrorPayload {
  constructor(readonly error: AppError) {}
}

export type SubscriptionPayload = Envelope | SubscriptionErrorPayload;

/**
 * The per-subscriber delivery of a stream: join, transforms, and an error that ends the stream
 * delivered as a final result (a transport must never see a throwing iterator: graphql-sse leaves
 * such a stream open forever).
 */
export function deliverStream(
  handle: StreamHandle,
  spec: TransformSpec | null,
  context: GraphQLContext,
  info: GraphQLResolveInfo,
): AsyncIterableIterator<SubscriptionPayload> {
  const perSubscriber = () => {
    const events = handle.open();
    let transformed: AsyncIterator<Envelope> = applyTransforms(events, spec, {
      deltaTypes: handle.kind.deltaTypes,
      isTerminal: handle.isTerminal,
      resume: { seq: handle.after, offset: handle.offset },
    });
    const start = cursorOf(handle.streamId, handle.after, handle.offset);
    const res = (context as { res?: ServerResponse }).res;
    if (res?.socket) {
      transformed = guardSocketBacklog(
        transformed,
        res,
        context.app.config.slowConsumerMaxBytes,
        start,
        events,
      );
    }
    return endWithErrorPayload(
      transformed,
      (error) => context.app.logger.error('subscription failed', { error }),
      start,
    );
  };
  // Over node's HTTP the request handler may hand this subscription to a shared fan-out group.
  const slot = (context as Partial<Record<typeof FANOUT_SLOT, FanoutSlot>>)[FANOUT_SLOT];
  if (
    slot &&
    info.operation.operation === 'subscription' &&
    slot.makeOffer({ handle, spec, context, info })
  ) {
    return deferUntilDecided(slot.decision, perSubscriber);
  }
  return perSubscriber();
}

/**
 * Turns a rejection of `next()` into one final error payload, then the end. A retryable error gets
 * the cursor of the last event this subscriber was given: with transforms holding text back, that is
 * the only position from which a resume loses nothing.
 */
export function endWithErrorPayload(
  source: AsyncIterator<Envelope>,
  onUnexpected: (error: unknown) => void,
  startCursor: string,
): AsyncIterableIterator<SubscriptionPayload> {
  let done = false;
  let lastCursor = startCursor;
  const iterator: AsyncIterableIterator<SubscriptionPayload> = {
    async next() {
      if (done) return { value: undefined, done: true };
      try {
        const result = await source.next();
        if (result.done) done = true;
        else lastCursor = result.value.cursor;
        return result;
      } catch (error) {
        done = true;
        if (!(error instanceof AppError)) onUnexpected(error);
        const appError =
          error instanceof AppError
            ? error
            : new AppError('UNAVAILABLE', 'The stream failed on the server; resume from your last cursor', {
                retryable: true,
              });
        const resumable = appError.details.retryable === true;
        const final = resumable
          ? new AppError(appError.code, appError.message, { ...appError.details, cursor: lastCursor })
          : appError;
        return { value: new SubscriptionErrorPayload(final), done: false };
      }
    },
    async return() {
      done = true;
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
