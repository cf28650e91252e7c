/**
 * A local fake of the Anthropic Messages API (`POST /v1/messages` with `stream: true`), for driving the real
 * `@anthropic-ai/sdk` (and everything built on it) without a network.
 *
 * ```ts
 * const fake = await startFakeAnthropic();               // listens on 127.0.0.1, ephemeral port
 * const provider = new AnthropicProvider({ apiKey: 'test-key', baseURL: fake.url, defaultModel: 'm', maxRetries: 0 });
 *
 * fake.enqueue({ kind: 'stream', deltas: ['Hel', 'lo'] });              // next request gets this reply
 * fake.enqueue({ kind: 'status', status: 529 });                         // ...and the one after that a 529
 * fake.setHandler((req) => ({ kind: 'stream', deltas: words(`You said ${req.lastUserText}`) })); // fallback
 *
 * const first = await fake.waitForRequest(1);            // resolves once the 1st request has arrived
 * first.body.messages; first.apiKey;                     // what the client sent (see RecordedRequest.apiKey)
 * await first.outcome;                                   // 'completed' | 'client-disconnected' | 'dropped'
 * fake.requests.length;                                  // how many calls were made (SDK retries included)
 * fake.reset();                                          // in afterEach: forget requests, queue, handler, permits
 * await fake.close();                                    // destroys open SSE connections, never hangs
 * ```
 *
 * Which reply a request gets: the oldest queued scenario (see {@link FakeAnthropic.enqueue}), else the
 * handler ({@link FakeAnthropic.setHandler}), else a short fixed greeting ({@link DEFAULT_FAKE_REPLY}).
 *
 * Pacing: by default deltas go out back to back. `startFakeAnthropic({ delayMs })` pauses between deltas;
 * `startFakeAnthropic({ gated: true })` (or a scenario's `gated: true`) makes every text delta wait for a
 * permit, handed out by {@link FakeAnthropic.release} (`release(2)` lets two more deltas through across all
 * responses) or {@link FakeAnthropic.openGate}. Everything before the first delta (headers, message_start,
 * content_block_start, ping) is sent at once, so a gated stream is "started, no text yet"; whatever follows
 * the last delta (message_delta/message_stop, an error event, a dropped socket) is sent right after it.
 * Status scenarios take `retryAfterMs: 1` to make the SDK's own retries instant.
 * Tests synchronise on promises (`waitForRequest`, `outcome`) and on what their client receives, not on sleeps.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Error types the Messages API puts in `{"type":"error","error":{"type":...}}`. */
export type FakeErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

interface Paced {
  /** Overrides the server's `gated` option for this response. */
  gated?: boolean;
  /** Overrides the server's `delayMs` option for this response. */
  delayMs?: number;
}

/** A normal streamed reply: one text block made of `deltas`, then the stop reason and output usage. */
export interface StreamScenario extends Paced {
  kind: 'stream';
  deltas: string[];
  /** Default `end_turn`. */
  stopReason?: string;
  /** Reported in message_start. Default: whitespace-separated words of all request messages. */
  inputTokens?: number;
  /** Reported in message_delta. Default: `deltas.length`. */
  outputTokens?: number;
}

/** Streams `deltas`, then an SSE `event: error` (as the real API does when it fails mid-stream), then ends. */
export interface ErrorEventScenario extends Paced {
  kind: 'error-event-after';
  deltas: string[];
  errorType: FakeErrorType;
  /** Default: a message derived from `errorType`, e.g. `Overloaded`. */
  message?: string;
}

/** Answers with a JSON error body and this HTTP status before any stream starts. */
export interface StatusScenario {
  kind: 'status';
  status: number;
  /** Sent as `retry-after` (seconds); the SDK waits that long before its own retry. */
  retryAfter?: number;
  /** Sent as `retry-after-ms`; `retryAfterMs: 1` makes SDK retries effectively instant. */
  retryAfterMs?: number;
  /** Default: derived from `status` (529 → overloaded_error, 429 → rate_limit_error, ...). */
  errorType?: FakeErrorType;
  message?: string;
}

