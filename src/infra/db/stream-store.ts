import type { Envelope } from '../../streams/envelope.js';
import { makeEnvelope } from '../../streams/envelope.js';
import type { StreamInfo, StreamStatus } from '../../streams/model.js';
import type { NewStream, StreamProgress, StreamQuery, StreamStore } from '../../streams/store.js';
import { type Db, sqliteDate } from './client.js';
import type { Stream as StreamRow } from './generated/client.js';

/** SQLite allows 32766 bound parameters; 5 per event leaves room. */
const ROWS_PER_INSERT = 1000;

/**
 * Streams and their events through Prisma. The event insert is the recording hot path: one multi-row
 * INSERT per batch inside one transaction (Prisma's per-row create() is ~30x slower, docs/benchmarks.md).
 */
export class PrismaStreamStore implements StreamStore {
  constructor(private readonly db: Db) {}

  async create(stream: NewStream): Promise<StreamInfo> {
    const row = await this.db.stream.create({ data: { ...stream, status: 'LIVE' } });
    return toInfo(row);
  }

  async get(id: string): Promise<StreamInfo | null> {
    const row = await this.db.stream.findUnique({ where: { id } });
    return row ? toInfo(row) : null;
  }

  async findByIdempotencyKey(key: string): Promise<StreamInfo | null> {
    const row = await this.db.stream.findUnique({ where: { idempotencyKey: key } });
    return row ? toInfo(row) : null;
  }

  async list(query: StreamQuery): Promise<StreamInfo[]> {
    const rows = await this.db.stream.findMany({
      where: { ...(query.kind && { kind: query.kind }), ...(query.status && { status: query.status }) },
      orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
      take: query.first,
    });
    return rows.map(toInfo);
  }

  async listLive(): Promise<StreamInfo[]> {
    const rows = await this.db.stream.findMany({ where: { status: 'LIVE' }, orderBy: { startedAt: 'asc' } });
    return rows.map(toInfo);
  }

  async commit(events: readonly Envelope[], progress: ReadonlyMap<string, StreamProgress>): Promise<void> {
    const statements = [];
    for (let i = 0; i < events.length; i += ROWS_PER_INSERT) {
      const slice = events.slice(i, i + ROWS_PER_INSERT);
      const params: unknown[] = [];
      for (const e of slice) params.push(e.streamId, e.seq, e.type, e.json, sqliteDate(e.at));
      const values = '(?,?,?,?,?),'.repeat(slice.length).slice(0, -1);
      statements.push(
        this.db.$executeRawUnsafe(
          `INSERT INTO "StreamEvent" ("streamId","seq","type","data","at") VALUES ${values}`,
          ...params,
        ),
      );
    }
    for (const [id, p] of progress) {
      const ending = p.ending;
      statements.push(
        this.db.$executeRawUnsafe(
          `UPDATE "Stream" SET "chunkCount" = MAX("chunkCount", ?), "bytes" = "bytes" + ?,
             "firstChunkAt" = COALESCE("firstChunkAt", ?), "peakSubscribers" = MAX("peakSubscribers", ?),
             "status" = COALESCE(?, "status"), "endedAt" = COALESCE(?, "endedAt"),
             "errorCode" = COALESCE(?, "errorCode"), "errorMessage" = COALESCE(?, "errorMessage"),
             "errorRetryable" = COALESCE(?, "errorRetryable"),
             "inputTokens" = COALESCE(?, "inputTokens"), "outputTokens" = COALESCE(?, "outputTokens")
           WHERE "id" = ?`,
          p.chunkCount,
          p.bytesAdded,
          p.firstChunkAt ? sqliteDate(p.firstChunkAt) : null,
          p.peakSubscribers ?? 0,
          ending?.status ?? null,
          ending ? sqliteDate(ending.endedAt) : null,
          ending?.error?.code ?? null,
          ending?.error?.message ?? null,
          ending?.error ? (ending.error.retryable ? 1 : 0) : null,
          ending?.usage?.inputTokens ?? null,
          ending?.usage?.outputTokens ?? null,
          id,
        ),
      );
    }
    if (statements.length > 0) await this.db.$transaction(statements);
  }

  async readEvents(streamId: string, afterSeq: number, limit: number): Promise<Envelope[]> {
    const rows = await this.db.streamEvent.findMany({
      where: { streamId, seq: { gt: afterSeq } },
      orderBy: { seq: 'asc' },
      take: limit,
    });
    return rows.map((row) =>
      makeEnvelope(row.streamId, row.seq, row.at, row.type, JSON.parse(row.data) as object, row.data),
    );
  }

  async pruneEnded(endedBefore: Date): Promise<number> {
    const rows = await this.db.stream.findMany({
      where: { status: { not: 'LIVE' }, endedAt: { lt: endedBefore } },
      select: { id: true, chunkCount: true, prunedThrough: true },
    });
    const due = rows.filter((row) => row.prunedThrough < row.chunkCount);
    for (const row of due) {
      await this.db.$transaction([
        this.db.streamEvent.deleteMany({ where: { streamId: row.id } }),
        this.db.stream.update({ where: { id: row.id }, data: { prunedThrough: row.chunkCount } }),
      ]);
    }
    return due.length;
  }

  async deleteByThread(threadId: string): Promise<void> {
    await this.db.stream.deleteMany({ where: { threadId } });
  }
}

function toInfo(row: StreamRow): StreamInfo {
  return {
    id: row.id,
    kind: row.kind,
    resourceId: row.resourceId,
    threadId: row.threadId,
    status: row.status as StreamStatus,
    idempotencyKey: row.idempotencyKey,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    firstChunkAt: row.firstChunkAt,
    chunkCount: row.chunkCount,
    bytes: row.bytes,
    peakSubscribers: row.peakSubscribers,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    error: row.errorCode
      ? { code: row.errorCode, message: row.errorMessage ?? '', retryable: row.errorRetryable ?? false }
      : null,
    prunedThrough: row.prunedThrough,
  };
}
