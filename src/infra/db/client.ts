import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from './generated/client.js';

export type Db = PrismaClient;

/** How long a writer waits for SQLite's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens Prisma on the SQLite file through the better-sqlite3 driver adapter, with WAL journaling and
 * synchronous=NORMAL: commits survive a process crash (the stream engine's durability promise), and
 * only an OS crash or power loss can lose the last transactions.
 */
export async function openPrisma(databasePath: string): Promise<Db> {
  mkdirSync(path.dirname(databasePath), { recursive: true });
  const adapter = new PrismaBetterSqlite3({ url: databasePath, timeout: BUSY_TIMEOUT_MS });
  const prisma = new PrismaClient({ adapter });
  // journal_mode returns a row, so it must go through a query; the others are per connection.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  return prisma;
}

/** SQLite's text form of a DateTime, as the adapter writes it (ISO-8601 with an explicit offset). */
export function sqliteDate(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}
