// The journal's WAL checkpoints, in a worker thread with its own connection (see checkpointer.ts).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** What the journal hands the worker. */
export interface CheckpointWorkerData {
  path: string;
  intervalMs: number;
}

const { path, intervalMs } = workerData as CheckpointWorkerData;
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
// PASSIVE: copies what it can without ever blocking the writer; a no-op when nothing is new.
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    /* busy or gone: the next tick tries again, and SQLite's own auto-checkpoint is the backstop */
  }
}, intervalMs);
parentPort?.on('message', (m: unknown) => {
  if (m !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
