// Runs one subsystem's check with a timeout. A check that throws, times out or meets corrupt data
// is no evidence: it is reported `unknown` (the guide's "no data available") with the error in
// details.error and its reason; it never delays or breaks the others, and never says `failed`.
import type { SubsystemHealth } from '../types';
import { EvidenceError, type CheckOutcome, type InvalidReason } from './check';
import { mapLimit } from '../util/limit';
import { runChecker, type CheckSpec } from './registry';

/** What a check needs of a subsystem's configuration (config's SubsystemConfig is one). */
export interface CheckTarget {
  readonly name: string;
  readonly timeout_sec: number;
  readonly check: CheckSpec;
}

export interface SubsystemResult {
  health: SubsystemHealth;
  outcome: CheckOutcome;
  /** The check itself errored (threw or timed out), as opposed to reporting a bad status. */
  errored: boolean;
  /** Why an errored reading is no evidence (set whenever `errored` is, but for our own faults). */
  invalid?: InvalidReason;
  /** The error was selfheal's own (out of file descriptors, memory, or an overloaded event loop), not the platform's. */
  selfFault?: SelfFaultKind;
}

export interface CheckOptions {
  /** max_clock_skew_sec in ms. */
  maxSkewMs?: number;
}

/**
 * selfheal's own faults: never evidence about the platform. handler_config is EXECUTE's: a recovery
 * handler that cannot reach or find its target (no socket, permission denied, unknown container or unit).
 */
export const SELF_FAULT_KINDS = ['emfile', 'enfile', 'enomem', 'overload', 'handler_config'] as const;
export type SelfFaultKind = (typeof SELF_FAULT_KINDS)[number];

const OWN_ERRNO: Record<string, SelfFaultKind> = { EMFILE: 'emfile', ENFILE: 'enfile', ENOMEM: 'enomem' };

class OverloadError extends Error {}
class TimeoutError extends Error {}

/** Why an error of a check is no evidence: its own reason, or what kind of failure it was. */
function invalidReason(err: unknown): InvalidReason {
  if (err instanceof EvidenceError) return err.reason;
  if (err instanceof SyntaxError) return 'torn';
  if (err instanceof TimeoutError) return 'timeout';
  return 'unreadable';
}

/** Which of our own faults an error is, if it is one. */
function selfFaultOf(err: unknown): SelfFaultKind | undefined {
  if (err instanceof OverloadError) return 'overload';
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code ? OWN_ERRNO[code] : undefined;
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
      const due = performance.now() + timeoutSec * 1000;
      const deadline: Deadline = {
        signal: ac.signal,
        waiting: new Set(),
        error: null,
        timer: setTimeout(() => {
          // A timer that fires far too late means our own event loop was blocked: the checks did
          // not get their time, so the timeout says nothing about the platform.
          const late = performance.now() - due;
          deadline.error =
            late > Math.max(1000, timeoutSec * 500)
              ? new OverloadError(`selfheal overloaded: the ${timeoutSec}s check timer fired ${(late / 1000).toFixed(1)}s late`)
              : new TimeoutError(`check timed out after ${timeoutSec}s`);
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

export async function checkSubsystem(
  sub: CheckTarget,
  clock: Clock,
  deadlines?: Deadlines,
  opts: CheckOptions = {},
): Promise<SubsystemResult> {
  const now = clock();
  const started = performance.now();
  const timers = deadlines ?? new Deadlines();
  const own = deadlines ? null : timers; // ours to clear when done
  const deadline = timers.get(sub.timeout_sec);
  let outcome: CheckOutcome;
  let errored = false;
  let selfFault: SelfFaultKind | undefined;
  let invalid: InvalidReason | undefined;
  try {
    outcome = await within(runChecker(sub.check, { now, signal: deadline.signal, maxSkewMs: opts.maxSkewMs }), deadline);
  } catch (err) {
    errored = true;
    selfFault = selfFaultOf(err);
    if (!selfFault) invalid = invalidReason(err);
    outcome = { status: 'unknown', details: { error: describe(err) }, root_cause: `Check error: ${describe(err)}` };
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
    ...(selfFault ? { selfFault } : {}),
    ...(invalid ? { invalid } : {}),
  };
}

/** At most this many checks in flight: 10,000 completions must not arrive as one long burst. */
export const CHECK_CONCURRENCY = 64;

/** Checks several subsystems concurrently (bounded), sharing one timeout timer per distinct timeout. */
export async function checkMany(subs: CheckTarget[], clock: Clock, opts: CheckOptions = {}): Promise<SubsystemResult[]> {
  const deadlines = new Deadlines();
  try {
    return await mapLimit(subs, CHECK_CONCURRENCY, (s) => checkSubsystem(s, clock, deadlines, opts));
  } finally {
    deadlines.clear();
  }
}

export interface RetryOptions extends CheckOptions {
  /** Errors in a row that make the result stand (max_consecutive_failures). */
  attempts: number;
  /** Pause between attempts, ms. */
  pauseMs: number;
}

/**
 * One-shot checking (`selfheal check`): an errored check is tried again, up to `attempts` times in
 * all and within the subsystem's timeout, so a torn read of a half-written file reports what the
 * file says; a persistently corrupt file reports unknown (no evidence), never failed.
 */
export async function checkWithRetries(sub: CheckTarget, clock: Clock, o: RetryOptions): Promise<SubsystemResult> {
  const started = performance.now();
  let r = await checkSubsystem(sub, clock, undefined, o);
  for (let n = 1; r.errored && n < o.attempts; n++) {
    const left = sub.timeout_sec * 1000 - (performance.now() - started);
    if (left <= o.pauseMs) break;
    await new Promise((resolve) => setTimeout(resolve, o.pauseMs));
    r = await checkSubsystem(sub, clock, undefined, o);
  }
  return r;
}
