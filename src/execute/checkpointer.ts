// WAL checkpoints off the event loop (issue 25). SQLite checkpoints in the committing thread once the
// WAL passes 1,000 pages: copying them into the database file and two fsyncs, 5–15 ms on a quiet
// disk and over 100 ms on a busy one, inside whichever turn recorded an alert. A worker thread with
// its own connection checkpoints every second instead (PASSIVE: it never blocks the writer); the
// journal's own auto-checkpoint stays, at a higher mark, as the backstop if the worker is gone.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CheckpointWorkerData } from './checkpoint_worker';

/** How often the worker checkpoints. */
export const CHECKPOINT_INTERVAL_MS = 1000;
/** The journal's own auto-checkpoint, in pages (64 MiB): reached only when the worker falls behind or is gone. */
export const BACKSTOP_PAGES = 16384;

/** The checkpoint worker of one journal file. */
export class Checkpointer {
  private worker: Worker | null;

  constructor(path: string) {
    const data: CheckpointWorkerData = { path, intervalMs: CHECKPOINT_INTERVAL_MS };
    const w = new Worker(join(__dirname, 'checkpoint_worker.js'), { workerData: data });
    w.unref(); // never what keeps the process alive
    const gone = () => {
      if (this.worker === w) this.worker = null;
    };
    w.on('error', gone);
    w.on('exit', gone);
    this.worker = w;
  }

  /** Asks the worker to close its connection and end (before the journal's own: the last one out removes the WAL). */
  stop(): void {
    this.worker?.postMessage('close');
    this.worker = null;
  }
}
