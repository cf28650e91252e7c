import type { Message, MessageRole, MessageStatus, Thread } from '../../domain/model.js';
import type {
  BeginExchangeInput,
  BeginExchangeResult,
  MessagePatch,
  MessageRepository,
} from '../../domain/ports.js';
import { type Db, type Sqlite, sqliteDate } from './client.js';
import { type ThreadRow, toThread } from './thread-repository.js';

/** A Message row as better-sqlite3 returns it. */
interface MessageRow {
  id: string;
  threadId: string;
  position: number;
  role: string;
  content: string;
  status: string;
  model: string | null;
  streamId: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  stopReason: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorRetryable: number | boolean | null;
  createdAt: string | Date;
  updatedAt: string | Date;
}

const PATCHABLE = ['content', 'status', 'stopReason', 'usage', 'error'] as const;

/**
 * Messages. Starting an exchange and updating a streaming message are on the path of every completion,
 * so they run as prepared statements in synchronous transactions (see client.ts); reads go through
 * Prisma.
 */
export class SqlMessageRepository implements MessageRepository {
  private readonly statements;
  private readonly updates = new Map<string, ReturnType<Sqlite['prepare']>>();
  private readonly begin: (input: BeginExchangeInput) => BeginExchangeResult | null;

  constructor(
    private readonly db: Db,
    private readonly sqlite: Sqlite,
  ) {
    this.statements = {
      insertThread: sqlite.prepare(
        'INSERT INTO "Thread" ("id", "title", "createdAt", "updatedAt") VALUES (?, ?, ?, ?) RETURNING *',
      ),
      touchThread: sqlite.prepare('UPDATE "Thread" SET "updatedAt" = ? WHERE "id" = ? RETURNING *'),
      history: sqlite.prepare('SELECT * FROM "Message" WHERE "threadId" = ? ORDER BY "position"'),
      insertMessage: sqlite.prepare(
        `INSERT INTO "Message" ("id", "threadId", "position", "role", "content", "status", "model", "streamId", "createdAt", "updatedAt")
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
    };
    this.begin = sqlite.transaction((input: BeginExchangeInput) => this.beginSync(input));
  }

  async beginExchange(input: BeginExchangeInput): Promise<BeginExchangeResult | null> {
    return this.begin(input);
  }

  async get(id: string): Promise<Message | null> {
    const row = await this.db.message.findUnique({ where: { id } });
    return row ? toMessage(row) : null;
  }

  async listByThread(threadId: string, last?: number): Promise<Message[]> {
    if (last === undefined) {
      const rows = await this.db.message.findMany({ where: { threadId }, orderBy: { position: 'asc' } });
      return rows.map(toMessage);
    }
    const rows = await this.db.message.findMany({
      where: { threadId },
      orderBy: { position: 'desc' },
      take: last,
    });
    return rows.reverse().map(toMessage);
  }

  async update(id: string, patch: MessagePatch): Promise<Message> {
    const fields = PATCHABLE.filter((field) => patch[field] !== undefined);
    const key = fields.join(',');
    let statement = this.updates.get(key);
    if (!statement) {
      const sets = ['"updatedAt" = @updatedAt'];
      if (patch.content !== undefined) sets.push('"content" = @content');
      if (patch.status !== undefined) sets.push('"status" = @status');
      if (patch.stopReason !== undefined) sets.push('"stopReason" = @stopReason');
      if (patch.usage !== undefined)
        sets.push('"inputTokens" = @inputTokens', '"outputTokens" = @outputTokens');
      if (patch.error !== undefined) {
        sets.push(
          '"errorCode" = @errorCode',
          '"errorMessage" = @errorMessage',
          '"errorRetryable" = @errorRetryable',
        );
      }
      statement = this.sqlite.prepare(`UPDATE "Message" SET ${sets.join(', ')} WHERE "id" = @id RETURNING *`);
      this.updates.set(key, statement);
    }
    const params: Record<string, unknown> = { id, updatedAt: sqliteDate(new Date()) };
    if (patch.content !== undefined) params.content = patch.content;
    if (patch.status !== undefined) params.status = patch.status;
    if (patch.stopReason !== undefined) params.stopReason = patch.stopReason;
    if (patch.usage !== undefined) {
      params.inputTokens = patch.usage?.inputTokens ?? null;
      params.outputTokens = patch.usage?.outputTokens ?? null;
    }
    if (patch.error !== undefined) {
      params.errorCode = patch.error?.code ?? null;
      params.errorMessage = patch.error?.message ?? null;
      params.errorRetryable = patch.error ? (patch.error.retryable ? 1 : 0) : null;
    }
    const row = statement.get(params) as MessageRow | undefined;
    if (!row) throw new Error(`message ${id} does not exist`);
    return toMessage(row);
  }

  async listUnfinished(): Promise<Message[]> {
    const rows = await this.db.message.findMany({
      where: { status: { in: ['PENDING', 'STREAMING'] } },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toMessage);
  }

  private beginSync(input: BeginExchangeInput): BeginExchangeResult | null {
    const now = sqliteDate(new Date());
    const s = this.statements;
    let thread: Thread;
    let history: Message[] = [];
    if ('create' in input.thread) {
      const { id, title } = input.thread.create;
      thread = toThread(s.insertThread.get(id, title, now, now) as ThreadRow);
    } else {
      const touched = s.touchThread.get(now, input.thread.existingId) as ThreadRow | undefined;
      if (!touched) return null;
      thread = toThread(touched);
      history = (s.history.all(thread.id) as MessageRow[]).map(toMessage);
    }
    const position = (history.at(-1)?.position ?? 0) + 1;
    const user = s.insertMessage.get(
      input.user.id,
      thread.id,
      position,
      'USER',
      input.user.content,
      'COMPLETE',
      null,
      null,
      now,
      now,
    );
    const assistant = s.insertMessage.get(
      input.assistant.id,
      thread.id,
      position + 1,
      'ASSISTANT',
      '',
      'PENDING',
      input.assistant.model,
      input.assistant.streamId,
      now,
      now,
    );
    return {
      thread,
      history,
      user: toMessage(user as MessageRow),
      assistant: toMessage(assistant as MessageRow),
    };
  }
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    threadId: row.threadId,
    position: row.position,
    role: row.role as MessageRole,
    content: row.content,
    status: row.status as MessageStatus,
    model: row.model,
    streamId: row.streamId,
    usage:
      row.inputTokens === null && row.outputTokens === null
        ? null
        : { inputTokens: row.inputTokens ?? 0, outputTokens: row.outputTokens ?? 0 },
    stopReason: row.stopReason,
    error: row.errorCode
      ? { code: row.errorCode, message: row.errorMessage ?? '', retryable: Boolean(row.errorRetryable) }
      : null,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}
