// EXECUTE: alerts in, actions out — each alert's action recorded once, run once, safely, then verified.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/types';
import { ACTIONS } from '../recommend/actions';
import type { Logger } from '../log/logger';
import { RECOVERY_ACTIONS, type HealthStatus, type RecoveryAction } from '../types';
import { decide, foreignReason, type DecideOptions } from './decide';
import type { Maintenance } from './maintenance';
import type { Pipeline, Verifier } from './pipeline';
import { findHandler, runHandler, writeFlag, type ActionContext, type EffectResult } from './effects';
import { isAct, TERMINAL, type DueCursor, type JournalRecord, type ActionRecord, type ActionState, type JournalStore } from './journal';
import { breakerOpen, consecutiveFailures, notBefore, type StormLimits } from './limits';
import type { AlertIn } from './webhook';

export interface ExecutorHooks {
  /** A terminal outcome for metrics: success, failure, dry_run, rejected, expired, cancelled, interrupted. */
  outcome(action: string, subsystem: string, outcome: string, durationSec?: number): void;
  changed(): void;
}

export interface IntakeResult {
  received: number;
  recorded: number;
  deduplicated: number;
}

/** A delivery recorded in the journal, not yet acted on. */
export interface Recorded {
  received: number;
  inserted: JournalRecord[];
  duplicates: number;
  now: number;
}

/** Actions verified by a re-check of the subsystem: their failures count towards exhausted recovery. */
const VERIFIED_ACTIONS = RECOVERY_ACTIONS.filter((a) => ACTIONS[a].verify === 'recheck');

const floorKey = (r: Pick<JournalRecord, 'fingerprint' | 'starts_at'>) => `recovery:${r.fingerprint}:${r.starts_at}`;

/** Records decided per transaction and event-loop turn: a storm never holds the loop for long. */
const SLICE = 250;
/** A pass's page of due records shrinks (to 16 at least) when reading and deciding one took longer than this. */
const PAGE_MS = 3;

/** A protective action: it imposes a policy floor (pause_trading, no_new_trades, …). */
const protective = (r: Pick<JournalRecord, 'action'>) => (r.action ? ACTIONS[r.action].policy_floor : undefined);

/**
 * Lanes: protective actions never queue behind remediation (a slow restart handler), and each
 * lane is serialised per subsystem.
 */
const laneOf = (r: Pick<JournalRecord, 'subsystem' | 'action'>) => `${r.subsystem}|${protective(r) ? 'protect' : 'remedy'}`;

/** A floor an operator can see and lift (DELETE /recovery/floors/:key). */
export interface RecoveryFloor {
  key: string;
  id: string;
  action: string;
  subsystem: string | null;
  policy: string;
  alertname: string;
}

export class RecoveryExecutor {
  private readonly decideOpts: DecideOptions;
  private readonly limits: StormLimits;
  private running: Promise<void> | null = null;
  private rerun = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Circuit breakers currently open, by "subsystem|action". */
  readonly openCircuits = new Set<string>();
  /** Actions held by a maintenance window, with the not_before they had before it. */
  private readonly held = new Map<string, number | null>();
  /** Why a subsystem's recovery is exhausted, as of the last outcome: recomputed after each one. */
  private readonly exhaustedMemo = new Map<string, { reason: string | null; since: number }>();
  /** Executions and verifications started by a pass, not awaited by it: a pass never blocks on a handler. */
  private readonly inflight = new Set<Promise<void>>();
  private readonly verifyingIds = new Set<string>();
  /** Handler processes/requests running now, against recovery.max_concurrent_handlers. */
  private handlersRunning = 0;
  private readonly slotWaiters: (() => void)[] = [];
  /** Recovery floors this executor imposed, by floor key. */
  private readonly floorsBy = new Map<string, RecoveryFloor>();

