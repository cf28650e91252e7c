/**
 * Recording: the real Recorder + PrismaStreamStore in this process vs raw better-sqlite3 (WAL,
 * synchronous=NORMAL, 100 rows per transaction) inserting the same rows into the same table, each on a
 * fresh database file in the same temporary directory. Both files are created by the project's
 * migrations, so the table shape, indexes and foreign keys are identical.
 *
 * Ours is fed the way the engine feeds it: record() calls in bursts of 100 per macrotask (so its flush
 * timer and the driver get the loop), events of several streams interleaved, the last event of each
 * stream terminal. Commit lag = time from record() to the resolution of whenCommitted(stream, seq),
 * sampled on every 10th event; measured once at saturation and once at a steady rate.
 *
 * At saturation the producer outruns the store by construction, so that lag is the time to drain the
 * backlog (it grows with the number of events); the steady run is the group-commit window itself.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sqliteDate } from '../../src/infra/db/client.js';
import { applyMigrations, migrationsDirectory } from '../../src/infra/db/migrate.js';
import { makeEnvelope } from '../../src/streams/envelope.js';
import { Recorder } from '../../src/streams/recorder.js';
import { monoMs, sleep } from '../lib/clock.js';
import type { BenchContext } from '../lib/context.js';
import { registerTempDir, releaseTempDir } from '../lib/proc.js';
import { metric, type ScenarioResult } from '../lib/result.js';
import { tokenText } from '../lib/sse.js';
import { type Percentiles, percentiles } from '../lib/stats.js';
import { openStore } from '../lib/store.js';

export interface RecordingParams {
  streams: number;
  /** Events per stream in the saturated run. */
  eventsPerStream: number;
  /** Events per second of the steady run (all streams together) and its duration. */
  steadyRate: number;
  steadySeconds: number;
}

/** The server's default group-commit window (RECORD_FLUSH_MS). */
const FLUSH_MS = 20;
const CHUNK = 100;
const LAG_SAMPLE_EVERY = 10;

function createDatabase(file: string): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    applyMigrations(db, migrationsDirectory());
  } finally {
    db.close();
  }
}

const streamIds = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `bench-${tag}-${i}`);

function eventData(i: number): { type: string; data: object } {
  return { type: 'CompletionDelta', data: { messageId: 'msg_bench_recording', text: tokenText(i) } };
}

interface OursRun {
  rate: number;
  lag: Percentiles;
  implementation: string;
}

function countEvents(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM "StreamEvent"').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * Feeds the recorder `perStream` events for each stream at `rate` events/s (Infinity: as fast as
 * the loop allows, yielding every {@link CHUNK} events) and waits until all are committed.
 */
async function runOurs(file: string, streams: number, perStream: number, rate: number): Promise<OursRun> {
  createDatabase(file);
  const { store, implementation, close } = await openStore(file);
  try {
    const ids = streamIds(streams, 'ours');
    for (const id of ids)
      await store.create({
        id,
        kind: 'bench',
        resourceId: null,
        threadId: null,
        idempotencyKey: null,
        startedAt: new Date(),
      });
    const recorder = new Recorder(store, { flushMs: FLUSH_MS });
    const lags: number[] = [];
    const total = streams * perStream;
    const start = monoMs();
    // A steady producer hands over small bursts of 10 events (every ms at 10k/s), as live streams do.
    const chunk = Number.isFinite(rate) ? 10 : CHUNK;
    let produced = 0;
    for (let seq = 1; seq <= perStream; seq++) {
      for (const id of ids) {
        const last = seq === perStream;
        const { type, data } = last
          ? { type: 'CompletionFinished', data: { stopReason: 'end_turn' } }
          : eventData(seq);
        const envelope = makeEnvelope(id, seq, new Date(), type, data);
        const recordedAt = monoMs();
        recorder.record(envelope, {
          contentChunk: !last,
          ending: last ? { status: 'COMPLETE', error: null, usage: null } : null,
        });
        if (produced % LAG_SAMPLE_EVERY === 0)
          void recorder.whenCommitted(id, seq).then(() => lags.push(monoMs() - recordedAt));
        produced++;
        if (produced % chunk === 0) {
          if (Number.isFinite(rate)) {
            const due = start + (produced / rate) * 1000;
            const wait = due - monoMs();
            if (wait > 0) await sleep(wait);
            else await new Promise((resolve) => setImmediate(resolve));
          } else await new Promise((resolve) => setImmediate(resolve));
        }
      }
    }
    await recorder.flush();
    const elapsed = monoMs() - start;
    await recorder.close();
    const count = countEvents(file);
    if (count !== total) throw new Error(`recorded ${count} of ${total} events`);
    return { rate: (total / elapsed) * 1000, lag: percentiles(lags), implementation };
  } finally {
    await close();
  }
}