/**
 * Streams `deltas` and then breaks off: `how: 'destroy'` (default) destroys the socket, which the SDK reports
 * as "terminated"; `how: 'end'` finishes the HTTP response cleanly but without message_delta/message_stop.
 */
export interface DropScenario extends Paced {
  kind: 'drop-after';
  deltas: string[];
  how?: 'destroy' | 'end';
}

/** What the fake does with one request. */
export type FakeScenario = StreamScenario | ErrorEventScenario | StatusScenario | DropScenario;

/** The JSON body of a Messages API request, as far as this project sends it. */
export interface FakeMessagesBody {
  model: string;
  max_tokens: number;
  system?: unknown;
  messages: Array<{ role: string; content: unknown }>;
  stream?: boolean;
  temperature?: number;
  [key: string]: unknown;
}

/** How the fake's response to a request ended. */
export type FakeOutcome =
  /** The whole scripted response was written. */
  | 'completed'
  /** The client went away (abort, `break`) before the response was complete. */
  | 'client-disconnected'
  /** The scenario broke the connection on purpose (`drop-after`). */
  | 'dropped';

/** One request the fake received. */
export interface RecordedRequest {
  /** 1-based arrival order, SDK retries included. */
  readonly number: number;
  readonly method: string;
  readonly path: string;
  /** Lower-cased header names. */
  readonly headers: http.IncomingHttpHeaders;
  /**
   * The API key the client sent: `x-api-key`, else the token of `Authorization: Bearer` (which is where
   * `@anthropic-ai/sdk` 1.13 puts `apiKey`).
   */
  readonly apiKey: string | undefined;
  /** `anthropic-version` header. */
  readonly anthropicVersion: string | undefined;
  /** Parsed JSON body. */
  readonly body: FakeMessagesBody;
  /** Text of the last `user` message when its content is a string, else `''`. */
  readonly lastUserText: string;
  /** Settles when the response is over; never rejects. */
  readonly outcome: Promise<FakeOutcome>;
  /** Text deltas written so far to this request's response (live counter). */
  readonly deltasSent: number;
}

/** Options of {@link startFakeAnthropic}. */
export interface FakeAnthropicOptions {
  /** Pause between two text deltas, in ms. Default 0. */
  delayMs?: number;
  /** Start with the gate closed: every text delta waits for {@link FakeAnthropic.release}. Default false. */
  gated?: boolean;
  /**
   * When set, a request carrying another API key (see {@link RecordedRequest.apiKey}) gets a 401 without
   * consuming a scenario.
   */
  apiKey?: string;
}

/** A running fake; see the top of this file. */
export interface FakeAnthropic {
  /** Base URL to give the SDK (`baseURL`) or `ANTHROPIC_BASE_URL`, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every request received so far, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Queues replies for the next requests, in order. */
  enqueue(...scenarios: FakeScenario[]): void;
  /** Decides the reply when the queue is empty; `undefined` restores the default greeting. */
  setHandler(handler: ((request: RecordedRequest) => FakeScenario) | undefined): void;
  /** Resolves with the `n`-th request (1-based, default 1) once it has arrived, at once if it already has. */
  waitForRequest(n?: number): Promise<RecordedRequest>;
  /** Lets `n` (default 1) more gated text deltas through, across all responses. */
  release(n?: number): void;
  /** Lets every gated delta through from now on, until {@link FakeAnthropic.closeGate}. */
  openGate(): void;
  /** Makes text deltas wait for {@link FakeAnthropic.release} again; unused permits are dropped. */
  closeGate(): void;
  /** Forgets recorded requests, queued scenarios, the handler and unused permits, and closes the gate. */
  reset(): void;
  /** Stops listening and destroys open connections; resolves when the server is closed. */
  close(): Promise<void>;
}

/** What a request gets when nothing is queued and no handler is set. */
export const DEFAULT_FAKE_REPLY: readonly string[] = [
  'Hello',
  ' from',
  ' the',
  ' fake',
  ' Anthropic',
  ' server.',
];

