import type { Message, MessageRole, MessageStatus } from '../../domain/model.js';
import type {
  BeginExchangeInput,
  BeginExchangeResult,
  MessagePatch,
  MessageRepository,
} from '../../domain/ports.js';
import type { Db } from './client.js';
import type { Message as MessageRow } from './generated/client.js';

export class PrismaMessageRepository implements MessageRepository {
  constructor(private readonly db: Db) {}

  async beginExchange(input: BeginExchangeInput): Promise<BeginExchangeResult | null> {
    return this.db.$transaction(async (tx) => {
      let thread: BeginExchangeResult['thread'] | null;
      if ('create' in input.thread) {
        thread = await tx.thread.create({ data: input.thread.create });
      } else {
        thread = await tx.thread.findUnique({ where: { id: input.thread.existingId } });
        if (!thread) return null;
      }
      const history = await tx.message.findMany({
        where: { threadId: thread.id },
        orderBy: { position: 'asc' },
      });
      const position = (history.at(-1)?.position ?? 0) + 1;
      const user = await tx.message.create({
        data: {
          id: input.user.id,
          threadId: thread.id,
          position,
          role: 'USER',
          status: 'COMPLETE',
          content: input.user.content,
        },
      });
      const assistant = await tx.message.create({
        data: {
          id: input.assistant.id,
          threadId: thread.id,
          position: position + 1,
          role: 'ASSISTANT',
          status: 'PENDING',
          model: input.assistant.model,
          streamId: input.assistant.streamId,
        },
      });
      thread = await tx.thread.update({ where: { id: thread.id }, data: { updatedAt: new Date() } });
      return {
        thread,
        history: history.map(toMessage),
        user: toMessage(user),
        assistant: toMessage(assistant),
      };
    });
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
    const row = await this.db.message.update({
      where: { id },
      data: {
        ...(patch.content !== undefined && { content: patch.content }),
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.stopReason !== undefined && { stopReason: patch.stopReason }),
        ...(patch.usage !== undefined && {
          inputTokens: patch.usage?.inputTokens ?? null,
          outputTokens: patch.usage?.outputTokens ?? null,
        }),
        ...(patch.error !== undefined && {
          errorCode: patch.error?.code ?? null,
          errorMessage: patch.error?.message ?? null,
          errorRetryable: patch.error?.retryable ?? null,
        }),
      },
    });
    return toMessage(row);
  }

  async listUnfinished(): Promise<Message[]> {
    const rows = await this.db.message.findMany({
      where: { status: { in: ['PENDING', 'STREAMING'] } },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toMessage);
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
      ? { code: row.errorCode, message: row.errorMessage ?? '', retryable: row.errorRetryable ?? false }
      : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
