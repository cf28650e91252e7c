/**
 * The baseline: the least a node:http server can do to relay one provider stream to K SSE clients.
 * Every POST with `Accept: text/event-stream` joins the one stream. On `relay`, it streams a reply
 * from the same fake provider streamgate talks to, and for each text delta serializes and frames one
 * result in the shape of streamgate's `chatCompletion { __typename seq ... on CompletionDelta { text } }`
 * once, then writes that same string to every socket.
 *
 * It reads the provider exactly like streamgate does (over HTTP, so several deltas may arrive in one
 * chunk and be written in one tick): an internally generated burst would hand the baseline one event
 * per tick, a different write pattern, and make the two servers' numbers incomparable.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RawCommand, RawReport } from './lib/protocol.js';

const subscribers = new Set<http.ServerResponse>();
let seq = 1;

function frame(payload: object): string {
  return `event: next\ndata: ${JSON.stringify({ data: { chatCompletion: payload } })}\n\n`;
}

function endAll(): void {
  const finished = frame({ __typename: 'CompletionFinished', seq: ++seq });
  for (const res of subscribers) res.end(`${finished}event: complete\ndata:\n\n`);
  subscribers.clear();
  seq = 1;
}

/** Streams a Messages API reply and fans each text delta out; resolves with the number of deltas. */
function relay(providerUrl: string): Promise<number> {
  const url = new URL('/v1/messages', providerUrl);
  const body = JSON.stringify({
    model: 'raw-baseline',
    max_tokens: 64,
    stream: true,
    messages: [{ role: 'user', content: 'relay' }],
  });
  return new Promise((resolve, reject) => {
    let deltas = 0;
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let pending = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          pending += chunk;
          let end = pending.indexOf('\n\n');
          while (end >= 0) {
            const block = pending.slice(0, end);
            pending = pending.slice(end + 2);
            end = pending.indexOf('\n\n');
            if (!block.startsWith('event: content_block_delta')) continue;
            const data = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { delta: { text: string } };
            const text = frame({ __typename: 'CompletionDelta', seq: ++seq, text: data.delta.text });
            for (const res of subscribers) res.write(text);
            deltas++;
          }
        });
        response.on('end', () => {
          endAll();
          resolve(deltas);
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const server = http.createServer((req, res) => {
  req.resume();
  if (req.method !== 'POST' || !(req.headers.accept ?? '').includes('text/event-stream')) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  // Same opening as the GraphQL servers: a comment, then the stream's first event (seq 1).
  res.write(':\n\n');
  res.write(frame({ __typename: 'CompletionStarted', seq: 1 }));
  subscribers.add(res);
  res.on('close', () => subscribers.delete(res));
});
server.requestTimeout = 0;

const reply = (report: RawReport): void => {
  process.send?.(report);
};

process.on('message', (command: RawCommand) => {
  switch (command.type) {
    case 'relay':
      relay(command.providerUrl).then(
        (deltas) => reply({ type: 'relay-done', deltas }),
        (error: unknown) => reply({ type: 'relay-done', deltas: -1, error: String(error) }),
      );
      return;
    case 'subscribers':
      reply({ type: 'subscribers', count: subscribers.size });
      return;
  }
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`raw-sse listening on http://127.0.0.1:${port}/sse\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
