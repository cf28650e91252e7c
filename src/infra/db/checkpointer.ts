import { Worker } from 'node:worker_threads';

// Plain CommonJS for an eval'd worker: it must not depend on the TypeScript loader of the main thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const db = new Database(workerData.path, { timeout: 5000 });
const checkpoint = (mode) => {
  try { db.pragma('wal_checkpoint(' + mode + ')'); } catch (error) { parentPort.postMessage({ error: String(error) }); }
};
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint('TRUNCATE');
  db.close();
  parentPort.postMessage('stopped');
});
`;

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever commit
 * crosses the threshold and syncs the database file there: measured as 5–10 ms stalls of every
 * stream at once. The server's connections turn it off, and this worker checkpoints on its own
 * connection instead (PASSIVE: it never blocks a writer).
 */
export class Checkpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | undefined;

  constructor(databasePath: string, onError: (message: string) => void, intervalMs = 1000) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: databasePath, intervalMs } });
    this.worker.on('message', (message: unknown) => {
      if (message && typeof message === 'object' && 'error' in message) onError(String(message.error));
    });
    this.worker.on('error', (error) => onError(error.message));
    this.worker.unref();
  }

  /** A last full checkpoint (truncating the WAL), then the worker ends. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const done = () => resolve();
      this.worker.once('exit', done);
      this.worker.on('message', (message: unknown) => {
        if (message === 'stopped') void this.worker.terminate().then(done, done);
      });
      this.worker.postMessage('stop');
    });
    return this.stopped;
  }
}
