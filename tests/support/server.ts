/**
 * Starts the real server (Yoga over node:http on an ephemeral port) on a fresh SQLite file, and gives
 * tests the real graphql-sse client and plain HTTP helpers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionResult } from 'graphql';
import { type Client, createClient } from 'graphql-sse';
import { type RunningServer, startServer } from '../../src/edge/http/server.js';
import { type Config, loadConfig } from '../../src/infra/config.js';
import { createLogger } from '../../src/infra/logger.js';
import type { LlmProvider } from '../../src/providers/llm-provider.js';

export interface TestServer {
  server: RunningServer;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** .../graphql */
  url: string;
  /** .../graphql/stream (graphql-sse) */
  streamUrl: string;
  dir: string;
  dbPath: string;
  config: Config;
  /** A graphql-sse client (distinct-connections mode unless asked), without retries. */
  client(options?: { singleConnection?: boolean }): Client;
  /** POST a query or mutation; returns the JSON result. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<ExecutionResult<T>>;
  /** Stops the server; `keepFiles` keeps its directory (and database) for a restart. */
  close(options?: { keepFiles?: boolean }): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  provider?: LlmProvider;
  /** Reuse a directory (and its database) from an earlier server. */
  dir?: string;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'streamgate-test-'));
  const dbPath = path.join(dir, 'test.db');
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `file:${dbPath}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ECHO_DELAY_MS: '0',
    ...options.env,
  });
  const server = await startServer({
    config,
    logger: createLogger(config.logLevel),
    ...(options.provider && { provider: options.provider }),
  });
  const origin = `http://127.0.0.1:${server.port}`;
  let closed = false;
  return {
    server,
    origin,
    url: `${origin}/graphql`,
    streamUrl: `${origin}/graphql/stream`,
    dir,
    dbPath,
    config,
    client(clientOptions = {}) {
      const client = createClient({
        url: `${origin}/graphql/stream`,
        singleConnection: clientOptions.singleConnection ?? false,
        retryAttempts: 0,
      });
      return client;
    },
    async gql(query, variables) {
      const response = await fetch(`${origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as ExecutionResult<never>;
    },
    async close(closeOptions = {}) {
      if (closed) return;
      closed = true;
      // Clients are not disposed: a subscription still reading would lose its last events; the server
      // ends every stream as it stops, and the clients do not retry.
      await server.close();
      if (!options.dir && !closeOptions.keepFiles) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a subscription to its end through the client; returns every result. */
export async function collect<T = Record<string, unknown>>(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
  options: { take?: number } = {},
): Promise<ExecutionResult<T>[]> {
  const results: ExecutionResult<T>[] = [];
  const iterator = client.iterate<T>({ query, variables: variables ?? {} });
  for await (const result of iterator) {
    results.push(result as ExecutionResult<T>);
    if (options.take !== undefined && results.length >= options.take) {
      await iterator.return?.();
      break;
    }
  }
  return results;
}

export const COMPLETION_FIELDS = `
  __typename streamId seq cursor at messageId
  ... on CompletionStarted { model message { id status role } thread { id title } }
  ... on CompletionDelta { text }
  ... on CompletionFinished { stopReason usage { inputTokens outputTokens } message { id content status usage { inputTokens outputTokens } } }
  ... on CompletionFailed { error { code message retryable } message { id content status } }
`;

export const CHAT_COMPLETION = `subscription Chat($input: ChatCompletionInput!) {
  chatCompletion(input: $input) { ${COMPLETION_FIELDS} }
}`;

/** The events of a chatCompletion subscription result list (throws on a GraphQL error). */
export function completionEvents(
  results: ExecutionResult<{ chatCompletion: CompletionEventData }>[],
): CompletionEventData[] {
  return results.map((result) => {
    if (result.errors?.length || !result.data)
      throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
    return result.data.chatCompletion;
  });
}

export interface CompletionEventData {
  __typename: 'CompletionStarted' | 'CompletionDelta' | 'CompletionFinished' | 'CompletionFailed';
  streamId: string;
  seq: number;
  cursor: string;
  at: string;
  messageId: string;
  model?: string;
  text?: string;
  stopReason?: string | null;
  usage?: { inputTokens: number; outputTokens: number } | null;
  message?: { id: string; content?: string; status: string; role?: string };
  thread?: { id: string; title: string | null };
  error?: { code: string; message: string; retryable: boolean };
}
