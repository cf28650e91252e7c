import type { ServerResponse } from 'node:http';
import { AppError } from '../domain/errors.js';
import { type Envelope, weightOf } from '../streams/envelope.js';

/** SSE framing around an event's data, for the estimate below. */
const FRAME_OVERHEAD = 128;

/**
 * The slow-client cap for transports that buffer without limit before the socket (graphql-sse
 * queues every result it pulls): compares the bytes handed to the transport with the bytes the socket
 * has written, and ends the subscription with SLOW_CONSUMER once the difference passes the cap. Every
 * event yielded before that still reaches the client ahead of the error, so its cursor is the resume
 * point.
 */
export function guardSocketBacklog(
  source: AsyncIterator<Envelope>,
  res: ServerResponse,
  hardCapBytes: number,
  startCursor: string,
  replay: { readonly replayThrough: number; readonly caughtUp: boolean },
): AsyncIterableIterator<Envelope> {
  const socket = res.socket;
  const base = socket?.bytesWritten ?? 0;
  let produced = 0;
  // A replay is handed over in one go; only what is live may count as the client lagging.
  let replayed = 0;
  let lastCursor = startCursor;
  const iterator: AsyncIterableIterator<Envelope> = {
    async next() {
      const result = await source.next();
      if (result.done || !socket) return result;
      const written = socket.bytesWritten - base;
      const backlog = produced - written - Math.max(0, replayed - written);
      if (backlog > hardCapBytes) {
        await source.return?.();
        throw new AppError('SLOW_CONSUMER', 'The client reads too slowly; resume from the cursor', {
          cursor: lastCursor,
          retryable: true,
        });
      }
      const size = weightOf(result.value) + FRAME_OVERHEAD;
      produced += size;
      if (!replay.caughtUp || result.value.seq <= replay.replayThrough) replayed += size;
      lastCursor = result.value.cursor;
      return result;
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
