import { type Config, ConfigError } from '../infra/config.js';
import { AnthropicProvider } from './anthropic-provider.js';
import { EchoProvider } from './echo-provider.js';
import type { LlmProvider } from './llm-provider.js';

/** The provider settings of {@link Config}. */
export type ProviderConfig = Pick<
  Config,
  | 'llmProvider'
  | 'anthropicApiKey'
  | 'anthropicBaseUrl'
  | 'anthropicMaxRetries'
  | 'defaultModel'
  | 'echoDelayMs'
>;

/**
 * Builds the configured provider. The echo provider keeps its own model name whatever DEFAULT_MODEL says,
 * so its output is never labelled as a real model's.
 */
export function createProvider(config: ProviderConfig): LlmProvider {
  switch (config.llmProvider) {
    case 'anthropic':
      // loadConfig already enforces this; a hand-built config must not produce a keyless client.
      if (!config.anthropicApiKey) {
        throw new ConfigError('ANTHROPIC_API_KEY must be set when LLM_PROVIDER=anthropic');
      }
      return new AnthropicProvider({
        apiKey: config.anthropicApiKey,
        baseURL: config.anthropicBaseUrl,
        defaultModel: config.defaultModel,
        maxRetries: config.anthropicMaxRetries,
      });
    case 'echo':
      return new EchoProvider({ delayMs: config.echoDelayMs });
  }
}
