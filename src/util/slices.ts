// Work over every subsystem (the report, the metrics, the report file) is written once, as a
// generator that yields between items. The CLI and the tests run it straight through; the service
// runs it in time-boxed slices, so at 10,000 subsystems no step holds the event loop for long and
// a bot asking /policy is answered between slices.

/** A computation that yields (nothing) wherever it may be paused, and returns T at the end. */
export type Steps<T> = Generator<void, T, void>;

/** Above this many subsystems the service works in slices; below, a cycle's work is too small to split. */
export const LARGE_PLATFORM = 500;

/** Longest the sliced work, all jobs together, holds the event loop in one turn. */
export const SLICE_MS = 4;

export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

interface Job {
  steps: Steps<unknown>;
  background: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * One queue for every sliced job in the process, run first come first served in turns of at most
 * SLICE_MS. A budget per job would not do: a cycle ends by starting the metrics refresh and the
 * report write, and three fresh budgets in one turn are three times the stall. Background jobs
 * (the report file) run only when nothing else waits, so they never delay the metrics.
 */
const queue: Job[] = [];
let turnScheduled = false;

function nextJob(): number {
  const i = queue.findIndex((j) => !j.background);
  return i >= 0 ? i : 0;
}

function turn(): void {
  turnScheduled = false;
  const started = performance.now();
  while (queue.length > 0 && performance.now() - started < SLICE_MS) {
    const i = nextJob();
    const job = queue[i];
    let r: IteratorResult<void, unknown>;
    try {
      r = job.steps.next();
    } catch (err) {
      queue.splice(i, 1);
      job.reject(err);
      continue;
    }
    if (r.done) {
      queue.splice(i, 1);
      job.resolve(r.value);
    }
  }
  if (queue.length > 0) {
    turnScheduled = true;
    setImmediate(turn);
  }
}

/** Runs the steps in the shared turns; or at once, when not sliced (small platforms). */
export function runSliced<T>(steps: Steps<T>, sliced = true, background = false): Promise<T> {
  if (!sliced) {
    try {
      return Promise.resolve(runToEnd(steps));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return new Promise<T>((resolve, reject) => {
    queue.push({ steps, background, resolve: resolve as (v: unknown) => void, reject });
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(turn);
    }
  });
}