  constructor(
    private readonly config: Config,
    private readonly store: JournalStore,
    private readonly pipeline: Pipeline,
    private readonly verifier: Verifier,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly hooks: ExecutorHooks,
    private readonly schedule = true,
    readonly maintenance: Maintenance | null = null,
  ) {
    this.decideOpts = {
      auto_restart_enabled: config.auto_restart_enabled,
      auto_pause_on_critical: config.auto_pause_on_critical,
      knownSubsystems: new Set(pipeline.subsystems.map((s) => s.name)),
      requireApproval: config.recovery.require_approval,
    };
    this.limits = { ...config.recovery, max_consecutive_failures: config.max_consecutive_failures };
  }

  /** After a restart: what was mid-execution is never re-run blindly; floors of still-firing alerts return. */
  recover(): void {
    const now = this.clock();
    for (const r of this.store.byState(['running'])) {
      if (protective(r)) {
        this.recoverProtective(r, now);
        continue;
      }
      this.store.update(r.id, {
        state: 'pending_approval',
        reason: `${r.reason}; interrupted by a restart while executing: approve to run it again`,
        expires_at: now + this.config.recovery.approval_ttl_sec * 1000,
        updated_at: now,
      });
      this.hooks.outcome(r.action, r.subsystem, 'interrupted');
      this.logger.warn({ id: r.id, action: r.action, subsystem: r.subsystem }, 'action interrupted by restart; waiting for approval');
    }
    // A failed protective action imposed its floor too: fail closed until the alert resolves.
    for (const r of this.store.byState(['succeeded', 'verifying', 'failed'])) {
      const floor = protective(r);
      if (floor && r.floor_cleared_at == null && !this.store.isResolved(r.fingerprint, r.starts_at)) this.impose(r);
    }
    this.hooks.changed();
  }

  /**
   * Fail closed across a crash: a protective action interrupted mid-way has its floor re-imposed
   * now (before anything is served) and runs again — floors and pause/exit handlers are safe to
   * repeat. If its alert resolved meanwhile, it is cancelled instead.
   */
  private recoverProtective(r: ActionRecord, now: number): void {
    if (this.store.isResolved(r.fingerprint, r.starts_at)) {
      this.store.update(r.id, {
        state: 'cancelled',
        outcome: 'cancelled',
        reason: `${r.reason}; interrupted by a restart, alert resolved meanwhile`,
        updated_at: now,
        finished_at: now,
      });
      this.hooks.outcome(r.action, r.subsystem, 'cancelled');
      return;
    }
    this.impose(r);
    this.store.update(r.id, {
      state: 'recorded',
      approved: true,
      reason: `${r.reason}; interrupted by a restart: protective, floor re-imposed and re-applied`,
      updated_at: now,
    });
    this.hooks.outcome(r.action, r.subsystem, 'interrupted');
    this.logger.warn(
      { id: r.id, action: r.action, subsystem: r.subsystem },
      'protective action interrupted by restart; floor re-imposed, running it again',
    );
  }

  /** Records every alert of a delivery in one transaction, then acts on it. Throws if it could not record (→ 5xx). */
  recordAndAct(alerts: AlertIn[]): IntakeResult {
    return this.afterRecord(this.record(alerts));
  }

  /**
   * Group commit: several deliveries recorded in one transaction. Throws if they could not be
   * recorded (→ 5xx for all of them; Alertmanager retries, and the retry is idempotent).
   */
  recordMany(deliveries: AlertIn[][]): Recorded[] {
    return this.store.inTransaction(() => deliveries.map((alerts) => this.record(alerts)));
  }

  /** Records a delivery's alerts (in the caller's transaction, if there is one); duplicates are counted. */
  record(alerts: AlertIn[]): Recorded {
    const now = this.clock();
    const recs = this.resolvedFirst(
      alerts.map((a) => this.toRecord(a, now)),
      now,
    );
    const { inserted, duplicates } = this.store.insertMany(recs);
    return { received: alerts.length, inserted, duplicates, now };
  }

