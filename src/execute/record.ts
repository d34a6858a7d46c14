// An action record's life as an explicit state machine: the states, the moves allowed between them,
// and the one function that makes a move (journal, reason, times, outcome metric). Every change of a
// record's state goes through `Records.transition`; a move the table does not allow is a bug and throws.
//
//   (decided) ──► recorded ──► running ──► verifying ──► succeeded | failed
//                   │  ▲         │   └──────────────────► succeeded | failed
//                   ▼  │         └─(crash)─► recorded | pending_approval | cancelled
//            pending_approval ──► rejected | expired | cancelled
//   (decided) ──► dry_run | cancelled          recorded ──► cancelled (its alert resolved)
import type { ActionRecord, ActionState, JournalRecord, JournalStore } from './journal';

/** The moves allowed from each state. Terminal states have none. */
export const TRANSITIONS: Readonly<Record<ActionState, readonly ActionState[]>> = {
  recorded: ['running', 'pending_approval', 'cancelled'],
  pending_approval: ['recorded', 'rejected', 'expired', 'cancelled'],
  // A crash mid-run: protective actions run again (recorded), others wait for a human, resolved ones end.
  running: ['verifying', 'succeeded', 'failed', 'recorded', 'pending_approval', 'cancelled'],
  verifying: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
  rejected: [],
  expired: [],
  cancelled: [],
  dry_run: [],
};

/** The states an action record can be created in (by the decision on an alert). */
export const INITIAL: readonly ActionState[] = ['recorded', 'pending_approval', 'dry_run', 'cancelled'];

/** The outcome label (selfheal_recovery_actions_total{outcome}) a state ends with. */
export const OUTCOME: Readonly<Partial<Record<ActionState, string>>> = {
  succeeded: 'success',
  failed: 'failure',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
  dry_run: 'dry_run',
};

/** Whether a state is terminal (no move leaves it). */
export function isTerminal(s: ActionState): boolean {
  return TRANSITIONS[s].length === 0;
}

/** Whether the table allows `from → to`. */
export function allowed(from: ActionState, to: ActionState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A move the table does not allow: a bug in the caller, never a runtime condition to recover from. */
export class IllegalTransition extends Error {
  constructor(
    readonly id: string,
    readonly from: ActionState,
    readonly to: ActionState,
  ) {
    super(`recovery record ${id}: ${from} → ${to} is not an allowed transition`);
  }
}

/**
 * A move from a state the record has already left (another path moved it meanwhile, e.g. its alert
 * resolved while a crash-interrupted handler was being waited for): nothing was written.
 */
export class StaleRecord extends Error {
  constructor(
    readonly id: string,
    readonly from: ActionState,
    readonly to: ActionState,
  ) {
    super(`recovery record ${id} is no longer ${from}: not moved to ${to}`);
  }
}

/** What else a move may set on the record (never its state, reason or times: the move sets those). */
export type TransitionPatch = Partial<
  Pick<
    ActionRecord,
    'not_before' | 'expires_at' | 'verify_at' | 'detail' | 'approved' | 'floor_at' | 'handler_pgid' | 'handler_start' | 'evidence'
  >
>;

/**
 * A failure that was selfheal's own (a handler that could not reach or find its target): the record
 * ends `failed` with this outcome. Nothing ran, so it is no verified failure (the journal's lastFinished
 * skips it: it never counts towards backoff or escalation).
 */
export const OWN_FAULT = 'own_fault';

/** What a move tells the outside: the outcome metric. */
export interface RecordHooks {
  /** A terminal outcome (or `interrupted`) for metrics, with the action's duration where it ran. */
  outcome(action: string, subsystem: string, outcome: string, durationSec?: number): void;
}

/** The one place an action record changes state. */
export class Records {
  constructor(
    private readonly store: Pick<JournalStore, 'update' | 'get'>,
    private readonly clock: () => number,
    private readonly hooks: RecordHooks,
  ) {}

  /**
   * Moves `r` to `to`, appending `why` to its reason, stamping its times (started_at on running,
   * finished_at and outcome when terminal), writing the journal and emitting the outcome. A crash
   * move (running → recorded/pending_approval) emits `interrupted`. Returns the record as written.
   * The write is a compare-and-set on `r.state`: a record another path moved meanwhile throws StaleRecord.
   */
  transition(r: ActionRecord, to: ActionState, why: string, patch: TransitionPatch = {}, ownFault = false): ActionRecord {
    if (!allowed(r.state, to)) throw new IllegalTransition(r.id, r.state, to);
    const now = this.clock();
    const change: Partial<ActionRecord> = { ...patch, state: to, reason: why ? `${r.reason}; ${why}` : r.reason, updated_at: now };
    if (to === 'running') change.started_at = now;
    const outcome = ownFault && to === 'failed' ? OWN_FAULT : OUTCOME[to];
    if (outcome) {
      change.outcome = outcome;
      change.finished_at = now;
    }
    if (!this.store.update(r.id, change, r.state)) throw new StaleRecord(r.id, r.state, to);
    const next = { ...r, ...change } as ActionRecord;
    const started = next.started_at;
    if (outcome) {
      const ran = (to === 'succeeded' || to === 'failed') && started !== null ? (now - started) / 1000 : undefined;
      this.hooks.outcome(r.action, r.subsystem, outcome, ran);
    } else if (r.state === 'running' && to !== 'verifying') this.hooks.outcome(r.action, r.subsystem, 'interrupted');
    return next;
  }

  /**
   * Changes what a record waits for without changing its state: not_before (a cooldown, a backoff, a
   * maintenance window), noting why once in its reason so history says when it will run.
   */
  defer(r: ActionRecord, notBefore: number | null, why: string | null): ActionRecord {
    const change: Partial<ActionRecord> = { not_before: notBefore, updated_at: this.clock() };
    if (why && !r.reason.endsWith(why)) change.reason = `${r.reason}; ${why}`;
    this.store.update(r.id, change);
    return { ...r, ...change } as ActionRecord;
  }

  /** Sets fields that are not the record's state (a floor lifted, notes of what a resolve did). */
  annotate(r: JournalRecord, patch: Partial<Pick<JournalRecord, 'detail' | 'floor_cleared_at' | 'floor_at'>>): void {
    this.store.update(r.id, { ...patch, updated_at: this.clock() });
  }
}
