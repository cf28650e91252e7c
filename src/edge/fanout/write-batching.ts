import type { ServerResponse } from 'node:http';

const corked = new Set<ServerResponse>();
let scheduled = false;

function uncorkAll(): void {
  scheduled = false;
  for (const res of corked) res.uncork();
  corked.clear();
}

/**
 * Holds a response's writes until the end of this turn of the event loop, so that what is written in
 * one turn (headers and the first event, a burst of events read in one chunk from the provider)
 * leaves in one system call. On this kind of machine a socket write costs more than framing an event.
 */
export function batchWrites(res: ServerResponse): void {
  if (corked.has(res)) return;
  res.cork();
  corked.add(res);
  if (!scheduled) {
    scheduled = true;
    setImmediate(uncorkAll);
  }
}
