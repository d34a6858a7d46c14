// EXECUTE: alerts in, actions out — each alert's action recorded once, run once, safely, then verified.
// Orchestration only: a record's states and moves are `record.ts`, what a delivery becomes is
// `recording.ts`, the gates `gates.ts`, floors `floors.ts`, crash recovery `recover.ts`, and the
// verdict on a re-check is VERIFY's (handed in as a `Verifier`).
import type { Config } from '../config/types';
import type { Logger } from '../log/logger';
import { ACTIONS } from '../recommend/actions';
import type { DecideOptions } from './decide';
import type { EffectResult, SupervisorEvidence } from '../handlers/handler';
import { Floors, protectiveFloor, type RecoveryFloor } from './floors';
import { Exhaustion, Gates, type GatePass } from './gates';
import { isAct, type ActionRecord, type DueCursor, type JournalRecord, type JournalStore } from './journal';
import type { Maintenance } from './maintenance';
import type { Pipeline, Verifier } from './pipeline';
import { Records, StaleRecord } from './record';
import { recordsOf, retryOf, type RecordingDeps } from './recording';
import { ActionRunner } from './run';
import { recoverAfterCrash } from './recover';
import type { AlertIn } from './webhook';

export interface ExecutorHooks {
  /** A terminal outcome for metrics: success, failure, dry_run, rejected, expired, cancelled, interrupted. */
  outcome(action: string, subsystem: string, outcome: string, durationSec?: number): void;
  changed(): void;
  /** selfheal's own fault while acting (a handler that cannot reach or find its target): selfheal_internal_errors_total. */
  ownFault?(kind: 'handler_config'): void;
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

/** Records decided per transaction and event-loop turn: a storm never holds the loop for long. */
/** Looks a verification takes at most while its re-check reads no evidence, and the time between them. */
const VERIFY_LOOKS = 3;
const VERIFY_LOOK_MS = 1000;
const SLICE = 250;
/** A pass's page of due records shrinks (to 16 at least) when reading and deciding one took longer than this. */
const PAGE_MS = 3;

/**
 * Lanes: protective actions never queue behind remediation (a slow restart handler), and each
 * lane is serialised per subsystem.
 */
const laneOf = (r: Pick<ActionRecord, 'subsystem' | 'action'>) => `${r.subsystem}|${protectiveFloor(r.action) ? 'protect' : 'remedy'}`;

const turn = () => new Promise<void>((r) => setImmediate(r));

export class RecoveryExecutor {
  private readonly records: Records;
  private readonly floorSet: Floors;
  private readonly gates: Gates;
  private readonly exhaustion: Exhaustion;
  private readonly recording: RecordingDeps;
  /** Runs admitted actions' effects (handlers, slots, a crashed run's leftover handler). */
  private readonly runner: ActionRunner;
  private running: Promise<void> | null = null;
  private rerun = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Actions held by a maintenance window, with the not_before they had before it. */
  private readonly held = new Map<string, number | null>();
  /** Executions and verifications started by a pass, not awaited by it: a pass never blocks on a handler. */
  private readonly inflight = new Set<Promise<void>>();
  private readonly verifyingIds = new Set<string>();
  /** Admitted records not yet running (waiting for a crash-interrupted handler), by id: their lanes are busy. */
  private readonly starting = new Map<string, string>();

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
    const decideOpts: DecideOptions = {
      auto_restart_enabled: config.auto_restart_enabled,
      auto_pause_on_critical: config.auto_pause_on_critical,
      knownSubsystems: new Set(pipeline.subsystems.map((s) => s.name)),
      requireApproval: config.recovery.require_approval,
    };
    this.recording = { config, decideOpts, store, pipeline, maintenance };
    this.records = new Records(store, clock, hooks);
    this.floorSet = new Floors(pipeline, store, clock, logger);
    const limits = { ...config.recovery, max_consecutive_failures: config.max_consecutive_failures };
    this.gates = new Gates(
      store,
      limits,
      (sub) => this.outcomeChanged(sub),
      (sub) => pipeline.state.get(sub)?.lastEpisodeStart ?? null,
    );
    this.exhaustion = new Exhaustion(store, config.max_consecutive_failures);
    this.runner = new ActionRunner(config, store, this.floorSet, clock, logger);
  }

  /** Circuit breakers currently open, by "subsystem|action". */
  get openCircuits(): ReadonlySet<string> {
    return this.gates.openCircuits;
  }

