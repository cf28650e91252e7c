/** Starting the servers under test and the load client, each as its own child process. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep } from './lib/clock.js';
import { type Child, messageOfType, registerTempDir, releaseTempDir, spawnNode } from './lib/proc.js';
import type {
  ArmedReport,
  ClosedReport,
  ConnectedReport,
  DoneReport,
  RawCommand,
  RawReport,
} from './lib/protocol.js';

const PRELOAD = './bench/lib/server-preload.ts';

/**
 * Both servers run the same way: --expose-gc plus the preload (forced settle on SIGUSR2, exit with the
 * harness), NODE_ENV=production (graphql-js skips its development-only checks there, as in a deployment).
 */
const SERVER_FLAGS = { nodeFlags: ['--expose-gc'], preload: [PRELOAD] };

export interface OursServer {
  readonly child: Child;
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** POST /graphql with a JSON body; throws on GraphQL errors. */
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Starts a completion (the provider plan must be queued first); returns its stream id. */
  startCompletion(prompt: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startOurs(
  providerUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<OursServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'streamgate-bench-'));
  registerTempDir(dir);
  const child = spawnNode('streamgate', 'src/main.ts', {
    ...SERVER_FLAGS,
    env: {
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `file:${path.join(dir, 'bench.db')}`,
      LLM_PROVIDER: 'anthropic',
      ANTHROPIC_API_KEY: 'x',
      ANTHROPIC_BASE_URL: providerUrl,
      ANTHROPIC_MAX_RETRIES: '0',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
  });
  let origin: string;
  try {
    const match = await child.waitForStdout(/streamgate listening on (http:\/\/\S+)/, 60_000);
    origin = new URL(match[1]?.replace('localhost', '127.0.0.1') ?? '').origin;
  } catch (error) {
    await child.stop(0);
    releaseTempDir(dir);
    throw error;
  }
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as { data?: T; errors?: unknown[] };
    if (result.errors?.length || !result.data)
      throw new Error(`GraphQL error: ${JSON.stringify(result.errors)}`);
    return result.data;
  };
  return {
    child,
    origin,
    gql,
    async startCompletion(prompt) {
      const data = await gql<{ startCompletion: { id: string } }>(
        'mutation ($prompt: String!) { startCompletion(input: { prompt: $prompt }) { id } }',
        { prompt },
      );
      return data.startCompletion.id;
    },
    async stop() {
      await child.stop();
      releaseTempDir(dir);
    },
  };
}

/** The subscription every fan-out client sends (one scalar of text, as a UI would select). */
export const FANOUT_SUBSCRIPTION =
  'subscription ($id: ID!) { chatCompletion(input: { streamId: $id }) { __typename seq ... on CompletionDelta { text } } }';

export const ENDPOINTS = {
  /** graphql-sse plugin, distinct-connections mode. */
  'graphql-sse': '/graphql/stream',
  /** Yoga's built-in SSE (POST with Accept: text/event-stream). */
  'yoga-sse': '/graphql',
} as const;
export type Endpoint = keyof typeof ENDPOINTS;

export interface RawServer {
  readonly child: Child;
  /** URL subscribers POST to. */
  readonly url: string;
  command(command: RawCommand): void;
  waitFor<T extends RawReport['type']>(type: T, timeoutMs?: number): Promise<Extract<RawReport, { type: T }>>;
  stop(): Promise<void>;
}

export async function startRaw(): Promise<RawServer> {
  const child = spawnNode('raw-sse', 'bench/raw-sse-server.ts', {
    ...SERVER_FLAGS,
    env: { NODE_ENV: 'production' },
  });
  const match = await child
    .waitForStdout(/raw-sse listening on (http:\/\/\S+)/)
    .catch(async (error: unknown) => {
      await child.stop(0);
      throw error;
    });
  return {
    child,
    url: match[1] ?? '',
    command: (command) => child.send(command),
    waitFor: <T extends RawReport['type']>(type: T, timeoutMs?: number) =>
      child.nextMessage(messageOfType<Extract<RawReport, { type: T }>>(type), timeoutMs),
    stop: () => child.stop(),
  };
}

/** The load client process and its IPC commands. */
export interface LoadClient {
  readonly child: Child;
  connect(url: string, body: object, count: number): Promise<ConnectedReport>;
  arm(lastSeq: number, latency: boolean): Promise<void>;
  done(timeoutMs?: number): Promise<DoneReport>;
  close(): Promise<void>;
  stop(): Promise<void>;
}

export function startLoadClient(): LoadClient {
  const child = spawnNode('load-client', 'bench/load-client.ts', { env: { NODE_ENV: 'production' } });
  return {
    child,
    async connect(url, body, count) {
      child.send({ type: 'connect', url, body: JSON.stringify(body), count, concurrency: 100 });
      const report = await child.nextMessage(messageOfType<ConnectedReport>('connected'), 180_000);
      if (report.failed > 0)
        throw new Error(`${report.failed} of ${count} subscribers failed to join: ${report.firstError}`);
      return report;
    },
    async arm(lastSeq, latency) {
      child.send({ type: 'arm', lastSeq, latency });
      await child.nextMessage(messageOfType<ArmedReport>('armed'));
    },
    done: (timeoutMs = 180_000) => child.nextMessage(messageOfType<DoneReport>('done'), timeoutMs),
    async close() {
      child.send({ type: 'close' });
      await child.nextMessage(messageOfType<ClosedReport>('closed'));
      // Let the server notice the closed sockets and tear the subscriptions down before the next step.
      await sleep(300);
    },
    stop: () => child.stop(),
  };
}

/**
 * Full GCs through the preload (SIGUSR2), with pauses so V8 can hand freed pages back, three times:
 * one GC leaves garbage that finalizers and weak callbacks only release in the next one.
 */
export async function forceSettle(pid: number): Promise<void> {
  for (let i = 0; i < 3; i++) {
    process.kill(pid, 'SIGUSR2');
    await sleep(400);
  }
}
