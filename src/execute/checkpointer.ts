// WAL checkpoints off the event loop (issue 25). SQLite checkpoints in the committing thread once the
// WAL passes 1,000 pages: copying them into the database file and two fsyncs, 5–15 ms on a quiet
// disk and over 100 ms on a busy one, inside whichever turn recorded an alert. A worker thread with
// its own connection checkpoints instead, a second after something was written (PASSIVE: it never
// blocks the writer); the journal's own auto-checkpoint stays, at a higher mark, as the backstop.
// The worker starts with the first write and ends after a minute without any: an idle service pays
// nothing for it (an idle worker thread alone costs ~0.06 % of a core).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CheckpointWorkerData } from './checkpoint_worker';

/** How long after a write the worker checkpoints (writes meanwhile share the checkpoint). */
export const CHECKPOINT_DELAY_MS = 1000;
/** The worker ends after this long without a write. */
const IDLE_MS = 60_000;
/** The journal's own auto-checkpoint, in pages (64 MiB): reached only when the worker falls behind or is gone. */
export const BACKSTOP_PAGES = 16384;

/** The checkpoint worker of one journal file. */
export class Checkpointer {
  private worker: Worker | null = null;
  private due: NodeJS.Timeout | null = null;
  private idle: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly path: string) {}

  /** Something was written: a checkpoint within CHECKPOINT_DELAY_MS. Cheap enough for every write. */
  written(): void {
    if (this.due || this.stopped) return;
    this.due = setTimeout(() => {
      this.due = null;
      this.start().postMessage('checkpoint');
      if (this.idle) clearTimeout(this.idle);
      this.idle = setTimeout(() => this.end(), IDLE_MS);
      this.idle.unref();
    }, CHECKPOINT_DELAY_MS);
    this.due.unref();
  }

  /** Ends the worker for good (before the journal closes its own connection: the last one out removes the WAL). */
  stop(): void {
    this.stopped = true;
    for (const t of [this.due, this.idle]) if (t) clearTimeout(t);
    this.end();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const data: CheckpointWorkerData = { path: this.path };
    const w = new Worker(join(__dirname, 'checkpoint_worker.js'), { workerData: data });
    w.unref(); // never what keeps the process alive
    const gone = () => {
      if (this.worker === w) this.worker = null;
    };
    w.on('error', gone);
    w.on('exit', gone);
    this.worker = w;
    return w;
  }

  private end(): void {
    this.worker?.postMessage('close');
    this.worker = null;
  }
}