/** Splits text into word-sized deltas that concatenate back to it: `words('a b')` → `['a', ' b']`. */
export function words(text: string): string[] {
  return text.match(/\s*\S+\s*$|\s*\S+/g) ?? (text === '' ? [] : [text]);
}

const DEFAULT_ERROR_TYPE: Record<number, FakeErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

const DEFAULT_ERROR_MESSAGE: Record<FakeErrorType, string> = {
  invalid_request_error: 'Invalid request',
  authentication_error: 'invalid API key',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'Not found',
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit',
  api_error: 'Internal server error',
  overloaded_error: 'Overloaded',
};

/** Counts permits for gated deltas; waiters can give up when their response closes. */
class Gate {
  #permits = 0;
  #open = false;
  #waiters: Array<() => void> = [];

  /** Resolves true when a permit was taken, false when `signal` aborted first. */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#open) return Promise.resolve(true);
    if (this.#permits > 0) {
      this.#permits--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', giveUp);
        resolve(true);
      };
      const giveUp = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== grant);
        resolve(false);
      };
      signal.addEventListener('abort', giveUp, { once: true });
      this.#waiters.push(grant);
    });
  }

  release(n: number): void {
    this.#permits += n;
    while (this.#permits > 0 && this.#waiters.length > 0) {
      this.#permits--;
      this.#waiters.shift()?.();
    }
  }

  setOpen(open: boolean): void {
    this.#open = open;
    if (open) {
      for (const grant of this.#waiters.splice(0)) grant();
    } else {
      this.#permits = 0;
    }
  }
}

interface MutableRecord extends RecordedRequest {
  deltasSent: number;
}

function wordCount(value: unknown): number {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean).length;
  if (Array.isArray(value)) return value.reduce((sum: number, part: unknown) => sum + wordCount(part), 0);
  if (value !== null && typeof value === 'object') {
    if ('content' in value) return wordCount(value.content);
    if ('text' in value) return wordCount(value.text);
  }
  return 0;
}

