import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ChatService, type CompletionRequest } from '../domain/chat-service.js';
import { notFound } from '../domain/errors.js';
import { ThreadService } from '../domain/thread-service.js';
import type { Config } from '../infra/config.js';
import { type DatabaseConnections, openDatabase } from '../infra/db/client.js';
import { SqlMessageRepository } from '../infra/db/message-repository.js';
import { applyMigrations, migrationsDirectory } from '../infra/db/migrate.js';
import { SqlStreamStore } from '../infra/db/stream-store.js';
import { PrismaThreadRepository } from '../infra/db/thread-repository.js';
import type { Logger } from '../infra/logger.js';
import { StopRequest } from '../lib/stop-request.js';
import { createProvider } from '../providers/create-provider.js';
import type { LlmProvider } from '../providers/llm-provider.js';
import { StreamEngine } from '../streams/engine.js';
import type { StreamInfo } from '../streams/model.js';
import { CHAT_COMPLETION, chatCompletionKind } from './chat-completion-kind.js';
import { feedSpec, ThreadFeed, threadFeedKind } from './thread-feed.js';

export interface StreamgateOptions {
  config: Config;
  logger: Logger;
  /** Replaces the provider chosen by the configuration (tests, embedding). */
  provider?: LlmProvider;
}

/**
 * The application without its transport: services, stream engine and storage wired together. The
 * GraphQL edge holds one of these; so can a test or another transport.
 */
export class Streamgate {
  readonly threads: ThreadService;
  readonly chat: ChatService;
  readonly messages: SqlMessageRepository;
  readonly engine: StreamEngine;
  readonly provider: LlmProvider;
  private retentionTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly db: DatabaseConnections,
    provider: LlmProvider,
  ) {
    this.provider = provider;
    this.engine = new StreamEngine({
      store: new SqlStreamStore(db.prisma, db.sqlite),
      logger,
      flushMs: config.recordFlushMs,
      backlog: {
        softBytes: Math.min(64 * 1024, config.slowConsumerMaxBytes / 4),
        hardBytes: config.slowConsumerMaxBytes,
      },
    });
    const sink = new ThreadFeed(this.engine);
    this.messages = new SqlMessageRepository(db.prisma, db.sqlite);
    this.threads = new ThreadService(new PrismaThreadRepository(db.prisma), sink);
    this.chat = new ChatService({
      messages: this.messages,
      provider,
      defaultModel: config.defaultModel,
      sink,
      onError: (error) => logger.error('completion error', { error }),
    });
    this.engine.registerKind(chatCompletionKind({ chat: this.chat, messages: this.messages, sink }));
    this.engine.registerKind(threadFeedKind);
  }

  /**
   * Migrates the database, opens it and closes what a previous process left LIVE. Resolves when the
   * server may accept requests.
   */
  static async open(options: StreamgateOptions): Promise<Streamgate> {
    const { config, logger } = options;
    migrate(config.databasePath, logger);
    const db = await openDatabase(config.databasePath, (message) =>
      logger.warn('WAL checkpoint failed', { message }),
    );
    const provider = options.provider ?? createProvider(config);
    const app = new Streamgate(config, logger, db, provider);
    await app.recover();
    if (config.retentionMs !== undefined) app.scheduleRetention(config.retentionMs);
    return app;
  }

  /** Starts a completion that runs whether or not anyone listens. */
  startCompletion(input: CompletionRequest, idempotencyKey?: string | null): Promise<StreamInfo> {
    return this.engine.start(CHAT_COMPLETION, input, { idempotencyKey: idempotencyKey ?? null });
  }

  /** The stream, or NOT_FOUND. */
  async requireStream(id: string): Promise<StreamInfo> {
    const stream = await this.engine.get(id);
    if (!stream) throw notFound('Stream', id);
    return stream;
  }

  /** Makes sure the thread's feed exists and returns it. */
  async openThreadFeed(threadId: string): Promise<StreamInfo | null> {
    return this.engine.openLog(feedSpec(threadId));
  }

  /** Deletes a thread: its live completions are cancelled, its feed ends, its streams go with it. */
  async deleteThread(id: string): Promise<boolean> {
    await this.engine.stopThread(id, new StopRequest('CANCELLED', 'The thread was deleted'));
    const deleted = await this.threads.delete(id);
    await this.engine.flush();
    await this.engine.deleteThreadStreams(id);
    return deleted;
  }

  async close(): Promise<void> {
    clearInterval(this.retentionTimer);
    await this.engine.shutdown();
    await this.db.close();
  }

  private async recover(): Promise<void> {
    const { interrupted } = await this.engine.recover();
    // Messages whose stream never got recorded (the process died in between) are interrupted too.
    for (const message of await this.messages.listUnfinished()) {
      const stream = message.streamId ? await this.engine.get(message.streamId) : null;
      if (stream?.status === 'LIVE') continue;
      const updated = await this.messages.update(message.id, {
        status: 'INTERRUPTED',
        error: {
          code: 'INTERRUPTED',
          message: 'The server stopped before the message was streamed',
          retryable: true,
        },
      });
      this.threads.reportMessageUpdated(updated);
    }
    await this.engine.flush();
    if (interrupted.length > 0)
      this.logger.warn('interrupted streams closed at start-up', { streams: interrupted });
  }

  private scheduleRetention(retentionMs: number): void {
    const run = () =>
      this.engine
        .prune(retentionMs)
        .then((pruned) => pruned > 0 && this.logger.info('pruned recorded events', { streams: pruned }))
        .catch((error: unknown) => this.logger.error('retention failed', { error }));
    void run();
    this.retentionTimer = setInterval(run, Math.max(60_000, Math.min(retentionMs / 4, 3_600_000)));
    this.retentionTimer.unref();
  }
}

function migrate(databasePath: string, logger: Logger): void {
  mkdirSync(path.dirname(databasePath), { recursive: true });
  const db = new Database(databasePath);
  try {
    db.pragma('journal_mode = WAL');
    const { applied } = applyMigrations(db, migrationsDirectory());
    if (applied.length > 0) logger.info('database migrated', { applied });
  } finally {
    db.close();
  }
}