  /** After a restart, before anything is served: floors owed come back; what was running is never re-run blindly. */
  recover(): void {
    this.floorSet.batch(() => this.recoverNow());
    this.hooks.changed();
  }

  private recoverNow(): void {
    recoverAfterCrash({
      store: this.store,
      records: this.records,
      floors: this.floorSet,
      clock: this.clock,
      logger: this.logger,
      approvalTtlSec: this.config.recovery.approval_ttl_sec,
    });
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
    const { inserted, duplicates } = this.store.insertMany(recordsOf(this.recording, alerts, now));
    return { received: alerts.length, inserted, duplicates, now };
  }

  /** What a recorded delivery sets off, once it is durable: floors, dry-run outcomes, resolved alerts, the worker. */
  afterRecord(recorded: Recorded): IntakeResult {
    // A storm of protective alerts is one change of the served policy, not one per alert.
    return this.floorSet.batch(() => this.actOn(recorded));
  }

  private actOn({ received, inserted, duplicates }: Recorded): IntakeResult {
    for (const r of inserted) {
      if (r.state === 'dry_run') this.hooks.outcome(r.action, r.subsystem, 'dry_run');
      if (r.state === 'cancelled') this.hooks.outcome(r.action, r.subsystem, 'cancelled'); // its resolve came first
      if (r.state !== 'resolved' && r.floor_at != null) this.floorSet.impose(r);
      if (r.status === 'resolved') this.onResolved(r);
      this.logger.info(
        { id: r.id, alertname: r.alertname, status: r.status, state: r.state, action: r.action, subsystem: r.subsystem, reason: r.reason },
        'alert recorded',
      );
    }
    // Record-only and duplicate deliveries change no gauge: keep the intake path lean.
    if (inserted.some((r) => r.state !== 'ignored' || r.floor_at != null)) this.hooks.changed();
    if (inserted.some((r) => r.state === 'recorded')) this.kick();
    return { received, recorded: inserted.length, deduplicated: duplicates };
  }

  /** Why `subsystem`'s automatic recovery is used up since `episodeStart` (verified failures only), or null. */
  exhausted(subsystem: string, episodeStart: number): string | null {
    return this.exhaustion.exhausted(subsystem, episodeStart);
  }

  /** A resolved alert never remediates; it cancels what has not run and lifts the floor its firing imposed. */
  private onResolved(resolved: JournalRecord): void {
    const notes: string[] = [];
    for (const f of this.store.firingOf(resolved.fingerprint, resolved.starts_at)) {
      if (isAct(f) && (f.state === 'recorded' || f.state === 'pending_approval')) {
        this.records.transition(f, 'cancelled', 'alert resolved before execution');
        notes.push(`cancelled ${f.action}`);
      }
    }
    if (this.config.recovery.lift_on_resolve) {
      const lifted = this.floorSet.lift(resolved);
      if (lifted) notes.push(`lifted the ${lifted} floor`);
    }
    if (notes.length) this.records.annotate(resolved, { detail: notes.join('; ') });
  }

  /** An operator approves a waiting action: it runs (its floor goes in now, if it has one). */
  approve(id: string, reason: string): JournalRecord | { error: string; status: number } {
    const r = this.store.get(id);
    if (!r) return { error: 'no such action', status: 404 };
    if (!isAct(r) || r.state !== 'pending_approval') return { error: `action is ${r.state}, not pending_approval`, status: 409 };
    const floor = protectiveFloor(r.action) ? { floor_at: r.floor_at ?? this.clock() } : {};
    const next = this.records.transition(r, 'recorded', `approved: ${reason}`, { approved: true, not_before: null, ...floor });
    if (next.floor_at != null) this.floorSet.reinstate(next);
    this.logger.warn({ id, action: r.action, subsystem: r.subsystem, reason }, 'recovery action approved');
    this.hooks.changed();
    this.kick();
    return next;
  }

  /** An operator rejects a waiting action: it never runs. */
  reject(id: string, reason: string): JournalRecord | { error: string; status: number } {
    const r = this.store.get(id);
    if (!r) return { error: 'no such action', status: 404 };
    if (!isAct(r) || r.state !== 'pending_approval') return { error: `action is ${r.state}, not pending_approval`, status: 409 };
    const next = this.records.transition(r, 'rejected', `rejected: ${reason}`);
    this.logger.warn({ id, action: r.action, subsystem: r.subsystem, reason }, 'recovery action rejected');
    this.hooks.changed();
    return next;
  }