function header(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const requests: MutableRecord[] = [];
  const requestWaiters: Array<{ n: number; resolve: (r: RecordedRequest) => void }> = [];
  let queue: FakeScenario[] = [];
  let handler: ((request: RecordedRequest) => FakeScenario) | undefined;
  // Only gated responses consult the gate, so it starts closed whatever `options.gated` says.
  const gate = new Gate();
  const sockets = new Set<Socket>();
  // One per open response; close() aborts them so gated or delayed responses stop waiting.
  const live = new Set<AbortController>();

  function record(req: http.IncomingMessage, body: FakeMessagesBody, outcome: Promise<FakeOutcome>) {
    const lastUser = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
    const entry: MutableRecord = {
      number: requests.length + 1,
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      apiKey:
        header(req.headers, 'x-api-key') ?? header(req.headers, 'authorization')?.match(/^Bearer (.+)$/)?.[1],
      anthropicVersion: header(req.headers, 'anthropic-version'),
      body,
      lastUserText: typeof lastUser?.content === 'string' ? lastUser.content : '',
      outcome,
      deltasSent: 0,
    };
    requests.push(entry);
    for (const waiter of requestWaiters.filter((w) => w.n === entry.number)) waiter.resolve(entry);
    return entry;
  }

  function nextScenario(entry: RecordedRequest): FakeScenario {
    const queued = queue.shift();
    if (queued) return queued;
    if (handler) return handler(entry);
    return { kind: 'stream', deltas: [...DEFAULT_FAKE_REPLY] };
  }

  function sendError(res: http.ServerResponse, status: number, type: FakeErrorType, message: string) {
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': `req_fake_${requests.length}`,
    });
    res.end(JSON.stringify({ type: 'error', error: { type, message } }));
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    // Lets waits end as soon as the client goes away or the server closes.
    const gone = new AbortController();
    live.add(gone);
    let dropped = false;
    const outcome = new Promise<FakeOutcome>((resolve) => {
      res.on('close', () => {
        live.delete(gone);
        gone.abort();
        resolve(dropped ? 'dropped' : res.writableFinished ? 'completed' : 'client-disconnected');
      });
    });

    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/messages') {
      sendError(
        res,
        404,
        'not_found_error',
        `The fake only serves POST /v1/messages, not ${req.method} ${req.url}`,
      );
      return;
    }
    let body: FakeMessagesBody;
    try {
      body = JSON.parse(raw) as FakeMessagesBody;
    } catch {
      sendError(res, 400, 'invalid_request_error', 'Request body is not JSON');
      return;
    }
    const entry = record(req, body, outcome);
    if (options.apiKey !== undefined && entry.apiKey !== options.apiKey) {
      sendError(res, 401, 'authentication_error', 'invalid API key');
      return;
    }
    if (body.stream !== true) {
      sendError(res, 400, 'invalid_request_error', 'The fake only supports stream: true');
      return;
    }

    const scenario = nextScenario(entry);
    if (scenario.kind === 'status') {
      const type = scenario.errorType ?? DEFAULT_ERROR_TYPE[scenario.status] ?? 'api_error';
      if (scenario.retryAfter !== undefined) res.setHeader('retry-after', String(scenario.retryAfter));
      if (scenario.retryAfterMs !== undefined) res.setHeader('retry-after-ms', String(scenario.retryAfterMs));
      sendError(res, scenario.status, type, scenario.message ?? DEFAULT_ERROR_MESSAGE[type]);
      return;
    }

    const write = (event: string, data: object): Promise<void> =>
      new Promise((resolve) => {
        if (gone.signal.aborted) return resolve();
        const done = (): void => {
          gone.signal.removeEventListener('abort', done);
          resolve();
        };
        // A write to a socket the client just closed may never call back.
        gone.signal.addEventListener('abort', done, { once: true });
        // Waiting for the flush keeps a following socket.destroy() from discarding what was written.
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`, done);
      });

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': `req_fake_${entry.number}`,
    });
    await write('message_start', {
      type: 'message_start',
      message: {
        id: `msg_fake_${entry.number}`,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens:
            (scenario.kind === 'stream' ? scenario.inputTokens : undefined) ?? wordCount(body.messages),
          output_tokens: 1,
        },
      },
    });
    await write('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    await write('ping', { type: 'ping' });

    const gated = scenario.gated ?? options.gated ?? false;
    const delayMs = scenario.delayMs ?? options.delayMs ?? 0;
    for (const [i, text] of scenario.deltas.entries()) {
      if (i > 0 && delayMs > 0) await sleep(delayMs, undefined, { signal: gone.signal }).catch(() => {});
      if (gated && !(await gate.acquire(gone.signal))) return;
      if (gone.signal.aborted) return;
      await write('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text },
      });
      entry.deltasSent++;
    }
    if (gone.signal.aborted) return;

    switch (scenario.kind) {
      case 'stream':
        await write('content_block_stop', { type: 'content_block_stop', index: 0 });
        await write('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: scenario.stopReason ?? 'end_turn', stop_sequence: null },
          usage: { output_tokens: scenario.outputTokens ?? scenario.deltas.length },
        });
        await write('message_stop', { type: 'message_stop' });
        res.end();
        return;
      case 'error-event-after':
        await write('error', {
          type: 'error',
          error: {
            type: scenario.errorType,
            message: scenario.message ?? DEFAULT_ERROR_MESSAGE[scenario.errorType],
          },
        });
        res.end();
        return;
      case 'drop-after':
        dropped = true;
        if (scenario.how === 'end') res.end();
        else res.socket?.destroy();
        return;
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the fake must fail the test loudly, not leave the client hanging.
      console.error('fake-anthropic handler failed', error);
      res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue(...scenarios) {
      queue.push(...scenarios);
    },
    setHandler(next) {
      handler = next;
    },
    waitForRequest(n = 1) {
      const existing = requests[n - 1];
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve) => requestWaiters.push({ n, resolve }));
    },
    release(n = 1) {
      gate.release(n);
    },
    openGate() {
      gate.setOpen(true);
    },
    closeGate() {
      gate.setOpen(false);
    },
    reset() {
      requests.length = 0;
      queue = [];
      handler = undefined;
      gate.setOpen(false);
    },
    close() {
      for (const controller of live) controller.abort();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
