/**
 * A bench-only fake of the Anthropic Messages API (`POST /v1/messages`, `stream: true`), in the
 * harness process.
 *
 * Why not tests/support/fake-anthropic.ts: its deltas are fixed strings decided before the response
 * starts, and the latency scenario needs each delta to carry the time it is actually sent. It also
 * waits for every write to flush, where a burst here should go out as fast as the socket takes it.
 *
 * Each request takes the oldest queued plan ({@link FakeProvider.next}), else an immediate reply of a
 * few deltas (the TTFT scenario's shape).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { monoMs } from './lib/clock.js';
import { STAMP, tokenText } from './lib/sse.js';

export type Plan =
  /** Everything up to the first delta at once, then waits for `go()`, then `deltas` back to back. */
  | { kind: 'burst'; deltas: number }
  /** Waits for `go()`, then one delta every `intervalMs`, each stamped with its send time. */
  | { kind: 'paced'; deltas: number; intervalMs: number }
  /** `deltas` back to back, no waiting. */
  | { kind: 'immediate'; deltas: number };

export interface PlanControl {
  /** Resolves when the request arrived and everything before the first delta was written. */
  readonly started: Promise<void>;
  /** Lets the deltas flow. */
  go(): void;
  /** Resolves when the response is over (finished or the client went away). */
  readonly finished: Promise<void>;
}

export interface FakeProvider {
  readonly url: string;
  next(plan: Plan): PlanControl;
  close(): Promise<void>;
}

interface Queued {
  plan: Plan;
  started: () => void;
  gate: Promise<void>;
  finished: () => void;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function startFakeProvider(): Promise<FakeProvider> {
  const queue: Queued[] = [];
  const sockets = new Set<Socket>();

  async function respond(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = JSON.parse(raw) as { model?: string };
    const queued = queue.shift();
    const plan: Plan = queued?.plan ?? { kind: 'immediate', deltas: 3 };
    let gone = false;
    res.on('close', () => {
      gone = true;
      queued?.finished();
    });
    const write = (event: string, data: object): void => {
      if (!gone) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    write('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_bench',
        type: 'message',
        role: 'assistant',
        model: body.model ?? 'bench',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      },
    });
    write('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    queued?.started();
    if (plan.kind !== 'immediate') await queued?.gate;

    const delta = (text: string) =>
      write('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text },
      });
    if (plan.kind === 'paced') {
      const start = monoMs();
      for (let i = 0; i < plan.deltas && !gone; i++) {
        const wait = start + i * plan.intervalMs - monoMs();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        delta(`${STAMP}${monoMs().toFixed(3)}`);
      }
    } else {
      for (let i = 0; i < plan.deltas && !gone; i++) {
        delta(tokenText(i));
        // A separate macrotask per delta, as a provider's chunks arrive; also what the raw server does.
        if (plan.kind === 'burst') await yieldToLoop();
      }
    }
    write('content_block_stop', { type: 'content_block_stop', index: 0 });
    write('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: plan.deltas },
    });
    write('message_stop', { type: 'message_stop' });
    res.end();
  }

  const server = http.createServer((req, res) => {
    respond(req, res).catch((error: unknown) => {
      process.stderr.write(`bench fake provider failed: ${String(error)}\n`);
      res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    next(plan) {
      let started!: () => void;
      let finished!: () => void;
      let go!: () => void;
      const control: PlanControl = {
        started: new Promise<void>((resolve) => {
          started = resolve;
        }),
        finished: new Promise<void>((resolve) => {
          finished = resolve;
        }),
        go: () => go(),
      };
      const gate = new Promise<void>((resolve) => {
        go = resolve;
      });
      queue.push({ plan, started, gate, finished });
      return control;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
