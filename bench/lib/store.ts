/**
 * Opens the project's own StreamStore on a migrated SQLite file, whichever shape src/ has right now:
 * `SqlStreamStore(prisma, sqlite)` over `openDatabase()` (better-sqlite3 for the hot path beside Prisma),
 * or the earlier `PrismaStreamStore(prisma)` over `openPrisma()`. The recorder is being reworked while
 * this harness exists, and a benchmark that stops compiling at each step cannot compare before with
 * after. The modules are read as plain records so neither shape is a compile-time dependency.
 */
import type { StreamStore } from '../../src/streams/store.js';

export interface OpenedStore {
  store: StreamStore;
  /** The class that was used, for the results. */
  implementation: string;
  close(): Promise<void>;
}

interface Disconnectable {
  $disconnect(): Promise<void>;
}

interface Connections {
  prisma: Disconnectable;
  sqlite: unknown;
  close(): Promise<void>;
}

type StoreClass = new (...args: unknown[]) => StreamStore;

export async function openStore(file: string): Promise<OpenedStore> {
  const stores = (await import('../../src/infra/db/stream-store.js')) as Record<string, unknown>;
  const client = (await import('../../src/infra/db/client.js')) as Record<string, unknown>;
  if (typeof stores.SqlStreamStore === 'function' && typeof client.openDatabase === 'function') {
    const db = (await (client.openDatabase as (path: string) => Promise<Connections>)(file)) as Connections;
    const Store = stores.SqlStreamStore as StoreClass;
    return {
      store: new Store(db.prisma, db.sqlite),
      implementation: 'SqlStreamStore',
      close: () => db.close(),
    };
  }
  if (typeof stores.PrismaStreamStore === 'function' && typeof client.openPrisma === 'function') {
    const prisma = await (client.openPrisma as (path: string) => Promise<Disconnectable>)(file);
    const Store = stores.PrismaStreamStore as StoreClass;
    return {
      store: new Store(prisma),
      implementation: 'PrismaStreamStore',
      close: () => prisma.$disconnect(),
    };
  }
  throw new Error(
    'src/infra/db has neither SqlStreamStore + openDatabase nor PrismaStreamStore + openPrisma: update bench/lib/store.ts',
  );
}
