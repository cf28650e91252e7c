/**
 * The offline provider: no network, no model. It repeats the prompt and says what it is, so a reply in a
 * UI or a log can never be mistaken for a model's output.
 */
import { ECHO_MODEL } from '../infra/config.js';
import { type LlmEvent, type LlmProvider, type LlmRequest, ProviderError } from './llm-provider.js';

/** Options of {@link EchoProvider}. */
export interface EchoProviderOptions {
  /** Pause between two deltas in ms; 0 streams as fast as the event loop allows. Default 0. */
  delayMs?: number;
}

/** Appended to every reply. */
export const ECHO_DISCLAIMER = 'This reply comes from the offline echo provider, not from a language model.';

/** Deterministic stand-in for a model: `Echo: <last user message>` plus {@link ECHO_DISCLAIMER}, word by word. */
export class EchoProvider implements LlmProvider {
  readonly name = 'echo';
  readonly defaultModel = ECHO_MODEL;
  readonly #delayMs: number;

  constructor(options: EchoProviderOptions = {}) {
    this.#delayMs = Math.max(0, options.delayMs ?? 0);
  }

  async *stream(request: LlmRequest): AsyncGenerator<LlmEvent, void, undefined> {
    const { signal } = request;
    if (signal.aborted) throw cancelled();
    const conversation = [request.system ?? '', ...request.messages.map((m) => m.content)];
    yield { type: 'usage', inputTokens: conversation.reduce((sum, text) => sum + countWords(text), 0) };

    const deltas = echoDeltas(request);
    // One delta stands for one token, so maxTokens caps the number of deltas.
    const limit = Math.max(0, Math.floor(request.maxTokens));
    const sent = deltas.slice(0, limit);
    for (const [i, text] of sent.entries()) {
      if (i > 0) await pause(this.#delayMs, signal);
      if (signal.aborted) throw cancelled();
      yield { type: 'text', text };
    }
    yield { type: 'usage', outputTokens: sent.length };
    yield { type: 'stop', stopReason: sent.length < deltas.length ? 'max_tokens' : 'end_turn' };
  }
}

/** The full, untruncated reply as word-sized deltas that concatenate to the reply text. */
export function echoDeltas(request: Pick<LlmRequest, 'messages'>): string[] {
  const lastUser = request.messages.findLast((m) => m.role === 'user');
  const prompt = lastUser?.content.trim() || '(empty message)';
  return splitWords(`Echo: ${prompt}\n\n${ECHO_DISCLAIMER}`);
}

function splitWords(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function cancelled(): ProviderError {
  return new ProviderError('CANCELLED', 'Echo stream cancelled', false);
}

/**
 * Waits `ms` (or one macrotask turn when 0, so a fast echo never starves other streams), rejecting with
 * CANCELLED as soon as `signal` aborts and clearing its timer so nothing outlives the stream.
 */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelled());
    const onAbort = (): void => {
      cancel();
      reject(cancelled());
    };
    const done = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    let cancel: () => void;
    if (ms > 0) {
      const timer = setTimeout(done, ms);
      cancel = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(done);
      cancel = () => clearImmediate(immediate);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
