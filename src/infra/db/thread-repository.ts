import type { Thread } from '../../domain/model.js';
import type { ThreadRepository } from '../../domain/ports.js';
import type { Db } from './client.js';

/** A Thread row, from Prisma or from better-sqlite3 (dates as text there). */
export interface ThreadRow {
  id: string;
  title: string | null;
  createdAt: string | Date;
  updatedAt: string | Date;
}

export function toThread(row: ThreadRow): Thread {
  return {
    id: row.id,
    title: row.title,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}

export class PrismaThreadRepository implements ThreadRepository {
  constructor(private readonly db: Db) {}

  create(input: { id: string; title: string | null }): Promise<Thread> {
    return this.db.thread.create({ data: input });
  }

  get(id: string): Promise<Thread | null> {
    return this.db.thread.findUnique({ where: { id } });
  }

  list(first: number): Promise<Thread[]> {
    return this.db.thread.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: first });
  }

  async rename(id: string, title: string): Promise<Thread | null> {
    const result = await this.db.thread.updateMany({ where: { id }, data: { title } });
    return result.count === 0 ? null : this.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.thread.deleteMany({ where: { id } });
    return result.count > 0;
  }
}
