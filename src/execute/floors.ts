// Recovery floors: the policy a protective action holds while its alert fires. A floor is tied to
// the alert instance (fingerprint + startsAt), not to whether its handler has run: cooldowns,
// breakers, backoff, handler slots and maintenance windows limit how often handlers run, never
// whether the protection is in place. It lifts when the alert resolves, or when an operator lifts it.
import type { Logger } from '../log/logger';
import { ACTIONS } from '../recommend/actions';
import type { RecoveryAction, SafetyPolicy } from '../types';
import type { ActionRecord, IgnoredRecord, JournalRecord, JournalStore } from './journal';
import type { Pipeline } from './pipeline';

/** A floor an operator can see and lift (DELETE /recovery/floors/:key). */
export interface RecoveryFloor {
  key: string;
  id: string;
  action: string;
  subsystem: string | null;
  policy: string;
  alertname: string;
}

/** The policy floor a protective action holds (pause_trading, no_new_trades, …); none for the others. */
export function protectiveFloor(action: RecoveryAction | null): SafetyPolicy | undefined {
  return action ? ACTIONS[action].policy_floor : undefined;
}

/** One floor per alert instance: its retries and its records share it. */
const floorKey = (r: Pick<JournalRecord, 'fingerprint' | 'starts_at'>): string => `recovery:${r.fingerprint}:${r.starts_at}`;

/** A record that may hold a floor: an action decided on a firing alert (run, waiting, or skipped). */
export type FloorRecord = ActionRecord | IgnoredRecord;

/** The floors this executor imposed, in the pipeline and in a list operators read. */
export class Floors {
  private readonly byKey = new Map<string, RecoveryFloor>();
  /** Alert instances whose floor an operator lifted: nothing but an approval imposes it again. */
  private readonly lifted = new Set<string>();
  /** While a batch is open: the pipeline changes it will make in one step. */
  private pending: { set: { key: string; policy: SafetyPolicy; reason: string }[]; clear: string[] } | null = null;

  constructor(
    private readonly pipeline: Pick<Pipeline, 'changeFloors'>,
    private readonly store: Pick<JournalStore, 'get' | 'firingOf' | 'update'>,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {}

  /**
   * Imposes the floor of a protective action's record (idempotent); others have none, and neither
   * does an alert instance whose floor an operator lifted (a held-back handler that runs later, or
   * a restart, does not put it back).
   */
  impose(r: FloorRecord): void {
    const policy = protectiveFloor(r.action);
    if (!policy || !r.action) return;
    const key = floorKey(r);
    if (this.byKey.has(key) || this.lifted.has(key) || r.floor_cleared_at != null) return;
    this.byKey.set(key, { key, id: r.id, action: r.action, subsystem: r.subsystem, policy, alertname: r.alertname });
    this.change({ key, policy, reason: `${r.action} for ${r.subsystem ?? 'the platform'} (${r.alertname})` }, null);
  }

  /** Runs `fn`, making every floor it sets or lifts one change of the served policy. */
  batch<T>(fn: () => T): T {
    if (this.pending) return fn();
    this.pending = { set: [], clear: [] };
    try {
      return fn();
    } finally {
      const { set, clear } = this.pending;
      this.pending = null;
      if (set.length || clear.length) this.pipeline.changeFloors(set, clear);
    }
  }

  private change(set: { key: string; policy: SafetyPolicy; reason: string } | null, clear: string | null): void {
    if (this.pending) {
      if (set) this.pending.set.push(set);
      if (clear) this.pending.clear.push(clear);
      return;
    }
    this.pipeline.changeFloors(set ? [set] : [], clear ? [clear] : []);
  }

  /** Lifts the floor of an alert instance (its alert resolved). Returns the policy lifted, if any. */
  lift(r: Pick<JournalRecord, 'fingerprint' | 'starts_at'>): string | null {
    const key = floorKey(r);
    this.lifted.delete(key); // the alert instance is over
    const f = this.byKey.get(key);
    if (!f) return null;
    this.byKey.delete(key);
    this.change(null, key);
    return f.policy;
  }

  /** An operator approved an action whose floor they had lifted: the approval is the later word, the floor goes in. */
  reinstate(r: FloorRecord): void {
    const key = floorKey(r);
    this.lifted.delete(key);
    if (r.floor_cleared_at != null) this.store.update(r.id, { floor_cleared_at: null, updated_at: this.clock() });
    this.impose({ ...r, floor_cleared_at: null });
  }

  /** Floors in force now, with the action that imposed each. */
  list(): RecoveryFloor[] {
    return [...this.byKey.values()];
  }

  /**
   * An operator lifts a floor (by its key or the id of the action that imposed it; null: all). It
   * stays lifted across a restart (floor_cleared_at on every record of that alert instance).
   */
  clear(keyOrId: string | null, reason: string): RecoveryFloor[] {
    return this.batch(() => this.clearEach(keyOrId, reason));
  }

  /** clear()'s work; batched, so lifting every floor is one change of the served policy. */
  private clearEach(keyOrId: string | null, reason: string): RecoveryFloor[] {
    const now = this.clock();
    const lifted = this.list().filter((f) => keyOrId === null || f.key === keyOrId || f.id === keyOrId);
    for (const f of lifted) {
      this.byKey.delete(f.key);
      this.lifted.add(f.key);
      this.change(null, f.key);
      const r = this.store.get(f.id);
      for (const x of r ? this.store.firingOf(r.fingerprint, r.starts_at) : []) {
        if (protectiveFloor(x.action))
          this.store.update(x.id, {
            floor_cleared_at: now,
            detail: `${x.detail ?? ''}; floor lifted by operator: ${reason}`,
            updated_at: now,
          });
      }
      this.logger.warn({ key: f.key, action: f.action, subsystem: f.subsystem, reason }, 'recovery floor lifted by operator');
    }
    return lifted;
  }
}