  /** What a recorded delivery sets off, once it is durable: dry-run outcomes, resolved alerts, the worker. */
  afterRecord({ received, inserted, duplicates, now }: Recorded): IntakeResult {
    for (const r of inserted) {
      if (r.state === 'dry_run') this.hooks.outcome(r.action, r.subsystem, 'dry_run');
      if (r.state === 'cancelled') this.hooks.outcome(r.action, r.subsystem, 'cancelled'); // its resolve came first
      if (r.status === 'resolved') this.onResolved(r, now);
      this.logger.info(
        { id: r.id, alertname: r.alertname, status: r.status, state: r.state, action: r.action, subsystem: r.subsystem, reason: r.reason },
        'alert recorded',
      );
    }
    // Record-only and duplicate deliveries change no gauge: keep the intake path lean.
    if (inserted.some((r) => r.state !== 'ignored')) this.hooks.changed();
    if (inserted.some((r) => r.state === 'recorded')) this.kick();
    return { received, recorded: inserted.length, deduplicated: duplicates };
  }

  private toRecord(a: AlertIn, now: number): JournalRecord {
    const base = {
      id: randomUUID(),
      dedup_key: `${a.fingerprint}|${a.startsAt}|${a.status}`,
      alertname: a.labels.alertname ?? '',
      fingerprint: a.fingerprint,
      starts_at: a.startsAt,
      status: a.status,
      labels: a.labels,
      not_before: null,
      expires_at: null,
      verify_at: null,
      before_status: null,
      approved: false,
      created_at: now,
      updated_at: now,
      started_at: null,
      finished_at: null,
      outcome: null,
      detail: null,
    };
    // Another host's alert (fleet mode): recorded, never executed, never floored.
    const foreign = foreignReason(a.labels, this.config.instance);
    if (foreign)
      return { ...base, subsystem: a.labels.subsystem ?? null, action: null, issue_severity: null, state: 'ignored', reason: foreign };
    if (a.status === 'resolved') {
      return {
        ...base,
        status: a.status,
        subsystem: a.labels.subsystem ?? null,
        action: null,
        issue_severity: null,
        state: 'resolved',
        reason: 'alert resolved: never a remediation',
      };
    }
    const d = decide(a, this.decideOpts);
    if (d.kind === 'record')
      return { ...base, subsystem: d.subsystem, action: null, issue_severity: null, state: 'ignored', reason: d.reason };
    const skip = this.skipReason(d.subsystem, d.action, a.fingerprint);
    if (skip)
      return { ...base, subsystem: d.subsystem, action: d.action, issue_severity: d.issue_severity, state: 'ignored', reason: skip };
    const rc = this.config.recovery;
    const dry = rc.dry_run || rc.dry_run_actions.includes(d.action);
    const before = this.pipeline.state.get(d.subsystem)?.result.health.status ?? null;
    let state: ActionState = 'recorded';
    let reason = `${d.issue_severity} issue on ${d.subsystem} → ${d.action} (auto ${d.can_auto_execute})`;
    let expires_at: number | null = null;
    if (dry) {
      state = 'dry_run';
      reason += '; dry run: decided and recorded, nothing done';
    } else if (d.requires_approval) {
      state = 'pending_approval';
      reason += '; requires approval';
      expires_at = now + rc.approval_ttl_sec * 1000;
    }
    return {
      ...base,
      status: a.status,
      subsystem: d.subsystem,
      action: d.action,
      issue_severity: d.issue_severity,
      state,
      reason,
      expires_at,
      before_status: before,
    };
  }

  /**
   * Why a firing alert must not act: a maintenance window, or the same (subsystem, action) already
   * handled in this unhealthy episode by another alert — the local path and Alertmanager (and both
   * members of an HA pair) run an action once per episode between them.
   */
  private skipReason(subsystem: string, action: RecoveryAction, fingerprint: string): string | null {
    const w = this.maintenance?.active(subsystem);
    if (w)
      return `maintenance window for ${w.subsystem ?? 'all subsystems'} until ${new Date(w.until).toISOString()} (${w.reason}): recorded, nothing run`;
    const episode = this.pipeline.state.get(subsystem)?.lastEpisodeStart ?? null;
    if (episode === null) return null;
    const done = this.store.handledSince(subsystem, action, episode);
    if (done && done.fingerprint !== fingerprint)
      return `${action} for ${subsystem} already handled in this episode by ${done.id} (${done.alertname}): recorded, nothing run`;
    return null;
  }

