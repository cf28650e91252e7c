import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
import { PrismaClient } from './generated/client.js';

export type Db = PrismaClient;
export type Sqlite = Database.Database;

/** How long a writer waits for SQLite's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * The two connections to the SQLite file:
 * - `prisma`, Prisma Client over the better-sqlite3 driver adapter: the model, the queries, the
 *   occasional write;
 * - `sqlite`, a better-sqlite3 connection with cached prepared statements for the write hot paths
 *   (recording, starting a completion), measured 30–100× cheaper per statement than Prisma's
 *   (docs/benchmarks.md).
 *
 * Why two is sound: every transaction on `sqlite` is synchronous (begins and commits within one call,
 * so it never holds the lock across a tick), and Prisma is never asked for a transaction (its
 * autocommit statements run synchronously inside the adapter). Neither connection can therefore wait
 * on a lock the other holds across an await. WAL lets Prisma's reads see each commit.
 */
export interface DatabaseConnections {
  prisma: Db;
  sqlite: Sqlite;
  close(): Promise<void>;
}

/**
 * Opens a connection with WAL journaling and synchronous=NORMAL: commits survive a process crash (the
 * stream engine's durability promise); only an OS crash or power loss can lose the last transactions.
 */
export function openSqlite(databasePath: string): Sqlite {
  mkdirSync(path.dirname(databasePath), { recursive: true });
  const sqlite = new Database(databasePath, { timeout: BUSY_TIMEOUT_MS });
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Checkpoints run in a worker (checkpointer.ts), never inside one of our commits.
  sqlite.pragma('wal_autocheckpoint = 0');
  return sqlite;
}

/** Opens both connections on a migrated database file. */
export async function openDatabase(
  databasePath: string,
  onError: (message: string) => void = () => {},
): Promise<DatabaseConnections> {
  const sqlite = openSqlite(databasePath);
  const prisma = await openPrisma(databasePath);
  const checkpointer = new Checkpointer(databasePath, onError);
  return {
    prisma,
    sqlite,
    async close() {
      await prisma.$disconnect();
      sqlite.close();
      await checkpointer.stop();
    },
  };
}

/** Prisma Client through the better-sqlite3 driver adapter, configured like `openSqlite`. */
export async function openPrisma(databasePath: string): Promise<Db> {
  mkdirSync(path.dirname(databasePath), { recursive: true });
  const adapter = new PrismaBetterSqlite3({ url: databasePath, timeout: BUSY_TIMEOUT_MS });
  const prisma = new PrismaClient({ adapter });
  // journal_mode returns a row, so it must go through a query; the others are per connection.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  await prisma.$queryRawUnsafe('PRAGMA wal_autocheckpoint = 0');
  return prisma;
}

/** SQLite's text form of a DateTime, as the adapter writes it (ISO-8601 with an explicit offset). */
export function sqliteDate(date: Date): string {
  return date.toISOString().replace('Z', '+00:00');
}

/** A DateTime column read back through better-sqlite3 (text, or epoch ms from older rows). */
export function fromSqliteDate(value: string | number | null): Date | null {
  if (value === null) return null;
  return new Date(typeof value === 'number' ? value : value);
}
