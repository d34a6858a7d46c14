// Runs one subsystem's check with a timeout. A check that throws, times out or meets corrupt data
// is reported as `failed` with the error in details.error; it never delays or breaks the others.
import type { SubsystemConfig } from '../config/types';
import type { SubsystemHealth } from '../types';
import type { CheckOutcome } from './check';
import { mapLimit } from './limit';
import { runChecker } from './registry';

export interface SubsystemResult {
  health: SubsystemHealth;
  outcome: CheckOutcome;
  /** The check itself errored (threw or timed out), as opposed to reporting a bad status. */
  errored: boolean;
}

export type Clock = () => number;

function describe(err: unknown): string {
  if (err instanceof SyntaxError) return `corrupt JSON: ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  return e && e.message ? (e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message) : String(err);
}

interface Deadline {
  signal: AbortSignal;
  /** Rejecters of the checks still running; the timer rejects them all. */
  waiting: Set<(err: Error) => void>;
  error: Error | null;
  timer: NodeJS.Timeout;
}

/**
 * One timer per distinct timeout per cycle, shared by every check started in that cycle:
 * at 10,000 subsystems a timer and an AbortController per check cost more than the checks.
 * (Not Promise.race against one shared promise either: that keeps a reaction per check alive for
 * the whole cycle, and the garbage reaches the old generation.)
 */
export class Deadlines {
  private readonly groups = new Map<number, Deadline>();

  get(timeoutSec: number): Deadline {
    let d = this.groups.get(timeoutSec);
    if (!d) {
      const ac = new AbortController();
      const deadline: Deadline = {
        signal: ac.signal,
        waiting: new Set(),
        error: null,
        timer: setTimeout(() => {
          deadline.error = new Error(`check timed out after ${timeoutSec}s`);
          ac.abort();
          for (const reject of deadline.waiting) reject(deadline.error);
          deadline.waiting.clear();
        }, timeoutSec * 1000),
      };
      d = deadline;
      this.groups.set(timeoutSec, d);
    }
    return d;
  }

  clear(): void {
    for (const d of this.groups.values()) clearTimeout(d.timer);
    this.groups.clear();
  }
}

/** The work's own result, or the deadline's error if that comes first. */
function within<T>(work: Promise<T>, d: Deadline): Promise<T> {
  if (d.error) return Promise.reject(d.error);
  return new Promise<T>((resolve, reject) => {
    d.waiting.add(reject);
    work.then(
      (v) => {
        d.waiting.delete(reject);
        resolve(v);
      },
      (err: unknown) => {
        d.waiting.delete(reject);
        reject(err);
      },
    );
  });
}

/** Checks of one cycle start within the same few milliseconds: one timestamp string for each. */
let lastIso = { ms: NaN, iso: '' };
function isoAt(ms: number): string {
  if (ms !== lastIso.ms) lastIso = { ms, iso: new Date(ms).toISOString() };
  return lastIso.iso;
}

export async function checkSubsystem(sub: SubsystemConfig, clock: Clock, deadlines?: Deadlines): Promise<SubsystemResult> {
  const now = clock();
  const started = performance.now();
  const own = deadlines ? null : new Deadlines();
  const deadline = (deadlines ?? own!).get(sub.timeout_sec);
  let outcome: CheckOutcome;
  let errored = false;
  try {
    outcome = await within(runChecker(sub.check, { now, signal: deadline.signal }), deadline);
  } catch (err) {
    errored = true;
    outcome = { status: 'failed', details: { error: describe(err) }, root_cause: `Check error: ${describe(err)}` };
  } finally {
    own?.clear();
  }
  const elapsed = performance.now() - started;
  return {
    health: {
      subsystem: sub.name,
      status: outcome.status,
      timestamp: isoAt(now),
      response_time_ms: Math.round(elapsed * 100) / 100,
      error_count: errored ? 1 : 0,
      details: outcome.details,
    },
    outcome,
    errored,
  };
}

/** At most this many checks in flight: 10,000 completions must not arrive as one long burst. */
export const CHECK_CONCURRENCY = 64;

/** Checks several subsystems concurrently (bounded), sharing one timeout timer per distinct timeout. */
export async function checkMany(subs: SubsystemConfig[], clock: Clock): Promise<SubsystemResult[]> {
  const deadlines = new Deadlines();
  try {
    return await mapLimit(subs, CHECK_CONCURRENCY, (s) => checkSubsystem(s, clock, deadlines));
  } finally {
    deadlines.clear();
  }
}