  /**
   * Whether automatic recovery of `subsystem` is used up since `episodeStart`: its verified
   * action failed max_consecutive_failures times in a row, or a breaker of it is open.
   */
  exhausted(subsystem: string, episodeStart: number): string | null {
    const memo = this.exhaustedMemo.get(subsystem);
    if (memo && memo.since === episodeStart) return memo.reason;
    let reason: string | null = null;
    const now = this.clock();
    for (const key of [...this.openCircuits]) {
      if (!key.startsWith(`${subsystem}|`)) continue;
      const action = key.slice(subsystem.length + 1);
      // A breaker closes with its window, whether or not another run of that action was ever admitted:
      // a breaker of an earlier episode must not escalate this one.
      const started = this.store.startedSince(subsystem, action, now - this.limits.breaker_window_sec * 1000).length;
      if (breakerOpen(started, this.limits)) reason = `circuit breaker open for ${action}`;
      else this.openCircuits.delete(key);
    }
    const max = this.limits.max_consecutive_failures;
    for (const action of VERIFIED_ACTIONS) {
      if (reason) break;
      const recent = this.store.lastFinished(subsystem, action, max).filter((r) => (r.finished_at ?? 0) >= episodeStart);
      if (recent.length >= max && recent.every((r) => r.state === 'failed'))
        reason = `${max} ${action} attempts in a row verified as failed`;
    }
    this.exhaustedMemo.set(subsystem, { reason, since: episodeStart });
    return reason;
  }

  /**
   * A firing that arrives after its own resolve (same fingerprint + startsAt; Alertmanager HA or
   * retries can reorder them) must not act: its floor would never lift.
   */
  private resolvedFirst(recs: JournalRecord[], now: number): JournalRecord[] {
    const inDelivery = new Set(recs.filter((r) => r.status === 'resolved').map((r) => `${r.fingerprint}|${r.starts_at}`));
    return recs.map((r) => {
      if (!isAct(r) || TERMINAL.includes(r.state)) return r;
      if (!inDelivery.has(`${r.fingerprint}|${r.starts_at}`) && !this.store.isResolved(r.fingerprint, r.starts_at)) return r;
      return {
        ...r,
        state: 'cancelled',
        outcome: 'cancelled',
        expires_at: null,
        finished_at: now,
        reason: `${r.reason}; the alert had already resolved: not executed`,
      };
    });
  }

  /** A resolved alert never remediates; it cancels what has not run and lifts the floor its firing imposed. */
  private onResolved(resolved: JournalRecord, now: number): void {
    const notes: string[] = [];
    for (const f of this.store.firingOf(resolved.fingerprint, resolved.starts_at)) {
      if (f.state === 'recorded' || f.state === 'pending_approval') {
        this.store.update(f.id, {
          state: 'cancelled',
          reason: `${f.reason}; alert resolved before execution`,
          updated_at: now,
          finished_at: now,
        });
        this.hooks.outcome(f.action, f.subsystem, 'cancelled');
        notes.push(`cancelled ${f.action}`);
      }
      const floor = f.action ? ACTIONS[f.action].policy_floor : undefined;
      if (floor && this.config.recovery.lift_on_resolve && ['succeeded', 'verifying', 'running', 'failed'].includes(f.state)) {
        this.liftFloor(floorKey(f));
        notes.push(`lifted the ${floor} floor of ${f.action}`);
      }
    }
    if (notes.length) this.store.update(resolved.id, { detail: notes.join('; '), updated_at: now });
  }