  pending(limit = 100, offset = 0): ActionRecord[] {
    return this.store.pendingPage(limit, offset);
  }

  /** Recovery floors in force now, with the action that imposed each. */
  floors(): RecoveryFloor[] {
    return this.floorSet.list();
  }

  /** An operator lifts a recovery floor (by key or action id; null: all); it stays lifted across a restart. */
  clearFloors(keyOrId: string | null, reason: string): RecoveryFloor[] {
    return this.floorSet.clear(keyOrId, reason);
  }

  /** A maintenance window started, ended or expired: release what it no longer covers, then act. */
  maintenanceChanged(): void {
    for (const [id, notBefore] of this.held) {
      const r = this.store.get(id);
      if (r && r.state === 'recorded' && r.subsystem && this.maintenance?.active(r.subsystem)) continue;
      this.held.delete(id);
      if (r && isAct(r) && r.state === 'recorded') this.records.defer(r, notBefore, null);
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

  /** Remediation handlers running now and actions waiting for a handler slot. */
  handlers(): { running: number; waiting: number } {
    return this.runner.usage();
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

  /**
   * Expiries, admissions and due verifications, a slice (one transaction) per event-loop turn so a
   * storm never holds the loop; what is admitted is started, not awaited. Each (subsystem, lane)
   * runs one action at a time.
   */
  private async pass(): Promise<void> {
    const now = this.clock();
    while (this.store.inTransaction(() => this.expireSlice(now)) === SLICE) await turn();
    const busy = new Set([...this.store.byState(['running', 'verifying']).map(laneOf), ...this.starting.values()]);
    const gates = this.gates.pass(now);
    // Rows skipped (their lane is busy) stay due; the cursor moves past them, never reading them twice in a pass.
    for (let after: DueCursor | null = null, page = SLICE; ; await turn()) {
      const started = performance.now();
      const { rows, next } = this.store.dueRecorded(now, page, after);
      after = next;
      const admitted: ActionRecord[] = [];
      this.store.inTransaction(() => {
        for (const r of rows) if (this.admitOne(r, busy, gates, now) === 'run') admitted.push(r);
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

  /**
   * One due record: its lane busy (stays due), held by a maintenance window (due again when it ends),
   * or through the gates (approved ones skip them): run, or decided (deferred, or to approval).
   */
  private admitOne(r: ActionRecord, busy: Set<string>, gates: GatePass, now: number): 'run' | 'busy' | 'decided' {
    const lane = laneOf(r);
    if (busy.has(lane)) return 'busy';
    const window = r.approved ? undefined : this.maintenance?.active(r.subsystem);
    if (window) {
      // Due again exactly when the window ends (not before, so the worker does not spin); maintenanceChanged() restores it.
      if (!this.held.has(r.id)) this.held.set(r.id, r.not_before);
      this.records.defer(r, window.until, `held by a maintenance window until ${new Date(window.until).toISOString()}`);
      return 'decided';
    }
    if (!r.approved) {
      const { verdict, firstRefusal } = gates.check(r);
      if (verdict.kind === 'defer') {
        if (r.not_before !== verdict.until) this.records.defer(r, verdict.until, verdict.why);
        return 'decided';
      }
      if (verdict.kind === 'approval') {
        this.records.transition(r, 'pending_approval', verdict.why, { expires_at: now + this.config.recovery.approval_ttl_sec * 1000 });
        // One log line per (subsystem, action) and pass: a storm must not become a log storm.
        if (firstRefusal) this.logger.error({ id: r.id, action: r.action, subsystem: r.subsystem }, verdict.why);
        return 'decided';
      }
    }
    busy.add(lane);
    return 'run';
  }

  /** Expires due approvals, at most a slice; returns how many. */
  private expireSlice(now: number): number {
    const due = this.store.due('pending_approval', now, SLICE);
    for (const r of due) this.records.transition(r, 'expired', 'approval expired');
    return due.length;
  }

  private async execute(admitted: ActionRecord): Promise<void> {
    // Its lane stays busy while a crash-interrupted copy of its handler is waited for (the record is still `recorded`).
    this.starting.set(admitted.id, laneOf(admitted));
    let r: ActionRecord;
    try {
      const prior = await this.runner.settlePrior(admitted);
      // Durable before the effect: after a crash this action is known to have started.
      r = this.records.transition(admitted, 'running', prior ?? '');
    } catch (err) {
      if (!(err instanceof StaleRecord)) throw err;
      return void this.logger.info({ id: admitted.id, action: admitted.action }, `${err.message} (moved while it waited to start)`);
    } finally {
      this.starting.delete(admitted.id);
    }
    const result = await this.runner.effect(r);
    if (!result.ok && result.own_fault) return this.ownFault(r, result);
    if (!result.ok) return this.finish(r, 'failed', result.detail, result.evidence);
    if (!this.verifier.needsRecheck(r.action, r.subsystem)) return this.finish(r, 'succeeded', result.detail, result.evidence);
    const settle = this.config.recovery.settle_sec;
    // A restart counts as executed only once its supervisor confirmed it (the handler said ok); VERIFY judges health next.
    const verifying = this.records.transition(r, 'verifying', `executed; verifying after ${settle}s`, {
      verify_at: this.clock() + settle * 1000,
      detail: result.detail,
      evidence: result.evidence ?? null,
    });
    this.logger.info(
      { id: r.id, action: r.action, subsystem: r.subsystem, detail: result.detail },
      `executed ${r.action}; verifying after ${settle}s`,
    );
    if (settle === 0) await this.verify(verifying);
  }

  /**
   * The handler never reached its target (our own misconfiguration): failed, with outcome own_fault —
   * no restart ran, so none failed verification. Not retried, never counted towards escalation (the
   * journal's lastFinished skips it); selfheal_internal_errors_total{kind="handler_config"} counts it.
   */
  private ownFault(r: ActionRecord, result: EffectResult): void {
    this.records.transition(
      r,
      'failed',
      "selfheal's own fault: the handler could not reach its target",
      {
        detail: result.detail,
        evidence: result.evidence ?? null,
      },
      true,
    );
    this.hooks.ownFault?.('handler_config');
    this.logger.error(
      { id: r.id, action: r.action, subsystem: r.subsystem, detail: result.detail },
      `recovery ${r.action} for ${r.subsystem} could not run: selfheal's own fault, not counted against the platform`,
    );
  }

  /**
   * VERIFY: re-checks the subsystem and judges. A re-check that was no evidence (torn, a bad or future
   * date, a timeout: the reading errored) is no verdict on the restart, so it looks again, up to
   * VERIFY_LOOKS times: one torn write just after a restart must not count as a failed one.
   */
  private async verify(r: ActionRecord): Promise<void> {
    let after = await this.pipeline.recheck(r.subsystem);
    let looks = 1;
    for (; looks < VERIFY_LOOKS && this.noEvidence(r.subsystem); looks++) {
      await new Promise((done) => setTimeout(done, VERIFY_LOOK_MS));
      after = await this.pipeline.recheck(r.subsystem);
    }
    const { ok, note } = this.verifier.judge(r.before_status as Parameters<Verifier['judge']>[0], after);
    const invalid = this.noEvidence(r.subsystem)
      ? `; no valid evidence in ${looks} looks`
      : looks > 1
        ? `; valid evidence at look ${looks}`
        : '';
    this.finish(r, ok ? 'succeeded' : 'failed', `${r.detail ?? ''}; ${note}${invalid}`);
  }

  private noEvidence(subsystem: string): boolean {
    return (this.pipeline.state.get(subsystem)?.history.consecutive_errors ?? 0) > 0;
  }

  private finish(r: ActionRecord, state: 'succeeded' | 'failed', detail: string, evidence?: SupervisorEvidence): void {
    this.records.transition(r, state, '', { detail, ...(evidence ? { evidence } : {}) });
    // A still-firing alert is delivered once, so a restart that did not help is retried here; the next
    // attempt passes the same gates (backoff from this failure, escalation, breaker).
    if (state === 'failed' && ACTIONS[r.action].retry_with_backoff && !this.store.isResolved(r.fingerprint, r.starts_at))
      this.store.insertMany([retryOf(r, this.clock())]);
    this.outcomeChanged(r.subsystem);
    const log = state === 'succeeded' ? this.logger.info.bind(this.logger) : this.logger.error.bind(this.logger);
    log({ id: r.id, action: r.action, subsystem: r.subsystem, detail }, `recovery ${r.action} for ${r.subsystem}: ${state}`);
  }

  /** A recovery outcome may exhaust (or refresh) a subsystem's recovery: the pipeline re-evaluates at once. */
  private outcomeChanged(subsystem: string): void {
    this.exhaustion.forget(subsystem);
    void this.pipeline.reevaluate().catch((err) => this.logger.error({ err }, 're-evaluation after a recovery outcome failed'));
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