/** The same rows through better-sqlite3 directly: one prepared INSERT, 100 rows per transaction. */
function runRaw(file: string, streams: number, perStream: number): number {
  createDatabase(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const ids = streamIds(streams, 'raw');
    const createStream = db.prepare(
      'INSERT INTO "Stream" ("id","kind","status","startedAt") VALUES (?, \'bench\', \'LIVE\', ?)',
    );
    for (const id of ids) createStream.run(id, sqliteDate(new Date()));
    const insert = db.prepare(
      'INSERT INTO "StreamEvent" ("streamId","seq","type","data","at") VALUES (?,?,?,?,?)',
    );
    type Row = [string, number, string, string, string];
    const commit = db.transaction((rows: Row[]) => {
      for (const row of rows) insert.run(...row);
    });
    const total = streams * perStream;
    const start = monoMs();
    let batch: Row[] = [];
    for (let seq = 1; seq <= perStream; seq++) {
      for (const id of ids) {
        const { type, data } =
          seq === perStream
            ? { type: 'CompletionFinished', data: { stopReason: 'end_turn' } }
            : eventData(seq);
        batch.push([id, seq, type, JSON.stringify(data), sqliteDate(new Date())]);
        if (batch.length === 100) {
          commit(batch);
          batch = [];
        }
      }
    }
    if (batch.length > 0) commit(batch);
    const elapsed = monoMs() - start;
    const count = db.prepare('SELECT COUNT(*) AS n FROM "StreamEvent"').get() as { n: number };
    if (count.n !== total) throw new Error(`raw recorded ${count.n} of ${total} events`);
    return (total / elapsed) * 1000;
  } finally {
    db.close();
  }
}

export async function recording(ctx: BenchContext, p: RecordingParams): Promise<ScenarioResult> {
  const started = monoMs();
  const dir = mkdtempSync(path.join(tmpdir(), 'streamgate-bench-rec-'));
  registerTempDir(dir);
  const raw: number[] = [];
  const ours: OursRun[] = [];
  const steady: Percentiles[] = [];
  const steadyPerStream = Math.round((p.steadyRate * p.steadySeconds) / p.streams);
  try {
    // Warm-up of both paths (Prisma's query engine, prepared statements, JIT) on throwaway files.
    await runOurs(path.join(dir, 'warm-ours.db'), p.streams, 500, Infinity);
    runRaw(path.join(dir, 'warm-raw.db'), p.streams, 500);
    for (let round = 0; round < ctx.rounds; round++) {
      const oursFirst = round % 2 === 0;
      const doRaw = () => raw.push(runRaw(path.join(dir, `raw-${round}.db`), p.streams, p.eventsPerStream));
      if (!oursFirst) doRaw();
      ours.push(await runOurs(path.join(dir, `ours-${round}.db`), p.streams, p.eventsPerStream, Infinity));
      if (oursFirst) doRaw();
      steady.push(
        (await runOurs(path.join(dir, `steady-${round}.db`), p.streams, steadyPerStream, p.steadyRate)).lag,
      );
      const o = ours.at(-1);
      ctx.log(
        `  recording round ${round + 1}: ours ${Math.round(o?.rate ?? 0)} ev/s (lag p99 ${o?.lag.p99.toFixed(1)} ms), ` +
          `raw ${Math.round(raw.at(-1) ?? 0)} ev/s; steady ${p.steadyRate} ev/s lag p99 ${steady.at(-1)?.p99.toFixed(1)} ms`,
      );
    }
  } finally {
    releaseTempDir(dir);
  }
  const none = raw.map(() => Number.NaN);
  return {
    scenario: 'recording',
    at: new Date().toISOString(),
    durationS: (monoMs() - started) / 1000,
    params: {
      ...p,
      flushMs: FLUSH_MS,
      rounds: ctx.rounds,
      filesystem: tmpdir(),
      store: ours[0]?.implementation ?? 'unknown',
    },
    metrics: [
      metric(
        {
          id: 'recording.rate',
          label: `Events persisted/s (${p.streams} streams × ${p.eventsPerStream})`,
          unit: 'events/s',
          better: 'higher',
          baselineName: 'better-sqlite3, 100 rows/tx',
          target: { on: 'ratio', op: '>=', value: 0.3, text: '≥ 0.3× raw' },
        },
        raw,
        ours.map((o) => o.rate),
      ),
      metric(
        {
          id: 'recording.lag.saturated',
          label: 'Commit lag p99, recording as fast as possible',
          unit: 'ms',
          better: 'lower',
          baselineName: '—',
          target: { on: 'ours', op: '<=', value: 50, text: '≤ 50 ms' },
        },
        none,
        ours.map((o) => o.lag.p99),
      ),
      metric(
        {
          id: 'recording.lag.steady',
          label: `Commit lag p99 at a steady ${p.steadyRate} events/s`,
          unit: 'ms',
          better: 'lower',
          baselineName: '—',
          target: { on: 'ours', op: '<=', value: 50, text: '≤ 50 ms' },
        },
        none,
        steady.map((s) => s.p99),
      ),
    ],
    details: { raw, ours, steady },
    notes: [],
  };
}
