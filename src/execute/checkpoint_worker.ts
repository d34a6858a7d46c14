// The journal's WAL checkpoints, in a worker thread with its own connection (see checkpointer.ts).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** What the journal hands the worker. */
export interface CheckpointWorkerData {
  path: string;
}

const { path } = workerData as CheckpointWorkerData;
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
parentPort?.on('message', (m: unknown) => {
  if (m === 'checkpoint') {
    try {
      // PASSIVE: copies what it can without ever blocking the writer.
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      /* busy or gone: the next one tries again, and SQLite's own auto-checkpoint is the backstop */
    }
  } else if (m === 'close') {
    db.close();
    parentPort?.close();
  }
});
