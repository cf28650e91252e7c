import { describe, expect, it } from 'vitest';
import { ECHO_MODEL } from '../../src/infra/config.js';
import { createProvider } from '../../src/providers/create-provider.js';
import { ECHO_DISCLAIMER, EchoProvider } from '../../src/providers/echo-provider.js';
import { type LlmEvent, type LlmRequest, ProviderError } from '../../src/providers/llm-provider.js';

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: ECHO_MODEL,
    system: 'Be brief.',
    messages: [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'hello streaming world' },
    ],
    maxTokens: 1000,
    signal: new AbortController().signal,
    ...overrides,
  };
}

async function collect(iterable: AsyncIterable<LlmEvent>): Promise<LlmEvent[]> {
  const events: LlmEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

const texts = (events: LlmEvent[]): string[] => events.flatMap((e) => (e.type === 'text' ? [e.text] : []));

/** Timers and immediates currently keeping the event loop alive. */
function pendingTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
}

describe('EchoProvider', () => {
  it('is named so nobody mistakes it for a model', () => {
    const echo = new EchoProvider();
    expect(echo.name).toBe('echo');
    expect(echo.defaultModel).toBe(ECHO_MODEL);
  });

  it('echoes the last user message word by word, deterministically, with usage and stop reason', async () => {
    const echo = new EchoProvider({ delayMs: 0 });

    const first = await collect(echo.stream(request()));
    const second = await collect(echo.stream(request()));

    expect(second).toEqual(first);
    const deltas = texts(first);
    expect(deltas.join('')).toBe(`Echo: hello streaming world\n\n${ECHO_DISCLAIMER}`);
    for (const delta of deltas) expect(delta).toMatch(/^\s*\S+$/);
    // "Be brief." + the three messages: 2 + 2 + 2 + 3 words.
    expect(first[0]).toEqual({ type: 'usage', inputTokens: 9 });
    expect(first.slice(-2)).toEqual([
      { type: 'usage', outputTokens: deltas.length },
      { type: 'stop', stopReason: 'end_turn' },
    ]);
  });

  it('stops after maxTokens deltas with stop reason max_tokens', async () => {
    const events = await collect(new EchoProvider().stream(request({ maxTokens: 3 })));

    expect(texts(events)).toEqual(['Echo:', ' hello', ' streaming']);
    expect(events.slice(-2)).toEqual([
      { type: 'usage', outputTokens: 3 },
      { type: 'stop', stopReason: 'max_tokens' },
    ]);
  });

  it('still yields to the event loop between deltas when delayMs is 0', async () => {
    const ran = new Set<number>();
    let count = 0;
    for await (const event of new EchoProvider({ delayMs: 0 }).stream(request())) {
      if (event.type !== 'text') continue;
      if (count > 0) expect(ran.has(count - 1)).toBe(true);
      const index = count++;
      setImmediate(() => ran.add(index));
    }
    expect(count).toBeGreaterThan(2);
  });

  it('throws CANCELLED promptly on abort mid-stream and leaves no timer behind', async () => {
    const controller = new AbortController();
    const baseline = pendingTimers();
    // A one-minute pace outlives the test timeout, so only a prompt cancellation passes.
    const iterator = new EchoProvider({ delayMs: 60_000 })
      .stream(request({ signal: controller.signal }))
      [Symbol.asyncIterator]();

    expect((await iterator.next()).value).toMatchObject({ type: 'usage' });
    expect((await iterator.next()).value).toEqual({ type: 'text', text: 'Echo:' });
    const pending = iterator.next();
    expect(pendingTimers()).toBe(baseline + 1);
    controller.abort();

    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED', retryable: false });
    expect(pendingTimers()).toBe(baseline);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('throws CANCELLED before any event when the signal is already aborted', async () => {
    const events: LlmEvent[] = [];
    const error = await (async () => {
      for await (const event of new EchoProvider().stream(request({ signal: AbortSignal.abort() }))) {
        events.push(event);
      }
    })().catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'CANCELLED' });
    expect(events).toEqual([]);
  });

  it('says so when the last user message is empty', async () => {
    const events = await collect(
      new EchoProvider().stream(request({ messages: [{ role: 'user', content: '  ' }] })),
    );

    expect(texts(events).join('')).toMatch(/^Echo: \(empty message\)/);
  });
});

describe('createProvider (echo)', () => {
  it('builds an EchoProvider that keeps its own model name', async () => {
    const configured = createProvider({
      llmProvider: 'echo',
      anthropicApiKey: undefined,
      anthropicBaseUrl: undefined,
      defaultModel: 'claude-something',
      anthropicMaxRetries: 0,
      echoDelayMs: 0,
    });

    expect(configured).toBeInstanceOf(EchoProvider);
    expect(configured.defaultModel).toBe(ECHO_MODEL);
    expect(texts(await collect(configured.stream(request()))).join('')).toContain('hello streaming world');
  });
});
