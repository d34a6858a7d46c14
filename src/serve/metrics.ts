// The metrics contract. Values are set when a cycle finishes and rendered once; a scrape serves
// the cached bytes, so scraping does no file or network I/O and costs almost nothing.
import { Counter, Gauge, Registry } from 'prom-client';
import { LARGE_PLATFORM, runSliced, type Steps } from '../engine/slices';
import { SELF_FAULT_KINDS } from '../detect/run';
import { HEALTH_STATUSES, ISSUE_SEVERITIES, RECOVERY_ACTIONS, SAFETY_POLICIES, policyLevel, type HealthReport } from '../types';
import type { Monitor } from './monitor';
import { SubsystemFamilies } from './subsystem_families';

const LAST = ' (as of the last check cycle; scrapes do no I/O)';

/** A response body, encoded. Large ones stay in parts: joining 6 MB into one buffer took ~18 ms. */
export interface Encoded {
  parts: Buffer[];
  length: number;
}

/** The body of these parts; small ones joined, so the scrape path writes one buffer. */
export function encoded(parts: Buffer[], keepParts: boolean): Encoded {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return { parts: keepParts ? parts : [Buffer.concat(parts, length)], length };
}

export class Metrics {
  readonly registry = new Registry();
  private exposition: Encoded | null = null;
  /** buffer reflects every change so far. */
  private fresh = false;
  private running: Promise<Encoded> | null = null;
  private generation = 0;
  /** A finished cycle whose values the next refresh copies in. */
  private source: Monitor | null = null;
  /** Large platforms refresh in slices; small ones at once, so a scrape never sees the previous cycle. */
  private readonly sliced: boolean;