  approve(id: string, reason: string): JournalRecord | { error: string; status: number } {
    const r = this.store.get(id);
    if (!r) return { error: 'no such action', status: 404 };
    if (r.state !== 'pending_approval') return { error: `action is ${r.state}, not pending_approval`, status: 409 };
    const now = this.clock();
    this.store.update(id, {
      state: 'recorded',
      approved: true,
      not_before: null,
      reason: `${r.reason}; approved: ${reason}`,
      updated_at: now,
    });
    this.logger.warn({ id, action: r.action, subsystem: r.subsystem, reason }, 'recovery action approved');
    this.hooks.changed();
    this.kick();
    return this.reread(id);
  }

  reject(id: string, reason: string): JournalRecord | { error: string; status: number } {
    const r = this.store.get(id);
    if (!r) return { error: 'no such action', status: 404 };
    if (r.state !== 'pending_approval') return { error: `action is ${r.state}, not pending_approval`, status: 409 };
    const now = this.clock();
    this.store.update(id, {
      state: 'rejected',
      outcome: 'rejected',
      reason: `${r.reason}; rejected: ${reason}`,
      updated_at: now,
      finished_at: now,
    });
    this.hooks.outcome(r.action, r.subsystem, 'rejected');
    this.logger.warn({ id, action: r.action, subsystem: r.subsystem, reason }, 'recovery action rejected');
    this.hooks.changed();
    return this.reread(id);
  }

  pending(limit = 100, offset = 0): ActionRecord[] {
    return this.store.pendingPage(limit, offset);
  }

  /** Imposes the policy floor of a protective action (others have none), remembering which action it is. */
  private impose(r: ActionRecord): void {
    const key = floorKey(r);
    const policy = protective(r);
    if (!policy) return;
    this.floorsBy.set(key, { key, id: r.id, action: r.action, subsystem: r.subsystem, policy, alertname: r.alertname });
    this.pipeline.setFloor(key, policy, `${r.action} for ${r.subsystem} (${r.alertname})`);
  }

  private liftFloor(key: string): void {
    this.floorsBy.delete(key);
    this.pipeline.clearFloor(key);
  }

  /** Recovery floors in force now, with the action that imposed each. */
  floors(): RecoveryFloor[] {
    return [...this.floorsBy.values()];
  }

