// The gates an action passes before its handler runs, beside the storm limits they apply: the
// circuit breaker, escalation of restarts that keep failing, cooldown and backoff. Gates limit how
// often handlers run. They never hold back a protective floor (floors go in at intake), and they
// never make a subsystem failed: only verified failures exhaust recovery (`Exhaustion`).
import { ACTIONS } from '../recommend/actions';
import { RECOVERY_ACTIONS } from '../types';
import type { ActionRecord, JournalStore } from './journal';
import { breakerOpen, consecutiveFailures, notBefore, type StormLimits } from './limits';

/** What the gates say about an unapproved action that is due. */
export type Verdict = { kind: 'run' } | { kind: 'defer'; until: number; why: string } | { kind: 'approval'; why: string };

type GateStore = Pick<JournalStore, 'startedSince' | 'lastFinished'>;

interface Lookups {
  inWindow: ActionRecord[];
  finished: ActionRecord[];
}

/** Breakers and their state across passes; one `GatePass` per executor pass. */
export class Gates {
  /** Circuit breakers currently open, by "subsystem|action" (selfheal_recovery_circuit_open). */
  readonly openCircuits = new Set<string>();

  constructor(
    private readonly store: GateStore,
    private readonly limits: StormLimits,
    /** A breaker of this subsystem opened or closed. */
    private readonly breakerMoved: (subsystem: string) => void,
    /** When the subsystem's current (or last) unhealthy episode began, or null: a new episode starts its restarts afresh. */
    private readonly episodeOf: (subsystem: string) => number | null = () => null,
  ) {}

  /** Gates for one pass: the journal is read once per (subsystem, action), whatever the storm. */
  pass(now: number): GatePass {
    return new GatePass(this, now);
  }

  /** @internal the journal lookups of the gates for (subsystem, action). */
  lookups(sub: string, action: string, now: number): Lookups {
    return {
      inWindow: this.store.startedSince(sub, action, now - this.limits.breaker_window_sec * 1000),
      finished: this.store.lastFinished(sub, action, this.limits.max_consecutive_failures + 1),
    };
  }

  /** @internal the verdict for one record, from its (cached) lookups. */
  verdict(r: ActionRecord, g: Lookups, now: number): Verdict {
    const l = this.limits;
    const key = `${r.subsystem}|${r.action}`;
    if (breakerOpen(g.inWindow.length, l)) {
      if (!this.openCircuits.has(key)) {
        this.openCircuits.add(key);
        this.breakerMoved(r.subsystem);
      }
      return { kind: 'approval', why: `circuit open: ${g.inWindow.length} executions in ${l.breaker_window_sec}s; needs approval` };
    }
    if (this.openCircuits.delete(key)) this.breakerMoved(r.subsystem);
    // Failed restarts count within this episode (and are forgiven after backoff_reset_sec): once the
    // subsystem was healthy again, a new episode gets its restarts, bounded by the breaker.
    const episode = this.episodeOf(r.subsystem);
    const finished = episode === null ? g.finished : g.finished.filter((f) => (f.finished_at ?? 0) >= episode);
    const failures = consecutiveFailures(finished, now, l.backoff_reset_sec);
    if (ACTIONS[r.action].retry_with_backoff && failures >= l.max_consecutive_failures)
      return { kind: 'approval', why: `escalated: ${failures} restarts in a row did not help; needs approval` };
    const last = g.inWindow.length ? g.inWindow[g.inWindow.length - 1].started_at : (g.finished[0]?.started_at ?? null);
    const at = notBefore(r.action, last, finished[0]?.finished_at ?? null, failures, l);
    if (at > now) {
      const why = ACTIONS[r.action].retry_with_backoff ? 'backoff' : 'cooldown';
      return { kind: 'defer', until: at, why: `${why}: runs after ${new Date(at).toISOString()}` };
    }
    return { kind: 'run' };
  }
}

/** The gates of one pass, with its per-(subsystem, action) lookups and log throttle. */
export class GatePass {
  private readonly cache = new Map<string, Lookups & { logged?: boolean }>();

  constructor(
    private readonly gates: Gates,
    private readonly now: number,
  ) {}

  /** The verdict for `r`, and whether it is the first refusal of its (subsystem, action) in this pass (log it once). */
  check(r: ActionRecord): { verdict: Verdict; firstRefusal: boolean } {
    const key = `${r.subsystem}|${r.action}`;
    let g = this.cache.get(key);
    if (!g) {
      g = this.gates.lookups(r.subsystem, r.action, this.now);
      this.cache.set(key, g);
    }
    const verdict = this.gates.verdict(r, g, this.now);
    const firstRefusal = verdict.kind === 'approval' && !g.logged;
    if (firstRefusal) g.logged = true;
    return { verdict, firstRefusal };
  }
}

/** Actions verified by a re-check of the subsystem: only their failures count towards exhausted recovery. */
const VERIFIED_ACTIONS = RECOVERY_ACTIONS.filter((a) => ACTIONS[a].verify === 'recheck');

/**
 * Whether a subsystem's automatic recovery is used up in its episode: its verified action ran and
 * failed verification max_consecutive_failures times in a row. Nothing else exhausts it: an open
 * breaker or a cooldown is a rate limit, not evidence that healing failed.
 */
export class Exhaustion {
  private readonly memo = new Map<string, { reason: string | null; since: number }>();

  constructor(
    private readonly store: Pick<JournalStore, 'lastFinished'>,
    private readonly max: number,
  ) {}

  /** Why recovery of `subsystem` is exhausted since `episodeStart`, or null. */
  exhausted(subsystem: string, episodeStart: number): string | null {
    const memo = this.memo.get(subsystem);
    if (memo && memo.since === episodeStart) return memo.reason;
    let reason: string | null = null;
    for (const action of VERIFIED_ACTIONS) {
      const recent = this.store.lastFinished(subsystem, action, this.max).filter((r) => (r.finished_at ?? 0) >= episodeStart);
      if (recent.length >= this.max && recent.every((r) => r.state === 'failed')) {
        reason = `${this.max} ${action} attempts in a row verified as failed`;
        break;
      }
    }
    this.memo.set(subsystem, { reason, since: episodeStart });
    return reason;
  }

  /** A recovery outcome of `subsystem`: its answer is computed afresh. */
  forget(subsystem: string): void {
    this.memo.delete(subsystem);
  }
}
