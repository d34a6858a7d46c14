// The recovery metrics contract: every selfheal_recovery_* and selfheal_webhook_* family EXECUTE
// moves, defined here once. (selfheal_recovery_recommendations is RECOMMEND's, set from the report
// with the other report gauges in metrics/metrics.ts.)
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Window } from './maintenance';
import type { AlertIn } from './webhook';
import { foreignReason } from './decide';

/** selfheal_recovery_actions_total's labels. */
export type RecoveryActionsCounter = Counter<'action' | 'subsystem' | 'outcome'>;

/**
 * selfheal_recovery_actions_total. Registered with the service's own metrics, receiver or not: the
 * rules pack and the dashboards read it, so the family is there (empty) even with recovery off.
 */
export function recoveryActionsCounter(registry: Registry): RecoveryActionsCounter {
  return new Counter({
    name: 'selfheal_recovery_actions_total',
    help: 'Recovery actions by outcome (success, failure, dry_run, rejected, expired, skipped)',
    labelNames: ['action', 'subsystem', 'outcome'],
    registers: [registry],
  });
}

/** The receiver's families, registered when the receiver is attached; `changed` marks the exposition stale. */
export class RecoveryMetrics {
  private readonly receivedTotal: Counter<'status'>;
  private readonly deduplicatedTotal: Counter;
  private readonly duration: Histogram<'action'>;
  private readonly pendingApprovals: Gauge;
  private readonly circuitOpen: Gauge<'subsystem' | 'action'>;
  private readonly foreignTotal: Counter;
  private readonly maintenance: Gauge<'subsystem'>;
  private readonly journalProblem: Gauge<'problem'>;
  /** Breakers ever reported: a closed one stays exposed, at 0. */
  private readonly shownCircuits = new Set<string>();
  /** The journal problem exposed now (removed, replaced, unwritable), or null. */
  private journalKind: string | null = null;

  constructor(
    registry: Registry,
    private readonly actions: RecoveryActionsCounter,
    private readonly changed: () => void,
  ) {
    const registers = [registry];
    this.receivedTotal = new Counter({
      name: 'selfheal_webhook_alerts_received_total',
      help: "Alerts received on the Alertmanager webhook, by the alert's own status",
      labelNames: ['status'],
      registers,
    });
    this.deduplicatedTotal = new Counter({
      name: 'selfheal_webhook_alerts_deduplicated_total',
      help: 'Alerts delivered again (retries, repeat_interval, HA peers, restarts) and recorded only once',
      registers,
    });
    this.duration = new Histogram({
      name: 'selfheal_recovery_action_duration_seconds',
      help: 'Time from starting a recovery action to its outcome (including verification)',
      labelNames: ['action'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300],
      registers,
    });
    this.pendingApprovals = new Gauge({
      name: 'selfheal_recovery_pending_approvals',
      help: 'Recovery actions waiting for approval',
      registers,
    });
    this.circuitOpen = new Gauge({
      name: 'selfheal_recovery_circuit_open',
      help: 'Whether the circuit breaker of (subsystem, action) is open (1) and further runs need approval',
      labelNames: ['subsystem', 'action'],
      registers,
    });
    this.foreignTotal = new Counter({
      name: 'selfheal_webhook_alerts_foreign_total',
      help: 'Alerts received about another instance (or none) while `instance` is set: recorded, never acted on',
      registers,
    });
    for (const s of ['firing', 'resolved']) this.receivedTotal.inc({ status: s }, 0);
    this.pendingApprovals.set(0);
    this.maintenance = new Gauge({
      name: 'selfheal_recovery_maintenance',
      help: 'Whether a maintenance window suspends automatic recovery (1) for the subsystem, or for all (subsystem="all")',
      labelNames: ['subsystem'],
      registers,
    });
    this.maintenance.set({ subsystem: 'all' }, 0);
    this.journalProblem = new Gauge({
      name: 'selfheal_recovery_journal_problem',
      help: 'Present (1) only while the journal cannot record: its database or write-ahead log was removed or replaced, or commits fail',
      labelNames: ['problem'],
      registers,
    });
  }

  /** Why the journal cannot record now (intake.notReady()), or null: the sparse problem series follows it. */
  journal(problem: string | null): void {
    const kind = problem === null ? null : (/ was (removed|replaced) while running/.exec(problem)?.[1] ?? 'unwritable');
    if (kind === this.journalKind) return;
    this.journalKind = kind;
    this.journalProblem.reset();
    if (kind) this.journalProblem.set({ problem: kind }, 1);
    this.changed();
  }

  /** A terminal outcome of an action (the executor's hook). */
  outcome(action: string, subsystem: string, outcome: string, seconds?: number): void {
    this.actions.inc({ action, subsystem, outcome });
    if (seconds !== undefined) this.duration.observe({ action }, seconds);
  }

  /** The approvals waiting and the breakers open ("subsystem|action"), after the executor changed something. */
  recoveryChanged(pending: number, openCircuits: ReadonlySet<string>): void {
    this.pendingApprovals.set(pending);
    for (const key of new Set([...this.shownCircuits, ...openCircuits])) {
      const [subsystem, action] = key.split('|');
      this.circuitOpen.set({ subsystem, action }, openCircuits.has(key) ? 1 : 0);
      this.shownCircuits.add(key);
    }
    this.changed();
  }

  /** A delivery's alerts, parsed: counted by status, and those about another instance (fleet mode). */
  alertsReceived(alerts: readonly AlertIn[], instance: string | null): void {
    const firing = alerts.filter((a) => a.status === 'firing').length;
    if (firing) this.receivedTotal.inc({ status: 'firing' }, firing); // one inc per status: a 10,000-alert delivery costs two
    if (alerts.length > firing) this.receivedTotal.inc({ status: 'resolved' }, alerts.length - firing);
    if (instance !== null) {
      const about = alerts.filter((a) => foreignReason(a.labels, instance)).length;
      if (about) this.foreignTotal.inc(about);
    }
  }

  /** Alerts that were delivered again and recorded only once. */
  deduplicated(n: number): void {
    if (n) this.deduplicatedTotal.inc(n);
  }

  /** The maintenance windows in force now (`changed` false at start-up, before anything is served). */
  windows(list: readonly Window[], changed = true): void {
    this.maintenance.reset();
    this.maintenance.set({ subsystem: 'all' }, 0);
    for (const w of list) this.maintenance.set({ subsystem: w.subsystem ?? 'all' }, 1);
    if (changed) this.changed();
  }
}
