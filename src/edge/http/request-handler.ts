import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendNodeResponse } from '@whatwg-node/server';
import type { Fanout } from '../fanout/fanout.js';
import { FANOUT_SLOT, FanoutSlot } from '../fanout/slot.js';
import type { StreamgateYoga } from '../yoga.js';

/**
 * node:http → Yoga, with the fan-out fast path: Yoga parses, validates and subscribes every request as
 * usual; when the result is an SSE response for a stream subscription, the response is taken over by
 * a fan-out group instead of Yoga's per-subscriber web-stream pipeline.
 */
export function createRequestHandler(
  yoga: StreamgateYoga,
  fanout: Fanout | null,
  onError: (error: unknown) => void,
) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const slot = new FanoutSlot();
    const existing = listenersOf(res, RES_EVENTS);
    const existingOnRequest = listenersOf(req, REQ_EVENTS);
    Promise.resolve(yoga.handleNodeRequestAndResponse(req, res, { req, res, [FANOUT_SLOT]: slot }))
      .then((response) => {
        const offer = slot.offer;
        if (
          fanout &&
          offer &&
          response.status === 200 &&
          (response.headers.get('content-type') ?? '').includes('text/event-stream') &&
          !res.headersSent &&
          !res.destroyed
        ) {
          slot.decide(true);
          response.body?.cancel().catch(() => {});
          // The fetch-style request kept alive by listeners on the response (its abort signal, and
          // through it the transport's stream objects) is not needed any more: drop what Yoga added,
          // so an idle subscriber costs little more than its socket.
          removeAddedListeners(res, existing);
          removeAddedListeners(req, existingOnRequest);
          fanout.attach(offer, req, res, response.headers);
          return;
        }
        slot.decide(false);
        return sendNodeResponse(response, res, req, true);
      })
      .catch((error: unknown) => {
        slot.decide(false);
        onError(error);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
          }),
        );
      });
  };
}

const RES_EVENTS = ['close', 'error', 'finish'];
// The request body was read to the end before the subscription started; its readers are done.
const REQ_EVENTS = ['close', 'error', 'data', 'end', 'readable', 'aborted'];

function listenersOf(emitter: EventEmitter, events: string[]): Map<string, Set<unknown>> {
  return new Map(events.map((event) => [event, new Set<unknown>(emitter.listeners(event))]));
}

function removeAddedListeners(emitter: EventEmitter, before: Map<string, Set<unknown>>): void {
  for (const [event, old] of before) {
    for (const listener of emitter.listeners(event)) {
      if (!old.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}
