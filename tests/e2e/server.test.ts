import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServerToExit, spawnServer } from '../support/process.js';
import { CHAT_COMPLETION, collect, startTestServer, type TestServer } from '../support/server.js';

describe('the HTTP server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers GET /health with 200 once ready', async () => {
    const response = await fetch(`${server.origin}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('serves GraphiQL from local assets only (no external script or style)', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('GraphiQL');
    expect(html.length).toBeGreaterThan(100_000);
    const external = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)=["']([^"']+)["']/gi)]
      .map((m) => m[1] ?? '')
      .filter((url) => /^(https?:)?\/\//.test(url));
    expect(external).toEqual([]);
    expect(html).not.toMatch(/@import\s+url\(["']?https?:/);
  });

  it('answers queries and mutations over POST /graphql', async () => {
    const created = await server.gql<{ createThread: { id: string; title: string } }>(
      'mutation { createThread(title: "  Plans ") { id title } }',
    );
    expect(created.data?.createThread.title).toBe('Plans');
    const id = created.data?.createThread.id;
    const renamed = await server.gql<{ renameThread: { title: string } }>(
      'mutation($id: ID!) { renameThread(id: $id, title: "Better plans") { title } }',
      { id },
    );
    expect(renamed.data?.renameThread.title).toBe('Better plans');
    const listed = await server.gql<{ threads: { id: string }[] }>('{ threads(first: 5) { id } }');
    expect(listed.data?.threads.map((t) => t.id)).toContain(id);
    const deleted = await server.gql<{ deleteThread: boolean }>(
      'mutation($id: ID!) { deleteThread(id: $id) }',
      { id },
    );
    expect(deleted.data?.deleteThread).toBe(true);
    const gone = await server.gql<{ thread: null }>('query($id: ID!) { thread(id: $id) { id } }', { id });
    expect(gone.data?.thread).toBeNull();
  });

  it('serves subscriptions over graphql-sse single-connection mode too', async () => {
    const results = await collect(server.client({ singleConnection: true }), CHAT_COMPLETION, {
      input: { prompt: 'single connection' },
    });
    expect(results.at(-1)?.data).toMatchObject({ chatCompletion: { __typename: 'CompletionFinished' } });
  });
});

describe('the server process', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'streamgate-proc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates and migrates its database on first start, serves, and stops cleanly on SIGTERM', async () => {
    const dbPath = path.join(dir, 'nested', 'fresh.db');
    const proc = await spawnServer({ DATABASE_URL: `file:${dbPath}` });
    expect(existsSync(dbPath)).toBe(true);
    expect((await fetch(`${proc.origin}/health`)).status).toBe(200);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    // The checkpointer's last full checkpoint leaves nothing behind in the write-ahead log.
    const wal = `${dbPath}-wal`;
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['LLM_PROVIDER', { LLM_PROVIDER: 'openai' }],
    ['ANTHROPIC_API_KEY', { LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: '' }],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://x' }],
  ])('fails fast with one line naming %s on invalid configuration', async (name, env) => {
    const { code, stderr } = await runServerToExit({
      DATABASE_URL: `file:${path.join(dir, 'cfg.db')}`,
      ...env,
    });
    expect(code).toBe(1);
    const lines = stderr
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('npm warn'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
  });
});
