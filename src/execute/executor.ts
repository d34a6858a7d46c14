// EXECUTE: alerts in, actions out — each alert's action recorded once, run once, safely, then verified.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/types';
import { ACTIONS } from '../recommend/actions';
import type { Logger } from '../serve/logger';
import type { Monitor } from '../serve/monitor';
import type { HealthStatus, RecoveryAction } from '../types';
import { improved, needsRecheck } from '../verify/verify';
import { decide, foreignReason, type DecideOptions } from './decide';
import { findHandler, runHandler, writeFlag, type ActionContext, type EffectResult } from './effects';
import type { ActionRecord, ActionState, JournalStore } from './journal';
import { breakerOpen, consecutiveFailures, notBefore, type SafetyLimits } from './safety';
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
  inserted: ActionRecord[];
  duplicates: number;
  now: number;
}

const floorKey = (r: Pick<ActionRecord, 'fingerprint' | 'starts_at'>) => `recovery:${r.fingerprint}:${r.starts_at}`;

export class RecoveryExecutor {
  private readonly decideOpts: DecideOptions;
  private readonly limits: SafetyLimits;
  private running: Promise<void> | null = null;
  private rerun = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Circuit breakers currently open, by "subsystem|action". */
  readonly openCircuits = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly store: JournalStore,
    private readonly monitor: Monitor,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly hooks: ExecutorHooks,
    private readonly schedule = true,
  ) {
    this.decideOpts = {
      auto_restart_enabled: config.auto_restart_enabled,
      auto_pause_on_critical: config.auto_pause_on_critical,
      knownSubsystems: new Set(monitor.subsystems.map((s) => s.name)),
      requireApproval: config.recovery.require_approval,
    };
    this.limits = { ...config.recovery, max_consecutive_failures: config.max_consecutive_failures };
  }

  /** After a restart: what was mid-execution is never re-run blindly; floors of still-firing alerts return. */
  recover(): void {
    const now = this.clock();
    for (const r of this.store.byState(['running'])) {
      this.store.update(r.id, {
        state: 'pending_approval',
        reason: `${r.reason}; interrupted by a restart while executing: approve to run it again`,
        expires_at: now + this.config.recovery.approval_ttl_sec * 1000,
        updated_at: now,
      });
      this.hooks.outcome(r.action ?? 'none', r.subsystem ?? 'none', 'interrupted');
      this.logger.warn({ id: r.id, action: r.action, subsystem: r.subsystem }, 'action interrupted by restart; waiting for approval');
    }
    for (const r of this.store.byState(['succeeded', 'verifying'])) {
      const floor = r.action ? ACTIONS[r.action].policy_floor : undefined;
      if (floor && !this.store.isResolved(r.fingerprint, r.starts_at)) this.monitor.setFloor(floorKey(r), floor, `${r.action} for ${r.subsystem} (${r.alertname})`);
    }
    this.hooks.changed();
  }

  /** Records every alert of a delivery in one transaction, then acts on it. Throws if it could not record (→ 5xx). */
  intake(alerts: AlertIn[]): IntakeResult {
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
    const recs = alerts.map((a) => this.toRecord(a, now));
    const { inserted, duplicates } = this.store.insertMany(recs);
    return { received: alerts.length, inserted, duplicates, now };
  }

  /** What a recorded delivery sets off, once it is durable: dry-run outcomes, resolved alerts, the worker. */
  afterRecord({ received, inserted, duplicates, now }: Recorded): IntakeResult {
    for (const r of inserted) {
      if (r.state === 'dry_run') this.hooks.outcome(r.action!, r.subsystem!, 'dry_run');
      if (r.status === 'resolved') this.onResolved(r, now);
      this.logger.info({ id: r.id, alertname: r.alertname, status: r.status, state: r.state, action: r.action, subsystem: r.subsystem, reason: r.reason }, 'alert recorded');
    }
    // Record-only and duplicate deliveries change no gauge: keep the intake path lean.
    if (inserted.some((r) => r.state !== 'ignored')) this.hooks.changed();
    if (inserted.some((r) => r.state === 'recorded')) this.kick();
    return { received, recorded: inserted.length, deduplicated: duplicates };
  }

  private toRecord(a: AlertIn, now: number): ActionRecord {
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
    if (foreign) return { ...base, subsystem: a.labels.subsystem ?? null, action: null, issue_severity: null, state: 'ignored', reason: foreign };
    if (a.status === 'resolved') {
      return { ...base, subsystem: a.labels.subsystem ?? null, action: null, issue_severity: null, state: 'resolved', reason: 'alert resolved: never a remediation' };
    }
    const d = decide(a, this.decideOpts);
    if (d.kind === 'record') return { ...base, subsystem: d.subsystem, action: null, issue_severity: null, state: 'ignored', reason: d.reason };
    const rc = this.config.recovery;
    const dry = rc.dry_run || rc.dry_run_actions.includes(d.action);
    const before = this.monitor.state.get(d.subsystem)?.result.health.status ?? null;
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
    return { ...base, subsystem: d.subsystem, action: d.action, issue_severity: d.issue_severity, state, reason, expires_at, before_status: before };
  }

  /** A resolved alert never remediates; it cancels what has not run and lifts the floor its firing imposed. */
  private onResolved(resolved: ActionRecord, now: number): void {
    const notes: string[] = [];
    for (const f of this.store.firingOf(resolved.fingerprint, resolved.starts_at)) {
      if (f.state === 'recorded' || f.state === 'pending_approval') {
        this.store.update(f.id, { state: 'cancelled', reason: `${f.reason}; alert resolved before execution`, updated_at: now, finished_at: now });
        this.hooks.outcome(f.action ?? 'none', f.subsystem ?? 'none', 'cancelled');
        notes.push(`cancelled ${f.action}`);
      }
      const floor = f.action ? ACTIONS[f.action].policy_floor : undefined;
      if (floor && this.config.recovery.lift_on_resolve && ['succeeded', 'verifying', 'running'].includes(f.state)) {
        this.monitor.clearFloor(floorKey(f));
        notes.push(`lifted the ${floor} floor of ${f.action}`);
      }
    }
    if (notes.length) this.store.update(resolved.id, { detail: notes.join('; '), updated_at: now });
  }

  approve(id: string, reason: string): ActionRecord | { error: string; status: number } {
    const r = this.store.get(id);
    if (!r) return { error: 'no such action', status: 404 };
    if (r.state !== 'pending_approval') return { error: `action is ${r.state}, not pending_approval`, status: 409 };
    const now = this.clock();
    this.store.update(id, { state: 'recorded', approved: true, not_before: null, reason: `${r.reason}; approved: ${reason}`, updated_at: now });
    this.logger.warn({ id, action: r.action, subsystem: r.subsystem, reason }, 'recovery action approved');
    this.hooks.changed();
    this.kick();
    return this.store.get(id)!;
  }

  reject(id: string, reason: string): ActionRecord | { error: string; status: number } {
    const r = this.store.get(id);
    if (!r) return { error: 'no such action', status: 404 };
    if (r.state !== 'pending_approval') return { error: `action is ${r.state}, not pending_approval`, status: 409 };
    const now = this.clock();
    this.store.update(id, { state: 'rejected', outcome: 'rejected', reason: `${r.reason}; rejected: ${reason}`, updated_at: now, finished_at: now });
    this.hooks.outcome(r.action!, r.subsystem!, 'rejected');
    this.logger.warn({ id, action: r.action, subsystem: r.subsystem, reason }, 'recovery action rejected');
    this.hooks.changed();
    return this.store.get(id)!;
  }

  pending(): ActionRecord[] {
    return this.store.byState(['pending_approval']);
  }

  kick(): void {
    if (this.stopped || !this.schedule) return;
    setImmediate(() => void this.runDue().catch((err) => this.logger.error({ err }, 'recovery worker failed')));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Does everything due at the clock's current time; tests with an injected clock call this directly. */
  async runDue(): Promise<void> {
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
      await this.runDue();
    }
    this.reschedule();
  }

  private async pass(): Promise<void> {
    const now = this.clock();
    for (const r of this.store.byState(['pending_approval'])) {
      if (r.expires_at !== null && r.expires_at <= now) {
        this.store.update(r.id, { state: 'expired', outcome: 'expired', reason: `${r.reason}; approval expired`, updated_at: now, finished_at: now });
        this.hooks.outcome(r.action!, r.subsystem!, 'expired');
      }
    }
    const verifying = this.store.byState(['verifying']).filter((r) => (r.verify_at ?? 0) <= now);
    await Promise.all(verifying.map((r) => this.verify(r)));

    const busy = new Set(this.store.byState(['running', 'verifying']).map((r) => r.subsystem));
    const batch: Promise<void>[] = [];
    for (const r of this.store.byState(['recorded'])) {
      if (busy.has(r.subsystem) || (r.not_before ?? 0) > now) continue;
      if (!r.approved && !this.admit(r, now)) continue;
      busy.add(r.subsystem);
      batch.push(this.execute(r));
    }
    await Promise.all(batch);
    this.hooks.changed();
  }

  /** Safety gates for an unapproved action: breaker, escalation, cooldown/backoff. */
  private admit(r: ActionRecord, now: number): boolean {
    const sub = r.subsystem!;
    const action = r.action!;
    const key = `${sub}|${action}`;
    const inWindow = this.store.startedSince(sub, action, now - this.limits.breaker_window_sec * 1000);
    const finished = this.store.lastFinished(sub, action, this.limits.max_consecutive_failures + 1);
    const failures = consecutiveFailures(finished, now, this.limits.backoff_reset_sec);
    const toApproval = (why: string) => {
      this.store.update(r.id, { state: 'pending_approval', reason: `${r.reason}; ${why}`, expires_at: now + this.config.recovery.approval_ttl_sec * 1000, updated_at: now });
      this.logger.error({ id: r.id, action, subsystem: sub }, why);
      return false;
    };
    if (breakerOpen(inWindow.length, this.limits)) {
      this.openCircuits.add(key);
      return toApproval(`circuit open: ${inWindow.length} executions in ${this.limits.breaker_window_sec}s; needs approval`);
    }
    this.openCircuits.delete(key);
    if (action === 'restart_subsystem' && failures >= this.limits.max_consecutive_failures) {
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
      action: r.action!,
      subsystem: r.subsystem!,
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
    const action = r.action as RecoveryAction;
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
    if (needsRecheck(action, ctx.subsystem)) {
      this.store.update(r.id, { state: 'verifying', verify_at: now + this.config.recovery.settle_sec * 1000, detail: result.detail, updated_at: now });
      this.logger.info({ id: r.id, action, subsystem: ctx.subsystem, detail: result.detail }, `executed ${action}; verifying after ${this.config.recovery.settle_sec}s`);
      if (this.config.recovery.settle_sec === 0) await this.verify(this.store.get(r.id)!);
      return;
    }
    this.finish(r, 'succeeded', result.detail, now, duration);
  }

  private async effect(ctx: ActionContext, r: ActionRecord): Promise<EffectResult> {
    const info = ACTIONS[ctx.action];
    const notes: string[] = [];
    if (info.policy_floor) {
      this.monitor.setFloor(floorKey(r), info.policy_floor, `${ctx.action} for ${ctx.subsystem} (${ctx.alertname})`);
      notes.push(`policy floor ${info.policy_floor}`);
    }
    const handler = findHandler(this.config.recovery.handlers, ctx.action, ctx.subsystem);
    if (handler) {
      const res = await runHandler(handler, ctx);
      return { ok: res.ok, detail: [...notes, res.detail].join('; ') };
    }
    if (!info.policy_floor) return writeFlag(this.config.data_dir, ctx, this.clock());
    return { ok: true, detail: notes.join('; ') };
  }

  private async verify(r: ActionRecord): Promise<void> {
    const after = await this.monitor.recheck(r.subsystem!);
    const now = this.clock();
    const ok = after !== null && improved(r.before_status as HealthStatus | null, after);
    const detail = `${r.detail ?? ''}; verify: ${r.before_status ?? '?'} → ${after ?? 'not checked'}`;
    this.finish(r, ok ? 'succeeded' : 'failed', detail, now, r.started_at ? (now - r.started_at) / 1000 : undefined);
  }

  private finish(r: ActionRecord, state: 'succeeded' | 'failed', detail: string, now: number, duration?: number): void {
    this.store.update(r.id, { state, outcome: state === 'succeeded' ? 'success' : 'failure', detail, finished_at: now, updated_at: now });
    if (state === 'failed' && r.action === 'restart_subsystem' && !this.store.isResolved(r.fingerprint, r.starts_at)) this.retry(r, now);
    this.hooks.outcome(r.action!, r.subsystem!, state === 'succeeded' ? 'success' : 'failure', duration);
    const log = state === 'succeeded' ? this.logger.info.bind(this.logger) : this.logger.error.bind(this.logger);
    log({ id: r.id, action: r.action, subsystem: r.subsystem, detail }, `recovery ${r.action} for ${r.subsystem}: ${state}`);
  }

  /**
   * A still-firing alert is delivered once, so a restart that did not help is retried here:
   * the next attempt passes the same gates (backoff from this failure, escalation, breaker).
   */
  private retry(r: ActionRecord, now: number): void {
    const attempt = Number(/#(\d+)$/.exec(r.dedup_key)?.[1] ?? 1) + 1;
    const base = r.dedup_key.replace(/#\d+$/, '');
    this.store.insertMany([
      { ...r, id: randomUUID(), dedup_key: `${base}#${attempt}`, state: 'recorded', approved: false, reason: `retry ${attempt} of ${r.action} for ${r.subsystem}: the last attempt did not help`, not_before: null, verify_at: null, expires_at: null, created_at: now, updated_at: now, started_at: null, finished_at: null, outcome: null, detail: null },
    ]);
  }

  private reschedule(): void {
    if (this.stopped || !this.schedule) return;
    if (this.timer) clearTimeout(this.timer);
    const times: number[] = [];
    for (const r of this.store.byState(['recorded', 'verifying', 'pending_approval'])) {
      const t = r.state === 'recorded' ? r.not_before : r.state === 'verifying' ? r.verify_at : r.expires_at;
      if (t !== null) times.push(t);
    }
    if (!times.length) return;
    const delay = Math.max(0, Math.min(...times) - this.clock());
    this.timer = setTimeout(() => void this.runDue().catch((err) => this.logger.error({ err }, 'recovery worker failed')), Math.min(delay, 2 ** 31 - 1));
    this.timer.unref();
  }
}
