import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';

/** The database cannot be brought up to date: an applied migration was edited, or a migration failed. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Absolute path of the repository's `prisma/migrations`, independent of the working directory. */
export function migrationsDirectory(): string {
  return fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
}

// Prisma's DDL for SQLite; sqlite_master stores it without IF NOT EXISTS, byte for byte what Prisma's schema
// engine creates, so `prisma migrate status/deploy` read our rows as their own.
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);
`;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// Prisma accepts a checksum whatever the line endings, since git may rewrite them on checkout.
const matches = (sql: string, checksum: string): boolean =>
  [sql, sql.replaceAll('\r\n', '\n'), sql.replaceAll('\n', '\r\n')].some((text) => sha256(text) === checksum);

const oneLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');

function readMigrations(dir: string): { name: string; sql: string }[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort()
      .map((name) => ({ name, sql: readFileSync(join(dir, name, 'migration.sql'), 'utf8') }));
  } catch (error) {
    throw new MigrationError(`Cannot read the migrations in ${dir}: ${oneLine(error)}`);
  }
}

/**
 * Applies the pending migrations of `migrationsDir` (folders `<timestamp>_<name>/migration.sql`) in name order,
 * each in its own transaction, and records them in `_prisma_migrations` as `prisma migrate deploy` would.
 * Throws {@link MigrationError} when an applied migration's file changed, a migration is recorded as failed,
 * or a migration fails (that migration is rolled back; earlier ones stay applied).
 */
export function applyMigrations(db: Database, migrationsDir: string): { applied: string[] } {
  const migrations = readMigrations(migrationsDir);
  db.exec(MIGRATIONS_TABLE);
  const recorded = db.prepare<[string], { checksum: string; finished_at: number | string | null }>(
    'SELECT checksum, finished_at FROM _prisma_migrations WHERE migration_name = ? AND rolled_back_at IS NULL',
  );
  const record = db.prepare(`INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs,
    rolled_back_at, started_at, applied_steps_count) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`);
  const applyOne = db.transaction(({ name, sql }: { name: string; sql: string }): boolean => {
    const rows = recorded.all(name);
    for (const row of rows) {
      if (row.finished_at === null) {
        throw new MigrationError(`Migration ${name} is recorded as failed (see prisma migrate resolve)`);
      }
      if (!matches(sql, row.checksum)) {
        throw new MigrationError(`Migration ${name} was edited after it was applied (checksum mismatch)`);
      }
    }
    if (rows.length > 0) return false;
    const startedAt = Date.now();
    try {
      db.exec(sql);
    } catch (error) {
      throw new MigrationError(`Migration ${name} failed: ${oneLine(error)}`);
    }
    if ((db.pragma('foreign_key_check') as unknown[]).length > 0) {
      throw new MigrationError(`Migration ${name} failed: it leaves rows that violate foreign keys`);
    }
    // Epoch milliseconds, as Prisma's native engine writes DATETIME values into SQLite.
    record.run(randomUUID(), sha256(sql), Date.now(), name, startedAt);
    return true;
  });
  // Prisma's table redefinitions (copy, drop, rename) need foreign keys off, or dropping a parent table would
  // cascade-delete its children; the pragma is a no-op inside a transaction, so it is switched out here.
  const foreignKeys = db.pragma('foreign_keys', { simple: true });
  db.pragma('foreign_keys = OFF');
  try {
    // IMMEDIATE takes the write lock before the check, so servers starting together cannot both apply one.
    return {
      applied: migrations.filter((migration) => applyOne.immediate(migration)).map(({ name }) => name),
    };
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}
