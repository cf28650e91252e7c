import type { Envelope } from '../../streams/envelope.js';
import { makeEnvelope } from '../../streams/envelope.js';
import type { StreamInfo, StreamStatus } from '../../streams/model.js';
import type { NewStream, StreamProgress, StreamQuery, StreamStore } from '../../streams/store.js';
import { type Db, type Sqlite, sqliteDate } from './client.js';

/** A Stream row, from Prisma or from better-sqlite3 (dates as text, booleans as 0/1 there). */
interface StreamRow {
  id: string;
  kind: string;
  resourceId: string | null;
  threadId: string | null;
  status: string;
  idempotencyKey: string | null;
  startedAt: string | Date;
  endedAt: string | Date | null;
  firstChunkAt: string | Date | null;
  chunkCount: number;
  bytes: number;
  peakSubscribers: number;
  inputTokens: number | null;
  outputTokens: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  errorRetryable: boolean | number | null;
  prunedThrough: number;
}

interface EventRow {
  seq: number;
  type: string;
  data: string;
  at: string;
}

/**
 * Streams and their events. Recording is the hot path: each batch is one synchronous transaction of
 * cached prepared statements on the better-sqlite3 connection (client.ts explains why that is safe
 * beside Prisma); so are the per-event lookups of joins and replays. Listing goes through Prisma.
 */
export class SqlStreamStore implements StreamStore {
  private readonly statements;
  private readonly commitBatch: (
    creates: readonly NewStream[],
    events: readonly Envelope[],
    progress: ReadonlyMap<string, StreamProgress>,
  ) => void;
  private readonly pruneOne: (id: string, through: number) => void;

  constructor(
    private readonly db: Db,
    sqlite: Sqlite,
  ) {
    this.statements = {
      insertStream: sqlite.prepare(
        `INSERT INTO "Stream" ("id", "kind", "resourceId", "threadId", "status", "idempotencyKey", "startedAt")
         VALUES (?, ?, ?, ?, 'LIVE', ?, ?) RETURNING *`,
      ),
      getStream: sqlite.prepare('SELECT * FROM "Stream" WHERE "id" = ?'),
      insertEvent: sqlite.prepare(
        'INSERT INTO "StreamEvent" ("streamId", "seq", "type", "data", "at") VALUES (?, ?, ?, ?, ?)',
      ),
      progress: sqlite.prepare(
        `UPDATE "Stream" SET "chunkCount" = MAX("chunkCount", @chunkCount), "bytes" = "bytes" + @bytes,
           "firstChunkAt" = COALESCE("firstChunkAt", @firstChunkAt), "peakSubscribers" = MAX("peakSubscribers", @peak),
           "status" = COALESCE(@status, "status"), "endedAt" = COALESCE(@endedAt, "endedAt"),
           "errorCode" = COALESCE(@errorCode, "errorCode"), "errorMessage" = COALESCE(@errorMessage, "errorMessage"),
           "errorRetryable" = COALESCE(@errorRetryable, "errorRetryable"),
           "inputTokens" = COALESCE(@inputTokens, "inputTokens"), "outputTokens" = COALESCE(@outputTokens, "outputTokens")
         WHERE "id" = @id`,
      ),
      readEvents: sqlite.prepare(
        'SELECT "seq", "type", "data", "at" FROM "StreamEvent" WHERE "streamId" = ? AND "seq" > ? ORDER BY "seq" LIMIT ?',
      ),
      deleteEvents: sqlite.prepare('DELETE FROM "StreamEvent" WHERE "streamId" = ?'),
      markPruned: sqlite.prepare('UPDATE "Stream" SET "prunedThrough" = ? WHERE "id" = ?'),
    };
    this.commitBatch = sqlite.transaction(
      (
        creates: readonly NewStream[],
        events: readonly Envelope[],
        progress: ReadonlyMap<string, StreamProgress>,
      ) => {
        const { insertStream, insertEvent, progress: update } = this.statements;
        for (const c of creates) {
          insertStream.get(c.id, c.kind, c.resourceId, c.threadId, c.idempotencyKey, sqliteDate(c.startedAt));
        }
        for (const e of events) insertEvent.run(e.streamId, e.seq, e.type, e.json, sqliteDate(e.at));
        for (const [id, p] of progress) {
          const ending = p.ending;
          update.run({
            id,
            chunkCount: p.chunkCount,
            bytes: p.bytesAdded,
            firstChunkAt: p.firstChunkAt ? sqliteDate(p.firstChunkAt) : null,
            peak: p.peakSubscribers ?? 0,
            status: ending?.status ?? null,
            endedAt: ending ? sqliteDate(ending.endedAt) : null,
            errorCode: ending?.error?.code ?? null,
            errorMessage: ending?.error?.message ?? null,
            errorRetryable: ending?.error ? (ending.error.retryable ? 1 : 0) : null,
            inputTokens: ending?.usage?.inputTokens ?? null,
            outputTokens: ending?.usage?.outputTokens ?? null,
          });
        }
      },
    );
    this.pruneOne = sqlite.transaction((id: string, through: number) => {
      this.statements.deleteEvents.run(id);
      this.statements.markPruned.run(through, id);
    });
  }

  async create(stream: NewStream): Promise<StreamInfo> {
    const row = this.statements.insertStream.get(
      stream.id,
      stream.kind,
      stream.resourceId,
      stream.threadId,
      stream.idempotencyKey,
      sqliteDate(stream.startedAt),
    ) as StreamRow;
    return toInfo(row);
  }

  async get(id: string): Promise<StreamInfo | null> {
    const row = this.statements.getStream.get(id) as StreamRow | undefined;
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

  async commit(
    creates: readonly NewStream[],
    events: readonly Envelope[],
    progress: ReadonlyMap<string, StreamProgress>,
  ): Promise<void> {
    this.commitBatch(creates, events, progress);
  }

  async readEvents(streamId: string, afterSeq: number, limit: number): Promise<Envelope[]> {
    const rows = this.statements.readEvents.all(streamId, afterSeq, limit) as EventRow[];
    return rows.map((row) =>
      makeEnvelope(streamId, row.seq, new Date(row.at), row.type, JSON.parse(row.data) as object, row.data),
    );
  }

  async pruneEnded(endedBefore: Date): Promise<number> {
    const rows = await this.db.stream.findMany({
      where: { status: { not: 'LIVE' }, endedAt: { lt: endedBefore } },
      select: { id: true, chunkCount: true, prunedThrough: true },
    });
    const due = rows.filter((row) => row.prunedThrough < row.chunkCount);
    for (const row of due) this.pruneOne(row.id, row.chunkCount);
    return due.length;
  }

  async deleteByThread(threadId: string): Promise<void> {
    await this.db.stream.deleteMany({ where: { threadId } });
  }
}

const date = (value: string | Date): Date => (value instanceof Date ? value : new Date(value));

function toInfo(row: StreamRow): StreamInfo {
  return {
    id: row.id,
    kind: row.kind,
    resourceId: row.resourceId,
    threadId: row.threadId,
    status: row.status as StreamStatus,
    idempotencyKey: row.idempotencyKey,
    startedAt: date(row.startedAt),
    endedAt: row.endedAt === null ? null : date(row.endedAt),
    firstChunkAt: row.firstChunkAt === null ? null : date(row.firstChunkAt),
    chunkCount: row.chunkCount,
    bytes: row.bytes,
    peakSubscribers: row.peakSubscribers,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    error: row.errorCode
      ? { code: row.errorCode, message: row.errorMessage ?? '', retryable: Boolean(row.errorRetryable) }
      : null,
    prunedThrough: row.prunedThrough,
  };
}
