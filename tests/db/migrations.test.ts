import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations, MigrationError, migrationsDirectory } from '../../src/infra/db/migrate.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schemaPath = join(root, 'prisma/schema.prisma');
const committed = migrationsDirectory();
const committedNames = readdirSync(committed, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** Runs scripts/db-migration.ts as `npm run db:migration` would, from the repository root. */
function migrationScript(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
  const result = spawnSync(process.execPath, [tsx, 'scripts/db-migration.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamgate-migrations-'));
  db = new Database(join(dir, 'test.db'));
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the committed migrations that a test may edit. */
function copyMigrations(): string {
  const copy = join(dir, 'migrations');
  cpSync(committed, copy, { recursive: true });
  return copy;
}

describe('committed migrations', () => {
  it('build exactly prisma/schema.prisma (a schema change without its migration fails here)', () => {
    // The check replays the migrations with applyMigrations into a fresh temporary SQLite file and asks
    // Prisma's schema engine for the diff from that database to the schema.
    const result = migrationScript('--check');
    expect(result.stdout + result.stderr).toContain('no changes');
    expect(result.status).toBe(0);
  });

  it('the check fails and prints the SQL when the schema has changes without a migration', () => {
    const edited = join(dir, 'schema.prisma');
    writeFileSync(
      edited,
      readFileSync(schemaPath, 'utf8').replace('model Thread {', 'model Thread {\n  probe String?'),
    );
    const result = migrationScript('--check', '--schema', edited);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('has changes without a migration');
    expect(result.stdout).toMatch(/"probe" TEXT/);
  });

  it('the authoring script writes the next migration like Prisma, after which the check passes', () => {
    const migrations = copyMigrations();
    const edited = join(dir, 'schema.prisma');
    writeFileSync(
      edited,
      readFileSync(schemaPath, 'utf8').replace('model Thread {', 'model Thread {\n  probe String?'),
    );
    const created = migrationScript('addProbe', '--schema', edited, '--migrations', migrations);
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    const added = readdirSync(migrations).filter(
      (name) => !committedNames.includes(name) && name !== 'migration_lock.toml',
    );
    expect(added).toEqual([expect.stringMatching(/^\d{14}_add_probe$/)]);
    expect(readFileSync(join(migrations, added[0]!, 'migration.sql'), 'utf8')).toContain('"probe" TEXT');
    expect(readFileSync(join(migrations, 'migration_lock.toml'), 'utf8')).toContain('provider = "sqlite"');
    const check = migrationScript('--check', '--schema', edited, '--migrations', migrations);
    expect(check.status).toBe(0);
    expect(migrationScript('again', '--schema', edited, '--migrations', migrations).stdout).toContain(
      'no changes',
    );
  });
});

describe('applyMigrations', () => {
  it('applies every migration once and nothing the second time', () => {
    expect(committed).toBe(join(root, 'prisma/migrations'));
    expect(committedNames.length).toBeGreaterThan(0);
    expect(applyMigrations(db, committed)).toEqual({ applied: committedNames });
    expect(applyMigrations(db, committed)).toEqual({ applied: [] });
    expect(db.prepare('SELECT count(*) AS n FROM _prisma_migrations').get()).toEqual({
      n: committedNames.length,
    });
  });

  it('records each migration as Prisma does, with the sha256 of migration.sql as checksum', () => {
    applyMigrations(db, committed);
    const rows = db.prepare('SELECT * FROM _prisma_migrations ORDER BY migration_name').all();
    expect(rows).toEqual(
      committedNames.map((name) => ({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        checksum: createHash('sha256')
          .update(readFileSync(join(committed, name, 'migration.sql')))
          .digest('hex'),
        finished_at: expect.any(Number),
        migration_name: name,
        logs: null,
        rolled_back_at: null,
        started_at: expect.any(Number),
        applied_steps_count: 1,
      })),
    );
  });

  it('refuses a migration edited after it was applied', () => {
    const migrations = copyMigrations();
    applyMigrations(db, migrations);
    const first = join(migrations, committedNames[0]!, 'migration.sql');
    writeFileSync(first, `${readFileSync(first, 'utf8')}\n-- edited\n`);
    expect(() => applyMigrations(db, migrations)).toThrow(MigrationError);
    expect(() => applyMigrations(db, migrations)).toThrow(/checksum/);
  });

  it('accepts the same file with other line endings, as Prisma does', () => {
    const migrations = copyMigrations();
    applyMigrations(db, migrations);
    const first = join(migrations, committedNames[0]!, 'migration.sql');
    writeFileSync(first, readFileSync(first, 'utf8').replaceAll('\n', '\r\n'));
    expect(applyMigrations(db, migrations)).toEqual({ applied: [] });
  });

  it('refuses to go on past a migration that Prisma recorded as failed', () => {
    applyMigrations(db, committed);
    db.prepare('UPDATE _prisma_migrations SET finished_at = NULL').run();
    expect(() => applyMigrations(db, committed)).toThrow(/recorded as failed/);
  });

  it('throws MigrationError for a missing migrations directory', () => {
    expect(() => applyMigrations(db, join(dir, 'nowhere'))).toThrow(MigrationError);
  });

  it('rolls a failing migration back entirely and records nothing for it', () => {
    const migrations = copyMigrations();
    mkdirSync(join(migrations, '99990101000000_broken'));
    writeFileSync(
      join(migrations, '99990101000000_broken', 'migration.sql'),
      'CREATE TABLE "Partial" ("id" TEXT NOT NULL PRIMARY KEY);\nINSERT INTO "Nope" VALUES (1);\n',
    );
    expect(() => applyMigrations(db, migrations)).toThrow(/Migration 99990101000000_broken failed: .*Nope/);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).not.toContain('Partial');
    expect(db.prepare('SELECT migration_name FROM _prisma_migrations').pluck().all()).toEqual(committedNames);
  });

  it('keeps child rows when a migration redefines a parent table the way Prisma writes it', () => {
    const migrations = copyMigrations();
    applyMigrations(db, migrations);
    db.prepare(`INSERT INTO "Thread" (id, updatedAt) VALUES ('t1', 0)`).run();
    db.prepare(
      `INSERT INTO "Message" (id, threadId, position, role, status, updatedAt) VALUES ('m1', 't1', 1, 'user', 'done', 0)`,
    ).run();
    mkdirSync(join(migrations, '99990101000000_redefine'));
    writeFileSync(
      join(migrations, '99990101000000_redefine', 'migration.sql'),
      `PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Thread" ("id" TEXT NOT NULL PRIMARY KEY, "title" TEXT NOT NULL DEFAULT '', "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL);
INSERT INTO "new_Thread" ("id", "createdAt", "updatedAt") SELECT "id", "createdAt", "updatedAt" FROM "Thread";
DROP TABLE "Thread";
ALTER TABLE "new_Thread" RENAME TO "Thread";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
`,
    );
    expect(applyMigrations(db, migrations).applied).toEqual(['99990101000000_redefine']);
    expect(db.prepare('SELECT id FROM "Message"').pluck().all()).toEqual(['m1']);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});
