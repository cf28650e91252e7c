import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_COMPLETION, collect, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function subscriptionError(query: string, variables: Record<string, unknown>) {
  const results = await collect(server.client(), query, variables);
  expect(results).toHaveLength(1);
  const error = results[0]?.errors?.[0];
  expect(error).toBeDefined();
  expect(JSON.stringify(results)).not.toMatch(/\bat .*\.(ts|js):\d+/);
  return error as { message: string; extensions?: { code?: string } };
}

describe('bad input gets a GraphQL error with a stable code, and the server keeps serving', () => {
  it('no prompt: INVALID_INPUT', async () => {
    const error = await subscriptionError(CHAT_COMPLETION, { input: {} });
    expect(error.extensions?.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/prompt/);
  });

  it('blank prompt and out-of-range maxTokens: INVALID_INPUT', async () => {
    expect((await subscriptionError(CHAT_COMPLETION, { input: { prompt: '   ' } })).extensions?.code).toBe(
      'INVALID_INPUT',
    );
    const error = await subscriptionError(CHAT_COMPLETION, { input: { prompt: 'x', maxTokens: 0 } });
    expect(error.extensions?.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/maxTokens/);
  });

  it('unknown threadId: NOT_FOUND, and nothing is recorded', async () => {
    const before = await server.gql<{ streams: unknown[] }>('{ streams(first: 100) { id } }');
    const error = await subscriptionError(CHAT_COMPLETION, { input: { prompt: 'hi', threadId: 'thr_nope' } });
    expect(error.extensions?.code).toBe('NOT_FOUND');
    const after = await server.gql<{ streams: unknown[] }>('{ streams(first: 100) { id } }');
    expect(after.data?.streams).toHaveLength(before.data?.streams.length ?? -1);
  });

  it('malformed query: a parse error with a code, over both transports', async () => {
    const error = await subscriptionError('subscription { chatCompletion(input: {prompt: "x"}) { ', {});
    expect(error.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const overHttp = await server.gql('query { nope');
    expect(overHttp.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('unknown field: a validation error with a code', async () => {
    const result = await server.gql('{ threadz { id } }');
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('mutations validate too', async () => {
    const rename = await server.gql('mutation { renameThread(id: "thr_missing", title: "x") { id } }');
    expect(rename.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const cancel = await server.gql('mutation { cancelStream(id: "str_missing") { id } }');
    expect(cancel.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('still serves a completion after all of the above', async () => {
    const results = await collect(server.client(), CHAT_COMPLETION, { input: { prompt: 'still alive?' } });
    expect(results.at(-1)?.data).toMatchObject({ chatCompletion: { __typename: 'CompletionFinished' } });
  });
});