  private readonly g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help: help + LAST, labelNames, registers: [this.registry] });

  readonly overallStatus = this.g('selfheal_overall_status', 'Overall health status, one series per status, the current one 1', ['status']);
  readonly safetyPolicy = this.g('selfheal_safety_policy', 'Served safety policy, one series per policy, the current one 1', ['policy']);
  readonly safetyPolicyLevel = this.g('selfheal_safety_policy_level', 'Served safety policy level: 0 allow_all, 1 safe_risk_profile, 2 no_new_trades, 3 defensive_exit, 4 emergency_shutdown');
  readonly tradingAllowed = this.g('selfheal_trading_allowed', 'Whether trading should continue (1) or not (0)');
  readonly immediateAction = this.g('selfheal_requires_immediate_action', 'Whether a critical issue or a failed system requires immediate action');
  readonly issues = this.g('selfheal_issues', 'Current detected issues by severity', ['severity']);
  readonly recommendations = this.g('selfheal_recovery_recommendations', 'Current recovery recommendations by action and whether they may auto-execute', ['action', 'auto']);
  readonly cpu = this.g('selfheal_cpu_usage_ratio', 'Host CPU usage, 0-1');
  readonly memory = this.g('selfheal_memory_usage_ratio', 'Host memory usage excluding reclaimable cache, 0-1');
  readonly connections = this.g('selfheal_open_connections', 'Established TCP connections on the host');
  readonly lastCheck = this.g('selfheal_last_check_timestamp_seconds', 'Time the last check cycle finished, Unix seconds');
  readonly cycleDuration = this.g('selfheal_check_cycle_duration_seconds', 'Duration of the last check cycle');
  readonly buildInfo = this.g('selfheal_build_info', 'Build information; always 1', ['version']);

  readonly policyChanges = new Counter({ name: 'selfheal_policy_changes_total', help: 'Changes of the served safety policy', registers: [this.registry] });
  readonly recoveryActions = new Counter({
    name: 'selfheal_recovery_actions_total',
    help: 'Recovery actions by outcome (success, failure, dry_run, rejected, expired, skipped)',
    labelNames: ['action', 'subsystem', 'outcome'],
    registers: [this.registry],
  });

  readonly internalErrors = new Counter({
    name: 'selfheal_internal_errors_total',
    help: "selfheal's own faults while checking (out of file descriptors or memory, an overloaded event loop): never counted against the platform",
    labelNames: ['kind'],
    registers: [this.registry],
  });

  /** Every known series exists from the first scrape: nothing checked yet means unknown. */
  readonly subsystems: SubsystemFamilies;

  constructor(version: string, subsystems: string[]) {
    this.subsystems = new SubsystemFamilies(subsystems);
    this.sliced = subsystems.length > LARGE_PLATFORM;
    this.buildInfo.set({ version }, 1);
    for (const st of HEALTH_STATUSES) this.overallStatus.set({ status: st }, st === 'unknown' ? 1 : 0);
    this.setPolicy('no_new_trades');
    for (const sev of ISSUE_SEVERITIES) this.issues.set({ severity: sev }, 0);
    for (const a of RECOVERY_ACTIONS) for (const auto of ['true', 'false']) this.recommendations.set({ action: a, auto }, 0);
    this.tradingAllowed.set(0);
    this.immediateAction.set(0);
    for (const kind of SELF_FAULT_KINDS) this.internalErrors.inc({ kind }, 0);
    for (const g of [this.cpu, this.memory, this.connections, this.lastCheck, this.cycleDuration]) g.set(NaN);
  }

  private setPolicy(policy: (typeof SAFETY_POLICIES)[number]): void {
    for (const p of SAFETY_POLICIES) this.safetyPolicy.set({ policy: p }, p === policy ? 1 : 0);
    this.safetyPolicyLevel.set(policyLevel(policy));
  }

  /** A cycle finished: copy its values in and render now (scrapes serve the previous bytes meanwhile). */
  refresh(m: Monitor): void {
    this.source = m;
    this.invalidate();
    this.schedule().catch(() => undefined); // a failed render surfaces to the scrape that awaits it
  }

  /** Something changed outside a cycle (a counter, a policy step): the next scrape renders afresh. */
  invalidate(): void {
    this.generation++;
    this.fresh = false;
  }

  /**
   * The exposition for the scrape fast path: the current one; or, while a refresh runs (only large
   * platforms take long enough to notice), the previous complete one. Null when a render is needed.
   */
  cached(): Encoded | null {
    return this.fresh || this.running ? this.exposition : null;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition reflecting every change so far. */
  async render(): Promise<Encoded> {
    if (this.fresh && this.exposition) return this.exposition;
    return this.schedule();
  }

  private schedule(): Promise<Encoded> {
    this.running ??= this.refreshLoop();
    return this.running;
  }

  private async refreshLoop(): Promise<Encoded> {
    try {
      for (;;) {
        await Promise.resolve(); // let the caller's synchronous changes land first
        const gen = this.generation;
        const m = this.source;
        this.source = null;
        if (m) await runSliced(this.updateSteps(m), this.sliced);
        const parts = await runSliced(this.subsystems.renderSteps(), this.sliced);
        parts.push(Buffer.from(await this.registry.metrics()));
        this.exposition = encoded(parts, this.sliced);
        // A change during the render must not be hidden behind stale bytes: go round again.
        if (gen === this.generation) {
          this.fresh = true;
          this.running = null; // in the same turn as the check: a later change starts a new loop
          return this.exposition;
        }
      }
    } catch (err) {
      this.running = null;
      throw err;
    }
  }

  /** Copies one cycle's state into the gauges, a subsystem per step. */
  private *updateSteps(m: Monitor): Steps<void> {
    const r = m.report;
    if (!r) return;
    // Later cycles replace these entries rather than mutate them: the snapshot stays one cycle's.
    const states = Array.from(m.state.values());
    const lastCycleAt = m.lastCycleAt;
    const lastCycleSeconds = m.lastCycleSeconds;
    for (const st of states) {
      const ev = st.result.outcome.evidence_ms;
      this.subsystems.set(st.result.health.subsystem, {
        status: st.result.health.status,
        duration_seconds: st.result.health.response_time_ms / 1000,
        consecutive_failures: st.history.consecutive_errors,
        errors_total: st.errorsTotal,
        last_update_seconds: ev === undefined ? undefined : ev / 1000,
      });
      yield;
    }
    this.setReport(r, lastCycleAt, lastCycleSeconds);
  }

  /** The report-wide gauges (everything but the per-subsystem families). */
  setReport(r: HealthReport, lastCycleAt: number, lastCycleSeconds: number): void {
    for (const s of HEALTH_STATUSES) this.overallStatus.set({ status: s }, s === r.overall_status ? 1 : 0);
    this.setPolicy(r.current_safety_policy);
    this.tradingAllowed.set(r.trading_should_continue ? 1 : 0);
    this.immediateAction.set(r.requires_immediate_action ? 1 : 0);
    const bySeverity = Object.fromEntries(ISSUE_SEVERITIES.map((s) => [s, 0])) as Record<string, number>;
    for (const i of r.detected_issues) bySeverity[i.severity]++;
    for (const s of ISSUE_SEVERITIES) this.issues.set({ severity: s }, bySeverity[s]);
    const recs = new Map<string, number>();
    for (const rec of r.recovery_recommendations) {
      const k = `${rec.action}|${rec.can_auto_execute}`;
      recs.set(k, (recs.get(k) ?? 0) + 1);
    }
    for (const a of RECOVERY_ACTIONS) for (const auto of ['true', 'false']) this.recommendations.set({ action: a, auto }, recs.get(`${a}|${auto}`) ?? 0);
    this.cpu.set(r.resources.cpu_ratio ?? NaN);
    this.memory.set(r.resources.memory_ratio ?? NaN);
    this.connections.set(r.resources.open_connections ?? NaN);
    this.lastCheck.set(lastCycleAt / 1000);
    this.cycleDuration.set(lastCycleSeconds);
  }
}
