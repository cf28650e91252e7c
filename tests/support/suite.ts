/**
 * The lifecycle every end-to-end test file needs, declared once: a fake Anthropic server per file
 * (forgotten between tests), and the streamgate servers a test starts (closed, and their files
 * removed, after it).
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startServerWithFake } from './anthropic-server.js';
import { type FakeAnthropic, startFakeAnthropic } from './fake-anthropic.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';

/** The file's fake Anthropic server; usable in tests and hooks (it is started before the first). */
export function useFakeAnthropic(options: Parameters<typeof startFakeAnthropic>[0] = {}): FakeAnthropic {
  let current: FakeAnthropic | undefined;
  beforeAll(async () => {
    current = await startFakeAnthropic(options);
  });
  afterAll(async () => {
    await current?.close();
  });
  afterEach(() => current?.reset());
  return new Proxy({} as FakeAnthropic, {
    get(_target, property) {
      if (!current) throw new Error('the fake Anthropic server is only available inside tests');
      const value: unknown = Reflect.get(current, property, current);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}

export interface Servers {
  /** The server with the echo provider (or as configured by `options`). */
  start(options?: TestServerOptions): Promise<TestServer>;
  /** The server with the Anthropic provider pointed at `fake`. */
  withFake(fake: FakeAnthropic, options?: TestServerOptions): Promise<TestServer>;
}

/** Servers started through this are closed after each test, and their directories removed. */
export function useServers(): Servers {
  const started: TestServer[] = [];
  afterEach(async () => {
    const servers = started.splice(0);
    // All closed before any directory goes: a restarted server shares its predecessor's.
    for (const server of servers) await server.close({ keepFiles: true });
    for (const server of servers) rmSync(server.dir, { recursive: true, force: true });
  });
  const track = async (server: Promise<TestServer>) => {
    const running = await server;
    started.push(running);
    return running;
  };
  return {
    start: (options) => track(startTestServer(options)),
    withFake: (fake, options) => track(startServerWithFake(fake, options)),
  };
}
