import type { ServerResponse } from 'node:http';

const corked = new Set<ServerResponse>();
let scheduled = false;

function uncorkAll(): void {
  scheduled = false;
  for (const res of corked) res.uncork();
  corked.clear();
}

/**
 * Holds a response's writes until the current burst of work is done, so that what is written together
 * (headers and the first event, several events read in one chunk from the provider) leaves in one
 * system call. On this kind of machine a socket write costs more than framing an event.
 */
export function batchWrites(res: ServerResponse): void {
  if (corked.has(res)) return;
  res.cork();
  corked.add(res);
  if (!scheduled) {
    scheduled = true;
    // From a promise continuation, a tick callback runs once the microtasks queued now are done:
    // the burst is over, and the event loop has not moved on to I/O yet.
    process.nextTick(uncorkAll);
  }
}
