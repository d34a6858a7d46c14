// HEAL without a round trip: `selfheal serve` runs the guide's auto-executable recommendations
// itself, the moment a cycle recommends them, through the same executor (journal, exactly-once,
// one at a time per subsystem, cooldown, backoff, breaker, dry-run, approvals, handlers, verify).
//
// Each (subsystem, action) the report recommends becomes a local "alert": fingerprint
// `local.<subsystem>.<action>`, startsAt = when it was first recommended. It fires once, and
// resolves when the recommendation goes away (which lifts its floor and cancels what has not run).
import type { Config } from '../config/types';
import type { Logger } from '../log/logger';
import { SYSTEM_SUBSYSTEM, type HealthReport, type RecoveryAction } from '../types';
import type { RecoveryExecutor } from './executor';
import type { JournalStore } from './journal';
import type { Pipeline } from './pipeline';
import type { AlertIn } from './webhook';

export const LOCAL_PREFIX = 'local.';
const LOCAL_ALERTNAME = 'SelfHealLocalRecovery';

interface Open {
  subsystem: string;
  action: RecoveryAction;
  severity: string;
  startsAt: string;
  /** What tripped it, with its figure and threshold where it has them (a CPU or memory issue). */
  summary?: string;
}

export class LocalRecovery {
  private readonly open = new Map<string, Open>();
  private readonly onCycle = (r: HealthReport) => this.cycle(r);

  constructor(
    private readonly config: Config,
    private readonly executor: RecoveryExecutor,
    private readonly pipeline: Pipeline,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {}

  /** Adopts the local alerts a previous process left open (same startsAt: nothing runs twice), then follows every cycle. */
  start(openAlerts: { subsystem: string | null; action: RecoveryAction | null; issue_severity: string | null; starts_at: string }[]): void {
    for (const a of openAlerts) {
      if (!a.subsystem || !a.action) continue;
      this.open.set(`${a.subsystem}|${a.action}`, {
        subsystem: a.subsystem,
        action: a.action,
        severity: a.issue_severity ?? '',
        startsAt: a.starts_at,
      });
    }
    this.pipeline.on('cycle', this.onCycle);
  }

  stop(): void {
    this.pipeline.off('cycle', this.onCycle);
  }

  /** What this cycle recommends for automatic execution (or for approval, where the config demands it). */
  private wanted(r: HealthReport): Map<string, Omit<Open, 'startsAt'>> {
    const want = new Map<string, Omit<Open, 'startsAt'>>();
    const approval = this.config.recovery.require_approval;
    for (const rec of r.recovery_recommendations) {
      if (!rec.can_auto_execute && !approval.includes(rec.action)) continue;
      const subsystem = rec.issue.subsystem;
      const key = `${subsystem}|${rec.action}`;
      // A recommendation in a maintenance window is not raised; it will be once the window ends.
      if (this.executor.maintenance?.active(subsystem) && !this.open.has(key)) continue;
      want.set(key, { subsystem, action: rec.action, severity: rec.issue.severity, summary: summaryOf(rec.issue) });
    }
    return want;
  }

  private cycle(r: HealthReport): void {
    const want = this.wanted(r);
    const now = new Date(this.clock()).toISOString();
    const firing: Open[] = [];
    const resolved: Open[] = [];
    for (const [key, w] of want) {
      if (this.open.has(key)) continue;
      const o = { ...w, startsAt: now };
      this.open.set(key, o);
      firing.push(o);
    }
    for (const [key, o] of this.open) {
      if (want.has(key) || this.escalated(r, o.subsystem)) continue;
      this.open.delete(key);
      resolved.push(o);
    }
    if (!firing.length && !resolved.length) return;
    try {
      const instance = this.config.instance;
      this.executor.recordAndAct([
        ...resolved.map((o) => toAlert(o, 'resolved', instance)),
        ...firing.map((o) => toAlert(o, 'firing', instance)),
      ]);
    } catch (err) {
      // Could not record: forget the new ones so the next cycle raises them again.
      for (const o of firing) this.open.delete(`${o.subsystem}|${o.action}`);
      for (const o of resolved) this.open.set(`${o.subsystem}|${o.action}`, o);
      this.logger.error({ err: (err as Error).message }, 'local recovery could not record its decisions; retrying next cycle');
    }
  }

  /** An escalated subsystem keeps its recovery open: its exhausted attempt waits for an operator's approval. */
  private escalated(r: HealthReport, subsystem: string): boolean {
    const h = r.subsystem_health[subsystem];
    return h !== undefined && h.status === 'failed' && typeof h.details.escalation === 'string';
  }
}

/** What tripped an issue: a resource issue's figure and threshold, or a subsystem's root cause. */
function summaryOf(issue: HealthReport['detected_issues'][number]): string | undefined {
  if (issue.subsystem === SYSTEM_SUBSYSTEM)
    return [issue.description, ...issue.symptoms.filter((x) => x.startsWith('Threshold'))].join('; ');
  return issue.root_cause ?? undefined;
}

/** A local decision as an alert of this host (its `instance`, when set, so it is never foreign here). */
function toAlert(o: Open, status: 'firing' | 'resolved', instance: string | null): AlertIn {
  const labels: Record<string, string> = {
    alertname: LOCAL_ALERTNAME,
    subsystem: o.subsystem,
    issue_severity: o.severity,
    source: 'local',
  };
  if (instance !== null) labels.instance = instance;
  return {
    status,
    labels,
    annotations: o.summary ? { summary: o.summary } : {},
    startsAt: o.startsAt,
    endsAt: '',
    fingerprint: `${LOCAL_PREFIX}${o.subsystem}.${o.action}`,
    generatorURL: '',
  };
}

/**
 * Where each subsystem's unhealthy episode began, from the local path's alerts still open in the journal
 * (recorded since `since`): what a restarted selfheal continues rather than starts afresh. Only the local
 * path's own: they resolve when the recommendation goes away, while an Alertmanager alert whose resolve
 * never came (or a hand-posted one) would stretch an episode back to whenever it was sent.
 */
export function episodeSeeds(store: Pick<JournalStore, 'openAlerts'>, since: number): Map<string, number> {
  const seeds = new Map<string, number>();
  for (const r of store.openAlerts(LOCAL_PREFIX)) {
    if (!r.subsystem || r.created_at < since) continue;
    seeds.set(r.subsystem, Math.min(seeds.get(r.subsystem) ?? Infinity, r.created_at));
  }
  return seeds;
}
