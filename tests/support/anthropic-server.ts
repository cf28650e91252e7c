import type { FakeAnthropic } from './fake-anthropic.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';

/** The real server with the Anthropic provider pointed at a fake Anthropic server (no SDK retries). */
export function startServerWithFake(
  fake: FakeAnthropic,
  options: TestServerOptions = {},
): Promise<TestServer> {
  return startTestServer({
    ...options,
    env: {
      ANTHROPIC_API_KEY: 'sk-test-key',
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_MAX_RETRIES: '0',
      DEFAULT_MODEL: 'claude-test',
      ...options.env,
    },
  });
}

export const START_COMPLETION = `mutation Start($input: ChatCompletionInput!) {
  startCompletion(input: $input) { id status kind resourceId }
}`;

export const STREAM_QUERY = `query S($id: ID!) {
  stream(id: $id) {
    id status chunkCount subscriberCount kind
    error { code message retryable }
    stats { timeToFirstChunkMs durationMs chunksPerSecond bytes peakSubscribers outputTokens tokensPerSecond }
  }
}`;

export interface StreamData {
  id: string;
  status: string;
  chunkCount: number;
  subscriberCount: number;
  kind: string;
  error: { code: string; message: string; retryable: boolean } | null;
  stats: {
    timeToFirstChunkMs: number | null;
    durationMs: number | null;
    chunksPerSecond: number | null;
    bytes: number;
    peakSubscribers: number;
    outputTokens: number | null;
    tokensPerSecond: number | null;
  };
}

export async function startCompletion(server: TestServer, input: Record<string, unknown>): Promise<string> {
  const result = await server.gql<{ startCompletion: { id: string } }>(START_COMPLETION, { input });
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.startCompletion.id;
}

export async function getStream(server: TestServer, id: string): Promise<StreamData> {
  const result = await server.gql<{ stream: StreamData }>(STREAM_QUERY, { id });
  if (!result.data) throw new Error(JSON.stringify(result.errors));
  return result.data.stream;
}
