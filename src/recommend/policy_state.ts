// The policy the service serves, beyond the guide: escalation is immediate; de-escalation waits
// until the lower policy has held for the hold-down; emergency_shutdown latches until an operator
// resets it; operator overrides and recovery floors can only make it stricter.
import { policyLevel, stricterPolicy, type SafetyPolicy } from '../types';

export interface PolicyChange {
  from: SafetyPolicy;
  to: SafetyPolicy;
  reasons: string[];
  at: number;
}

interface Floor {
  policy: SafetyPolicy;
  reason: string;
  until: number | null;
}

export class PolicyStateMachine {
  private served: SafetyPolicy;
  private evaluated: SafetyPolicy;
  private evaluatedReasons: string[] = [];
  private latched = false;
  /** Why emergency_shutdown latched, for the reasons while it holds. */
  private latchedFor = '';
  /** What moved the served policy to its level, and when: named while the hold-down keeps it there. */
  private cause: { reasons: string[]; at: number };
  private belowSince: number | null = null;
  /** The strictest target seen while waiting to de-escalate: we step down only to that. */
  private belowMax: SafetyPolicy = 'allow_all';
  private readonly floors = new Map<string, Floor>();
  private changedAt: number;

  constructor(
    private holdDownMs: number,
    private readonly clock: () => number,
    initial: SafetyPolicy = 'no_new_trades',
  ) {
    this.served = initial;
    this.evaluated = initial;
    this.changedAt = clock();
    this.cause = { reasons: ['selfheal started: a fresh monitor must see health before it allows new positions'], at: this.changedAt };
  }

  /** A reloaded `policy.hold_down_sec`: applies to the wait in progress too. */
  setHoldDown(ms: number): void {
    this.holdDownMs = ms;
  }

  get policy(): SafetyPolicy {
    return this.served;
  }
  get isLatched(): boolean {
    return this.latched;
  }
  get since(): number {
    return this.changedAt;
  }

  /** Feed the latest evaluated policy (the guide's rules); returns a change if the served policy moved. */
  update(evaluated: SafetyPolicy, reasons: string[]): PolicyChange | null {
    this.evaluated = evaluated;
    this.evaluatedReasons = reasons;
    return this.step();
  }

  setFloor(key: string, policy: SafetyPolicy, reason: string, until: number | null = null): PolicyChange | null {
    this.floors.set(key, { policy, reason, until });
    return this.step();
  }

  clearFloor(key: string): PolicyChange | null {
    this.floors.delete(key);
    return this.step();
  }

  /** Sets a floor without stepping: the caller steps once, with the evaluation it belongs to (`update`). */
  holdFloor(key: string, policy: SafetyPolicy, reason: string): void {
    this.floors.set(key, { policy, reason, until: null });
  }

  /** Removes a floor without stepping (see holdFloor). */
  dropFloor(key: string): void {
    this.floors.delete(key);
  }

  floorKeys(): string[] {
    return [...this.floors.keys()];
  }

  /** One floor (e.g. the operator's "override"), if set and not expired. */
  floor(key: string): Readonly<Floor> | null {
    const f = this.floors.get(key);
    return f && (f.until === null || f.until > this.clock()) ? f : null;
  }

  /** A pending de-escalation: to what, since when, effective when (null when none is pending). */
  holdDown(): { target: SafetyPolicy; since: number; until: number } | null {
    if (this.belowSince === null || this.latched) return null;
    return { target: this.belowMax, since: this.belowSince, until: this.belowSince + this.holdDownMs };
  }

  /** A latch that outlived the process (fail closed across a crash): emergency_shutdown again until a reset. */
  restoreLatch(reason: string): PolicyChange | null {
    if (this.latched) return null;
    return this.move('emergency_shutdown', [reason]);
  }

