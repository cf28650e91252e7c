/**
 * Configuration from the environment (see README "Configuration").
 * Invalid values fail fast with a one-line message that names the variable.
 */
import path from 'node:path';

export type LlmProviderName = 'anthropic' | 'echo';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Config {
  port: number;
  host: string;
  /** As given, e.g. `file:./data/streamgate.db`. */
  databaseUrl: string;
  /** Absolute path of the SQLite file. */
  databasePath: string;
  llmProvider: LlmProviderName;
  anthropicApiKey: string | undefined;
  anthropicBaseUrl: string | undefined;
  /** Retries of a request that failed before its stream started (429, 5xx, 529). */
  anthropicMaxRetries: number;
  defaultModel: string;
  logLevel: LogLevel;
  /** Milliseconds between two deltas of the echo provider. */
  echoDelayMs: number;
  /** How long recorded events of finished streams are kept; undefined keeps them forever. */
  retentionMs: number | undefined;
  /** Hard cap of a subscriber's outgoing backlog, in bytes, before it is disconnected with SLOW_CONSUMER. */
  slowConsumerMaxBytes: number;
  /** Longest time an event waits before its batch is committed (group commit). */
  recordFlushMs: number;
  /** Interval between SSE keep-alive comments. */
  keepAliveMs: number;
  /** Shared execution of SSE subscriptions per group, down to the socket (docs/benchmarks.md). */
  sharedFanout: boolean;
}

/** Thrown for invalid configuration; its message is one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const ECHO_MODEL = 'streamgate-echo';
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/** Resolves `file:<path>` (relative to the working directory) to an absolute path. */
export function databasePathFromUrl(url: string, cwd = process.cwd()): string {
  if (!url.startsWith('file:')) {
    throw new ConfigError(
      `DATABASE_URL must be a SQLite file URL like file:./data/streamgate.db, got "${url}"`,
    );
  }
  const file = url.slice('file:'.length).split('?')[0] ?? '';
  if (file === '') throw new ConfigError('DATABASE_URL must name a file after "file:"');
  if (file === ':memory:')
    throw new ConfigError('DATABASE_URL must name a file: the server and its migrations share it');
  return path.resolve(cwd, file);
}

export function loadConfig(env: Env = process.env): Config {
  const port = int(env, 'PORT', 4000, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const databaseUrl = env.DATABASE_URL || 'file:./data/streamgate.db';
  const databasePath = databasePathFromUrl(databaseUrl);
  const anthropicApiKey = env.ANTHROPIC_API_KEY || undefined;
  const llmProvider = oneOf(
    env,
    'LLM_PROVIDER',
    ['anthropic', 'echo'] as const,
    anthropicApiKey ? 'anthropic' : 'echo',
  );
  if (llmProvider === 'anthropic' && !anthropicApiKey) {
    throw new ConfigError('ANTHROPIC_API_KEY must be set when LLM_PROVIDER=anthropic');
  }
  const anthropicBaseUrl = env.ANTHROPIC_BASE_URL || undefined;
  if (anthropicBaseUrl !== undefined && !URL.canParse(anthropicBaseUrl)) {
    throw new ConfigError(`ANTHROPIC_BASE_URL must be a URL, got "${anthropicBaseUrl}"`);
  }
  const defaultModel = env.DEFAULT_MODEL || (llmProvider === 'echo' ? ECHO_MODEL : DEFAULT_ANTHROPIC_MODEL);
  const logLevel = oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info');
  const retentionRaw = env.STREAM_RETENTION_HOURS;
  let retentionMs: number | undefined;
  if (retentionRaw !== undefined && retentionRaw !== '' && retentionRaw !== 'forever') {
    const hours = Number(retentionRaw);
    if (!Number.isFinite(hours) || hours < 0) {
      throw new ConfigError(
        `STREAM_RETENTION_HOURS must be a number of hours >= 0 or "forever", got "${retentionRaw}"`,
      );
    }
    retentionMs = hours * 3_600_000;
  }
  return {
    port,
    host,
    databaseUrl,
    databasePath,
    llmProvider,
    anthropicApiKey,
    anthropicBaseUrl,
    anthropicMaxRetries: int(env, 'ANTHROPIC_MAX_RETRIES', 2, 0, 10),
    defaultModel,
    logLevel,
    echoDelayMs: int(env, 'ECHO_DELAY_MS', 20, 0, 60_000),
    retentionMs,
    slowConsumerMaxBytes: int(env, 'SLOW_CONSUMER_MAX_BYTES', 1_048_576, 1024),
    recordFlushMs: int(env, 'RECORD_FLUSH_MS', 20, 0, 50),
    keepAliveMs: int(env, 'SSE_KEEPALIVE_MS', env.NODE_ENV === 'test' ? 300 : 12_000, 10, 15_000),
    sharedFanout: oneOf(env, 'SHARED_FANOUT', ['on', 'off'] as const, 'on') === 'on',
  };
}
