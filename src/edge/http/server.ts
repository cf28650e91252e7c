import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Streamgate, type StreamgateOptions } from '../../app/streamgate.js';
import { Fanout } from '../fanout/fanout.js';
import { createStreamgateYoga, GRAPHQL_PATH, type StreamgateYoga } from '../yoga.js';
import { createRequestHandler } from './request-handler.js';

export interface RunningServer {
  /** e.g. http://127.0.0.1:4000/graphql */
  readonly url: string;
  readonly port: number;
  readonly app: Streamgate;
  readonly yoga: StreamgateYoga;
  readonly http: Server;
  /** The shared fan-out (null when SHARED_FANOUT=off). */
  readonly fanout: Fanout | null;
  /** Stops accepting requests, ends live generations (INTERRUPTED), commits everything, closes. */
  close(): Promise<void>;
}

/** Opens the application (migrations, recovery), then listens. `GET /health` is 200 from then on. */
export async function startServer(options: StreamgateOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const app = await Streamgate.open(options);
  let ready = true;
  const yoga = createStreamgateYoga(app, { isReady: () => ready });
  const fanout = config.sharedFanout
    ? new Fanout({
        engine: app.engine,
        keepAliveMs: config.keepAliveMs,
        hardCapBytes: config.slowConsumerMaxBytes,
        onUnexpected: (error) => logger.error('fan-out group failed', { error }),
      })
    : null;
  const http = createServer(
    createRequestHandler(yoga, fanout, (error) => logger.error('request failed', { error })),
  );
  // SSE responses are long-lived: no request timeout may cut them.
  http.requestTimeout = 0;
  http.headersTimeout = 60_000;
  http.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${GRAPHQL_PATH}`;

  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  // First listener, so its 'close' handler predates anything a request handler adds (and may remove).
  http.prependListener('request', (_req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) onIdle?.();
    });
  });
  const drained = () =>
    new Promise<void>((resolve) => {
      if (inFlight === 0) resolve();
      else onIdle = resolve;
    });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      ready = false;
      // Not http.close() yet: it also drops connections it deems idle, which cut SSE responses
      // before their last event.
      await app.engine.shutdown();
      // Every subscription has just ended (a terminal event or a retryable error): let those last
      // bytes reach the sockets, then cut whatever is still open.
      await Promise.race([drained(), delay(2000)]);
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      // end() (not destroy) so bytes still buffered in a socket are flushed before it closes.
      for (const socket of sockets) socket.end();
      await Promise.race([stopped, delay(1000)]);
      http.closeAllConnections();
      await stopped;
      await app.close();
      logger.info('streamgate stopped');
    })();
    return closing;
  };

  return { url, port, app, yoga, http, fanout, close };
}
