import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/** The cursor of the event each request's subscription resolved last (set by the stream plugin). */
const deliveredCursor = new WeakMap<Request, { cursor: string | null }>();

/** Notes the cursor of the event being resolved, so the SSE writer can put it in the `id:` line. */
export function noteDeliveredCursor(request: Request | undefined, cursor: string | null): void {
  if (!request) return;
  const slot = deliveredCursor.get(request);
  if (slot) slot.cursor = cursor;
  else deliveredCursor.set(request, { cursor });
}

/**
 * Yoga's built-in SSE, with an `id: <cursor>` line on every event that has a cursor: a browser
 * EventSource then reconnects with `Last-Event-ID`, which the subscriptions treat as `after`.
 * Keep-alive comments every `keepAliveMs` (Yoga's own writer does the same without ids).
 */
export function useSseEventIds(options: { keepAliveMs: number }): Plugin {
  return {
    onResultProcess({ request, result, setResultProcessor }) {
      if (!isAsyncIterable(result)) return;
      const accept = request.headers.get('accept') ?? '';
      if (!accept.includes('text/event-stream')) return;
      setResultProcessor(
        (input, fetchAPI) =>
          sseResponse(input as AsyncIterable<ExecutionResult>, request, fetchAPI, options.keepAliveMs),
        'text/event-stream',
      );
    },
  };
}

function sseResponse(
  results: AsyncIterable<ExecutionResult>,
  request: Request,
  fetchAPI: { ReadableStream: typeof ReadableStream; Response: typeof Response },
  keepAliveMs: number,
): Response {
  const encoder = new TextEncoder();
  const iterator = results[Symbol.asyncIterator]();
  let ping: NodeJS.Timeout | undefined;
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      // Some clients wait for the first bytes before they report the stream open; `retry` makes a
      // browser EventSource come back after 1 s (not its default 3 s) and resume with Last-Event-ID.
      controller.enqueue(encoder.encode(':\n\nretry: 1000\n\n'));
      ping = setInterval(() => {
        if (controller.desiredSize === null) clearInterval(ping);
        else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(':\n\n'));
      }, keepAliveMs);
    },
    async pull(controller) {
      try {
        const { value, done } = await iterator.next();
        if (value !== undefined && value !== null) {
          const cursor = value.errors ? null : (deliveredCursor.get(request)?.cursor ?? null);
          const id = cursor ? `id: ${cursor}\n` : '';
          controller.enqueue(encoder.encode(`${id}event: next\ndata: ${JSON.stringify(value)}\n\n`));
        }
        if (done) {
          clearInterval(ping);
          controller.enqueue(encoder.encode('event: complete\ndata:\n\n'));
          controller.close();
        }
      } catch (error) {
        clearInterval(ping);
        controller.error(error);
      }
    },
    async cancel() {
      clearInterval(ping);
      await iterator.return?.();
    },
  });
  return new fetchAPI.Response(body, {
    status: 200,
    headers: {
      'Content-Type': 'text/event-stream',
      Connection: 'keep-alive',
      'Cache-Control': 'no-cache',
      'Content-Encoding': 'none',
    },
  });
}
