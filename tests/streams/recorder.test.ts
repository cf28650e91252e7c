import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseConnections, openDatabase } from '../../src/infra/db/client.js';
import { applyMigrations, migrationsDirectory } from '../../src/infra/db/migrate.js';
import { SqlStreamStore } from '../../src/infra/db/stream-store.js';
import type { Envelope } from '../../src/streams/envelope.js';
import { makeEnvelope } from '../../src/streams/envelope.js';
import { Recorder } from '../../src/streams/recorder.js';
import type { NewStream, StreamProgress } from '../../src/streams/store.js';

let dir: string;
let db: DatabaseConnections;
let store: SqlStreamStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'streamgate-recorder-'));
  const file = path.join(dir, 'rec.db');
  const raw = new Database(file);
  applyMigrations(raw, migrationsDirectory());
  raw.close();
  db = await openDatabase(file);
  store = new SqlStreamStore(db.prisma, db.sqlite);
  await store.create({
    id: 's1',
    kind: 'test',
    resourceId: null,
    threadId: null,
    idempotencyKey: null,
    startedAt: new Date(),
  });
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The real store, counting its transactions (and failing the first `failures` of them). */
function countingStore(failures = 0) {
  const commits: number[] = [];
  let toFail = failures;
  return {
    commits,
    store: Object.assign(Object.create(store) as SqlStreamStore, {
      commit: async (
        creates: readonly NewStream[],
        events: readonly Envelope[],
        progress: ReadonlyMap<string, StreamProgress>,
      ) => {
        if (toFail > 0) {
          toFail--;
          throw new Error('disk full (simulated)');
        }
        commits.push(events.length);
        await store.commit(creates, events, progress);
      },
    }),
  };
}

const delta = (seq: number) =>
  makeEnvelope('s1', seq, new Date(), 'Delta', { messageId: 'm', text: `t${seq}` });
const ending = { status: 'COMPLETE' as const, error: null };

describe('Recorder (group commit)', () => {
  it('commits many events in few transactions, and every event with its seq', async () => {
    const counting = countingStore();
    const recorder = new Recorder(counting.store, { flushMs: 20 });
    for (let seq = 1; seq <= 2000; seq++) recorder.record(delta(seq), { contentChunk: true, ending: null });
    recorder.record(makeEnvelope('s1', 2001, new Date(), 'End', {}), { contentChunk: false, ending });
    await recorder.whenCommitted('s1', 2001);
    expect(counting.commits.reduce((a, b) => a + b, 0)).toBe(2001);
    expect(counting.commits.length).toBeLessThanOrEqual(3);
    const events = await store.readEvents('s1', 0, 5000);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 2001 }, (_, i) => i + 1));
    const row = await store.get('s1');
    expect(row).toMatchObject({ status: 'COMPLETE', chunkCount: 2001 });
    expect(row?.firstChunkAt).not.toBeNull();
    expect(row?.bytes).toBe(events.reduce((sum, e) => sum + Buffer.byteLength(e.json), 0));
  });

  it('commits a terminal event without waiting for the window', async () => {
    // A window longer than the test timeout: only the terminal event's own flush can commit it.
    const recorder = new Recorder(store, { flushMs: 60_000 });
    recorder.record(delta(1), { contentChunk: true, ending: null });
    recorder.record(makeEnvelope('s1', 2, new Date(), 'End', {}), { contentChunk: false, ending });
    await recorder.whenCommitted('s1', 2);
    expect((await store.get('s1'))?.status).toBe('COMPLETE');
  });

  it('loses nothing when a commit fails: the batch is retried', async () => {
    const errors: unknown[] = [];
    const counting = countingStore(2);
    const recorder = new Recorder(counting.store, { flushMs: 5, onError: (e) => errors.push(e) });
    for (let seq = 1; seq <= 50; seq++) recorder.record(delta(seq), { contentChunk: true, ending: null });
    await recorder.whenCommitted('s1', 50);
    expect(errors).toHaveLength(2);
    expect((await store.readEvents('s1', 0, 100)).map((e) => e.seq)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect((await store.get('s1'))?.chunkCount).toBe(50);
  });

  it('creates stream rows in the same transaction as their first events', async () => {
    const counting = countingStore();
    const recorder = new Recorder(counting.store, { flushMs: 20 });
    recorder.create({
      id: 's2',
      kind: 'test',
      resourceId: 'r',
      threadId: null,
      idempotencyKey: 'k',
      startedAt: new Date(),
    });
    recorder.record(makeEnvelope('s2', 1, new Date(), 'End', {}), { contentChunk: false, ending });
    await recorder.whenCommitted('s2', 1);
    expect(counting.commits).toHaveLength(1);
    expect(await store.get('s2')).toMatchObject({
      id: 's2',
      status: 'COMPLETE',
      chunkCount: 1,
      resourceId: 'r',
    });
    expect((await store.findByIdempotencyKey('k'))?.id).toBe('s2');
  });

  it('tells a producer when the backlog has drained (backpressure)', async () => {
    const recorder = new Recorder(store, { flushMs: 60_000 });
    for (let seq = 1; seq <= 30; seq++) recorder.record(delta(seq), { contentChunk: true, ending: null });
    let drained = false;
    const waiting = recorder.drained(10).then(() => {
      drained = true;
    });
    await Promise.resolve();
    expect(drained).toBe(false);
    await recorder.flush();
    await waiting;
    expect(recorder.backlog).toBe(0);
  });

  it('flush() commits whatever is queued (shutdown)', async () => {
    const recorder = new Recorder(store, { flushMs: 60_000 });
    for (let seq = 1; seq <= 10; seq++) recorder.record(delta(seq), { contentChunk: true, ending: null });
    await recorder.close();
    expect((await store.get('s1'))?.chunkCount).toBe(10);
  });
});
