import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Streamgate, type StreamgateOptions } from '../../app/streamgate.js';
import { createStreamgateYoga, GRAPHQL_PATH, type StreamgateYoga } from '../yoga.js';

export interface RunningServer {
  /** e.g. http://127.0.0.1:4000/graphql */
  readonly url: string;
  readonly port: number;
  readonly app: Streamgate;
  readonly yoga: StreamgateYoga;
  readonly http: Server;
  /** Stops accepting requests, ends live generations (INTERRUPTED), commits everything, closes. */
  close(): Promise<void>;
}

/** Opens the application (migrations, recovery), then listens. `GET /health` is 200 from then on. */
export async function startServer(options: StreamgateOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const app = await Streamgate.open(options);
  let ready = true;
  const yoga = createStreamgateYoga(app, { isReady: () => ready });
  const http = createServer(yoga);
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

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      ready = false;
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      await app.engine.shutdown();
      // Let the terminal events just delivered reach the sockets before cutting them.
      await nextTurn();
      http.closeAllConnections();
      await stopped;
      await app.close();
      logger.info('streamgate stopped');
    })();
    return closing;
  };

  return { url, port, app, yoga, http, close };
}