  /**
   * An operator lifts a recovery floor (by its key or the id of the action that imposed it): a
   * stuck floor needs no restart, and it stays lifted across one. Returns the floors lifted.
   */
  clearFloors(keyOrId: string | null, reason: string): RecoveryFloor[] {
    const now = this.clock();
    const lifted = this.floors().filter((f) => keyOrId === null || f.key === keyOrId || f.id === keyOrId);
    for (const f of lifted) {
      this.liftFloor(f.key);
      const r = this.store.get(f.id);
      for (const x of r ? this.store.firingOf(r.fingerprint, r.starts_at) : []) {
        if (protective(x))
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

  /** A maintenance window started, ended or expired: release what it no longer covers, then act. */
  maintenanceChanged(): void {
    for (const [id, notBefore] of this.held) {
      const r = this.store.get(id);
      if (r && r.state === 'recorded' && r.subsystem && this.maintenance?.active(r.subsystem)) continue;
      this.held.delete(id);
      if (r && r.state === 'recorded') this.store.update(id, { not_before: notBefore, updated_at: this.clock() });
    }
    this.kick();
  }

  kick(): void {
    if (this.stopped || !this.schedule) return;
    setImmediate(() => void this.tick().catch((err) => this.logger.error({ err }, 'recovery worker failed')));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Resolves once no pass, execution or verification is in flight. */
  async idle(): Promise<void> {
    while (this.running || this.inflight.size) {
      if (this.running) await this.running;
      await Promise.all([...this.inflight]);
    }
  }

  /**
   * Does everything due at the clock's current time and waits for what it started; tests with an
   * injected clock call this directly. The worker itself only ticks (never waits on handlers).
   */
  async runDue(): Promise<void> {
    await this.tick();
    await this.idle();
  }

  /** One pass at a time; a pass asked for meanwhile runs right after. */
  private async tick(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
    });
    await this.running;
    if (this.rerun) {
      this.rerun = false;
      await this.tick();
    }
    this.reschedule();
  }

  /** Runs work without the pass awaiting it; its end triggers another pass (the next in its lane). */
  private launch(work: Promise<void>): void {
    const p: Promise<void> = work
      .catch((err: unknown) => this.logger.error({ err }, 'recovery action failed'))
      .finally(() => {
        this.inflight.delete(p);
        this.kick();
      });
    this.inflight.add(p);
  }

  /** Handlers running now and actions waiting for a handler slot. */
  handlers(): { running: number; waiting: number } {
    return { running: this.handlersRunning, waiting: this.slotWaiters.length };
  }

  /** A slot among recovery.max_concurrent_handlers; floors never wait for one. */
  private async slot(): Promise<() => void> {
    if (this.handlersRunning >= this.config.recovery.max_concurrent_handlers) await new Promise<void>((r) => this.slotWaiters.push(r));
    else this.handlersRunning++;
    return () => {
      const next = this.slotWaiters.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else this.handlersRunning--;
    };
  }

  /**
   * Expiries, due verifications and admissions, a slice (one transaction) per event-loop turn so a
   * storm never holds the loop; what is admitted is started, not awaited. Each (subsystem, lane)
   * runs one action at a time.
   */
  private async pass(): Promise<void> {
    const now = this.clock();
    const turn = () => new Promise<void>((r) => setImmediate(r));
    while (this.store.inTransaction(() => this.expireSlice(now)) === SLICE) await turn();
    const busy = new Set(this.store.byState(['running', 'verifying']).map(laneOf));
    const cache = new Map<string, Gates>();
    // Rows skipped (their lane is busy) stay due; the cursor moves past them, never reading them twice in a pass.
    for (let after: DueCursor | null = null, page = SLICE; ; await turn()) {
      const started = performance.now();
      const { rows, next } = this.store.dueRecorded(now, page, after);
      after = next;
      const admitted = this.store.inTransaction(() => {
        const out: ActionRecord[] = [];
        for (const r of rows) {
          const lane = laneOf(r);
          const window = busy.has(lane) || r.approved ? undefined : this.maintenance?.active(r.subsystem);
          if (busy.has(lane)) continue;
          else if (window) {
            // Held until the window ends: due again exactly then (not before, so the worker does not spin);
            // released() restores it if the window is ended early.
            if (!this.held.has(r.id)) this.held.set(r.id, r.not_before);
            this.store.update(r.id, { not_before: window.until, updated_at: now });
          } else if (r.approved || this.admit(r, now, cache)) {
            busy.add(lane);
            out.push(r);
          } // else: to approval or not_before set — either way no longer due
        }
        return out;
      });
      for (const r of admitted) this.launch(this.execute(r));
      if (rows.length < page) break;
      page = Math.max(16, Math.min(SLICE, Math.floor((page * PAGE_MS) / Math.max(performance.now() - started, 0.05))));
    }
    for (const r of this.store.due('verifying', now)) {
      if (this.verifyingIds.has(r.id)) continue;
      this.verifyingIds.add(r.id);
      this.launch(this.verify(r).finally(() => this.verifyingIds.delete(r.id)));
    }
    this.hooks.changed();
  }

  /** Expires due approvals, at most a slice; returns how many. */
  private expireSlice(now: number): number {
    const due = this.store.due('pending_approval', now, SLICE);
    for (const r of due) {
      this.store.update(r.id, {
        state: 'expired',
        outcome: 'expired',
        reason: `${r.reason}; approval expired`,
        updated_at: now,
        finished_at: now,
      });
      this.hooks.outcome(r.action, r.subsystem, 'expired');
    }
    return due.length;
  }

  /** The journal lookups of the gates, once per (subsystem, action) per pass. */
  private gates(sub: string, action: string, now: number, cache: Map<string, Gates>): Gates {
    const key = `${sub}|${action}`;
    let g = cache.get(key);
    if (!g) {
      g = {
        inWindow: this.store.startedSince(sub, action, now - this.limits.breaker_window_sec * 1000),
        finished: this.store.lastFinished(sub, action, this.limits.max_consecutive_failures + 1),
      };
      cache.set(key, g);
    }
    return g;
  }

  /** Safety gates for an unapproved action: breaker, escalation, cooldown/backoff. */
  private admit(r: ActionRecord, now: number, cache: Map<string, Gates>): boolean {
    const sub = r.subsystem;
    const action = r.action;
    const key = `${sub}|${action}`;
    const gates = this.gates(sub, action, now, cache);
    const { inWindow, finished } = gates;
    const failures = consecutiveFailures(finished, now, this.limits.backoff_reset_sec);
    const toApproval = (why: string) => {
      this.store.update(r.id, {
        state: 'pending_approval',
        reason: `${r.reason}; ${why}`,
        expires_at: now + this.config.recovery.approval_ttl_sec * 1000,
        updated_at: now,
      });
      // One log line per (subsystem, action) and pass: a storm must not become a log storm.
      if (!gates.logged) this.logger.error({ id: r.id, action, subsystem: sub }, why);
      gates.logged = true;
      return false;
    };
    if (breakerOpen(inWindow.length, this.limits)) {
      if (!this.openCircuits.has(key)) this.outcomeChanged(sub);
      this.openCircuits.add(key);
      return toApproval(`circuit open: ${inWindow.length} executions in ${this.limits.breaker_window_sec}s; needs approval`);
    }
    if (this.openCircuits.delete(key)) this.outcomeChanged(sub);
    if (ACTIONS[action].retry_with_backoff && failures >= this.limits.max_consecutive_failures) {
      return toApproval(`escalated: ${failures} restarts in a row did not help; needs approval`);
    }
    const last = inWindow.length ? inWindow[inWindow.length - 1].started_at : (finished[0]?.started_at ?? null);
    const at = notBefore(action, last, finished[0]?.finished_at ?? null, failures, this.limits);
    if (at > now) {
      this.store.update(r.id, { not_before: at, updated_at: now });
      return false;
    }
    return true;
  }

  private ctx(r: ActionRecord): ActionContext {
    return {
      action: r.action,
      subsystem: r.subsystem,
      severity: r.issue_severity ?? '',
      alertname: r.alertname,
      fingerprint: r.fingerprint,
      startsAt: r.starts_at,
      labels: r.labels,
    };
  }

  private async execute(r: ActionRecord): Promise<void> {
    const started = this.clock();
    const t0 = performance.now();
    // Durable before the effect: after a crash this action is known to have started.
    this.store.update(r.id, { state: 'running', started_at: started, updated_at: started });
    const action = r.action;
    const ctx = this.ctx(r);
    let result: EffectResult;
    try {
      result = await this.effect(ctx, r);
    } catch (err) {
      result = { ok: false, detail: `effect failed: ${(err as Error).message}` };
    }
    const now = this.clock();
    const duration = (performance.now() - t0) / 1000;
    if (!result.ok) {
      this.finish(r, 'failed', result.detail, now, duration);
      return;
    }
    if (this.verifier.needsRecheck(action, ctx.subsystem)) {
      this.store.update(r.id, {
        state: 'verifying',
        verify_at: now + this.config.recovery.settle_sec * 1000,
        detail: result.detail,
        updated_at: now,
      });
      this.logger.info(
        { id: r.id, action, subsystem: ctx.subsystem, detail: result.detail },
        `executed ${action}; verifying after ${this.config.recovery.settle_sec}s`,
      );
      const verifying = this.config.recovery.settle_sec === 0 ? this.store.get(r.id) : null;
      if (verifying && isAct(verifying)) await this.verify(verifying);
      return;
    }
    this.finish(r, 'succeeded', result.detail, now, duration);
  }

  private async effect(ctx: ActionContext, r: ActionRecord): Promise<EffectResult> {
    const info = ACTIONS[ctx.action];
    const notes: string[] = [];
    if (info.policy_floor) {
      this.impose(r);
      notes.push(`policy floor ${info.policy_floor}`);
    }
    const handler = findHandler(this.config.recovery.handlers, ctx.action, ctx.subsystem);
    if (handler) {
      const release = await this.slot();
      try {
        const res = await runHandler(handler, ctx);
        return { ok: res.ok, detail: [...notes, res.detail].join('; ') };
      } finally {
        release();
      }
    }
    if (!info.policy_floor) return writeFlag(this.config.data_dir, ctx, this.clock());
    return { ok: true, detail: notes.join('; ') };
  }

  /** A record just updated by id: it exists (the caller read it in the same turn). */
  private reread(id: string): JournalRecord {
    const r = this.store.get(id);
    if (!r) throw new Error(`recovery record ${id} vanished from the journal`);
    return r;
  }

  private async verify(r: ActionRecord): Promise<void> {
    const after = await this.pipeline.recheck(r.subsystem);
    const now = this.clock();
    const ok = after !== null && this.verifier.improved(r.before_status as HealthStatus | null, after);
    const detail = `${r.detail ?? ''}; verify: ${r.before_status ?? '?'} → ${after ?? 'not checked'}`;
    this.finish(r, ok ? 'succeeded' : 'failed', detail, now, r.started_at ? (now - r.started_at) / 1000 : undefined);
  }

  private finish(r: ActionRecord, state: 'succeeded' | 'failed', detail: string, now: number, duration?: number): void {
    this.store.update(r.id, { state, outcome: state === 'succeeded' ? 'success' : 'failure', detail, finished_at: now, updated_at: now });
    if (state === 'failed' && ACTIONS[r.action].retry_with_backoff && !this.store.isResolved(r.fingerprint, r.starts_at))
      this.retry(r, now);
    this.hooks.outcome(r.action, r.subsystem, state === 'succeeded' ? 'success' : 'failure', duration);
    this.outcomeChanged(r.subsystem);
    const log = state === 'succeeded' ? this.logger.info.bind(this.logger) : this.logger.error.bind(this.logger);
    log({ id: r.id, action: r.action, subsystem: r.subsystem, detail }, `recovery ${r.action} for ${r.subsystem}: ${state}`);
  }

  /** A recovery outcome may exhaust (or refresh) a subsystem's recovery: the pipeline re-evaluates at once. */
  private outcomeChanged(subsystem: string): void {
    this.exhaustedMemo.delete(subsystem);
    void this.pipeline.reevaluate().catch((err) => this.logger.error({ err }, 're-evaluation after a recovery outcome failed'));
  }

  /**
   * A still-firing alert is delivered once, so a restart that did not help is retried here:
   * the next attempt passes the same gates (backoff from this failure, escalation, breaker).
   */
  private retry(r: ActionRecord, now: number): void {
    const attempt = Number(/#(\d+)$/.exec(r.dedup_key)?.[1] ?? 1) + 1;
    const base = r.dedup_key.replace(/#\d+$/, '');
    this.store.insertMany([
      {
        ...r,
        id: randomUUID(),
        dedup_key: `${base}#${attempt}`,
        state: 'recorded',
        approved: false,
        reason: `retry ${attempt} of ${r.action} for ${r.subsystem}: the last attempt did not help`,
        not_before: null,
        verify_at: null,
        expires_at: null,
        created_at: now,
        updated_at: now,
        started_at: null,
        finished_at: null,
        outcome: null,
        detail: null,
      },
    ]);
  }

  private reschedule(): void {
    if (this.stopped || !this.schedule) return;
    if (this.timer) clearTimeout(this.timer);
    const next = this.store.nextDue();
    if (next === null) return;
    const delay = Math.max(0, next - this.clock());
    this.timer = setTimeout(
      () => void this.tick().catch((err) => this.logger.error({ err }, 'recovery worker failed')),
      Math.min(delay, 2 ** 31 - 1),
    );
    this.timer.unref();
  }
}

interface Gates {
  inWindow: ActionRecord[];
  finished: ActionRecord[];
  logged?: boolean;
}
