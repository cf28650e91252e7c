/**
 * The load client: a separate process (forked by the harness) holding K SSE requests over raw
 * node:http, so its work neither runs on the server's event loop nor on the harness's. Identical for
 * every server under test: it counts `event: next` frames and reads only `"seq":` (and, in latency
 * mode, the producer timestamp) out of them.
 */
import http from 'node:http';
import { monoMs } from './lib/clock.js';
import type {
  ArmCommand,
  ClientCommand,
  ConnectCommand,
  ConnectedReport,
  DoneReport,
} from './lib/protocol.js';
import { frameKind, SseScanner, seqOf, stampOf } from './lib/sse.js';

interface Subscriber {
  request: http.ClientRequest;
  seq: number;
  ready: boolean;
  reached: boolean;
  ended: boolean;
}

const subscribers: Subscriber[] = [];
let armed: (ArmCommand & { cpu: NodeJS.CpuUsage }) | undefined;
let frames = 0;
let bytes = 0;
let reached = 0;
let failed = 0;
let lastAt = 0;
let latencies: number[] = [];
let firstError: string | undefined;
let onReady: (() => void) | undefined;

const send = (message: object): void => {
  process.send?.(message);
};

function noteError(error: string): void {
  firstError ??= error;
}

function finishIfDone(): void {
  if (!armed || reached + failed < subscribers.length) return;
  const cpu = process.cpuUsage(armed.cpu);
  const report: DoneReport = {
    type: 'done',
    lastAt,
    frames,
    bytes,
    reached,
    failed,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    ...(armed.latency && { latencies }),
    ...(firstError !== undefined && { firstError }),
  };
  armed = undefined;
  latencies = [];
  send(report);
}

function open(command: ConnectCommand, subscriber: Partial<Subscriber>, settle: () => void): void {
  const url = new URL(command.url);
  const request = http.request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    // One socket per subscriber, as K separate browsers would have.
    agent: false,
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'content-length': Buffer.byteLength(command.body),
    },
  });
  const self = subscriber as Subscriber;
  self.request = request;
  self.seq = 0;
  self.ready = false;
  self.reached = false;
  self.ended = false;
  let settled = false;
  const settleOnce = () => {
    if (settled) return;
    settled = true;
    settle();
  };

  let now = 0;
  const scanner = new SseScanner((text, start, end) => {
    const kind = frameKind(text, start);
    if (kind !== 'next') return;
    const seq = seqOf(text, start, end);
    if (seq > self.seq) self.seq = seq;
    if (!self.ready) {
      self.ready = true;
      settleOnce();
    }
    if (!armed) return;
    frames++;
    if (armed.latency) {
      const stamp = stampOf(text, start, end);
      if (!Number.isNaN(stamp)) latencies.push(now - stamp);
    }
    if (!self.reached && self.seq >= armed.lastSeq) {
      self.reached = true;
      reached++;
      lastAt = now;
    }
  });

  request.on('response', (response) => {
    if (response.statusCode !== 200) {
      noteError(`HTTP ${response.statusCode}`);
      response.resume();
    }
    response.on('data', (chunk: Buffer) => {
      now = monoMs();
      if (armed) bytes += chunk.length;
      scanner.push(chunk);
      if (armed && self.reached) finishIfDone();
    });
    response.on('close', () => end('response ended'));
  });
  const end = (why: string) => {
    if (self.ended) return;
    self.ended = true;
    if (!self.ready) {
      noteError(why);
      settleOnce();
    }
    if (armed && !self.reached) {
      noteError(`${why} at seq ${self.seq}`);
      failed++;
      finishIfDone();
    }
  };
  request.on('error', (error) => end(error.message));
  request.end(command.body);
}

async function connect(command: ConnectCommand): Promise<void> {
  const started = monoMs();
  // Subscribers accumulate across connects (the memory scenario joins in steps): report on this batch.
  const first = subscribers.length;
  let next = 0;
  let settledCount = 0;
  await new Promise<void>((resolve) => {
    onReady = resolve;
    const launch = () => {
      while (next < command.count && next - settledCount < command.concurrency) {
        next++;
        const subscriber: Partial<Subscriber> = {};
        subscribers.push(subscriber as Subscriber);
        open(command, subscriber, () => {
          settledCount++;
          if (settledCount === command.count) onReady?.();
          else launch();
        });
      }
    };
    if (command.count === 0) resolve();
    else launch();
  });
  const ready = subscribers.slice(first).filter((s) => s.ready && !s.ended).length;
  const report: ConnectedReport = {
    type: 'connected',
    ready,
    failed: command.count - ready,
    ms: monoMs() - started,
    ...(firstError !== undefined && { firstError }),
  };
  send(report);
}

function arm(command: ArmCommand): void {
  frames = 0;
  bytes = 0;
  reached = 0;
  failed = 0;
  lastAt = 0;
  latencies = [];
  firstError = undefined;
  armed = { ...command, cpu: process.cpuUsage() };
  for (const subscriber of subscribers) {
    if (subscriber.ended) failed++;
    else if (subscriber.seq >= command.lastSeq) {
      subscriber.reached = true;
      reached++;
    } else subscriber.reached = false;
  }
  send({ type: 'armed' });
  finishIfDone();
}

function close(): void {
  armed = undefined;
  for (const subscriber of subscribers.splice(0)) {
    subscriber.ended = true;
    subscriber.request.destroy();
  }
  firstError = undefined;
  send({ type: 'closed' });
}

process.on('message', (message: ClientCommand) => {
  switch (message.type) {
    case 'connect':
      void connect(message);
      return;
    case 'arm':
      arm(message);
      return;
    case 'close':
      close();
      return;
  }
});
// The harness is gone (even by SIGKILL): nothing left to measure.
process.on('disconnect', () => process.exit(0));