  /** Operator reset of the emergency latch; steps straight to the current target (no hold-down). */
  reset(reason: string): PolicyChange | null {
    this.latched = false;
    const { policy, reasons } = this.target();
    if (policy === this.served) return null;
    return this.move(policy, [`reset by operator: ${reason}`, ...reasons]);
  }

  /** When a pending de-escalation or a floor expiry would take effect, if any. */
  nextWakeAt(): number | null {
    const times: number[] = [];
    if (this.belowSince !== null) times.push(this.belowSince + this.holdDownMs);
    for (const f of this.floors.values()) if (f.until !== null) times.push(f.until);
    return times.length ? Math.min(...times) : null;
  }

  /**
   * Why the served policy is what it is, never empty: the latch, or the hold-down and the cause that
   * moved it there (while the causes are gone but the wait is not), then every cause in force now.
   */
  reasons(): string[] {
    const { policy: target, reasons } = this.target();
    const out: string[] = [];
    if (this.latched)
      out.push(`emergency_shutdown latched: POST /policy/reset to release${this.latchedFor ? ` (latched for: ${this.latchedFor})` : ''}`);
    else if (policyLevel(this.served) > policyLevel(target)) out.push(this.heldLine(target));
    out.push(...reasons);
    if (out.length === 0) out.push(this.served === 'allow_all' ? 'all checks healthy: nothing restricts trading' : this.causeLine());
    return out;
  }

  /** "held by the hold-down after <cause> at <time>; <target> at <time>". */
  private heldLine(target: SafetyPolicy): string {
    const at = this.belowSince === null ? null : this.belowSince + this.holdDownMs;
    const when = at === null ? `${target} once health holds for ${Math.round(this.holdDownMs / 1000)}s` : `${target} at ${iso(at)}`;
    return `held at ${this.served} by the hold-down after ${this.causeLine()}; ${when}`;
  }

  private causeLine(): string {
    return `${this.cause.reasons.join('; ') || 'an earlier cause'} (since ${iso(this.cause.at)})`;
  }

  private target(): { policy: SafetyPolicy; reasons: string[] } {
    const now = this.clock();
    let policy = this.evaluated;
    const reasons = [...this.evaluatedReasons];
    for (const [key, f] of this.floors) {
      if (f.until !== null && f.until <= now) {
        this.floors.delete(key);
        continue;
      }
      // A floor at least as strict as the evaluated policy holds it too: say so (a flap, a pause, an override).
      if (policyLevel(f.policy) >= policyLevel(this.evaluated)) reasons.push(f.reason);
      policy = stricterPolicy(policy, f.policy);
    }
    return { policy, reasons };
  }

  step(): PolicyChange | null {
    const now = this.clock();
    const { policy: target, reasons } = this.target();
    const t = policyLevel(target);
    const s = policyLevel(this.served);
    if (t > s) return this.move(target, reasons);
    if (t === s || this.latched) {
      this.belowSince = null;
      return null;
    }
    if (this.belowSince === null) {
      this.belowSince = now;
      this.belowMax = target;
    } else {
      this.belowMax = stricterPolicy(this.belowMax, target);
    }
    if (now - this.belowSince >= this.holdDownMs) {
      const to = this.belowMax;
      return this.move(to, [`held ${to} for ${Math.round(this.holdDownMs / 1000)}s`, ...reasons]);
    }
    return null;
  }

  private move(to: SafetyPolicy, reasons: string[]): PolicyChange {
    const from = this.served;
    const at = this.clock();
    this.served = to;
    this.changedAt = at;
    this.belowSince = null;
    // What holds the new level: the reasons given (a step down's first line is the hold-down itself).
    const holding = reasons[0]?.startsWith('held ') ? reasons.slice(1) : reasons;
    if (holding.length) this.cause = { reasons: holding, at };
    if (to === 'emergency_shutdown') {
      this.latched = true;
      this.latchedFor = reasons.join('; ').slice(0, 1000);
    }
    return { from, to, reasons, at };
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
