// The metrics contract. Values are set when a cycle finishes and rendered once, in both exposition
// formats; a scrape serves the cached bytes (gzipped at most once per render), so scraping does no
// file or network I/O and costs almost nothing.
import { createGzip, gzipSync } from 'node:zlib';
import { Counter, Gauge, Registry } from 'prom-client';
import { LARGE_PLATFORM, runSliced, type Steps } from '../util/slices';
import { SELF_FAULT_KINDS } from '../detect/run';
import { recoveryActionsCounter } from '../execute/metrics';

/** The statuses selfheal_subsystem_problem and selfheal_overall_problem carry (the ones the alerts page on). */
const PROBLEM_STATUSES: ReadonlySet<string> = new Set(['degraded', 'critical', 'failed']);
import { HEALTH_STATUSES, ISSUE_SEVERITIES, RECOVERY_ACTIONS, SAFETY_POLICIES, policyLevel, type HealthReport } from '../types';
import { EOF, toOpenMetrics, type Format, type Want } from './exposition';
import { encoded, type Encoded } from '../http/send';
import type { Monitor } from '../engine/monitor';
import { ProcessMetrics } from './process_metrics';
import { SubsystemFamilies } from './subsystem_families';

const LAST = ' (as of the last check cycle; scrapes do no I/O)';

/** selfheal_build_info's labels. */
export interface BuildInfo {
  version: string;
  /** The git commit it was built from; "unknown" when the build could not tell. */
  revision: string;
  nodejs_version: string;
}

/**
 * gzip level 1: 10,000 subsystems' 6.3 MB become 0.29 MB in 8 ms of CPU; zlib's default 6 saves another
 * 10% of the bytes for 3× the CPU (26 ms), which on a 2-core host competes with the event loop.
 */
const GZIP_LEVEL = 1;

/** A large body gzipped in libuv's thread pool, part by part: the event loop only hands the parts over. */
function gzipParts(parts: Buffer[]): Promise<Encoded> {
  return new Promise((resolve, reject) => {
    const z = createGzip({ level: GZIP_LEVEL });
    const out: Buffer[] = [];
    z.on('data', (c: Buffer) => out.push(c));
    z.on('end', () => resolve(encoded(out, true)));
    z.on('error', reject);
    for (const p of parts) z.write(p);
    z.end();
  });
}

/**
 * One render of the metrics, in both formats. Each format is gzipped at most once, when a scrape
 * first asks for it: small bodies at once (~0.1 ms for 21 KB), large ones in the thread pool.
 */
class Exposition {
  private readonly gz: Record<Format, Encoded | null> = { text: null, openmetrics: null };
  private readonly gzipping: Partial<Record<Format, Promise<Encoded>>> = {};

  constructor(
    readonly text: Encoded,
    readonly openmetrics: Encoded,
    private readonly large: boolean,
    private readonly onCompress: () => void,
  ) {}

  body(f: Format): Encoded {
    return f === 'text' ? this.text : this.openmetrics;
  }

  /** The answer to this scrape if it is ready now; null while a large body is being gzipped. */
  ready(want: Want): Encoded | null {
    if (!want.gzip) return this.body(want.format);
    const done = this.gz[want.format];
    if (done) return done;
    if (!this.large) {
      this.onCompress();
      const body = this.body(want.format);
      return (this.gz[want.format] = encoded(
        [gzipSync(body.parts.length === 1 ? body.parts[0] : Buffer.concat(body.parts), { level: GZIP_LEVEL })],
        false,
      ));
    }
    void this.gzipped(want.format).catch(() => undefined);
    return null;
  }

  /** The answer to this scrape, gzipping it first (once) if needed. */
  async get(want: Want): Promise<Encoded> {
    return this.ready(want) ?? this.gzipped(want.format);
  }

  private gzipped(f: Format): Promise<Encoded> {
    let p = this.gzipping[f];
    if (!p) {
      this.onCompress();
      p = gzipParts(this.body(f).parts).then((b) => (this.gz[f] = b));
      this.gzipping[f] = p;
    }
    return p;
  }
}

export class Metrics {
  readonly registry = new Registry();
  /** process_* and nodejs_*, read once per cycle. */
  readonly process = new ProcessMetrics();
  /** How many bodies have been gzipped (each render at most once per format). */
  compressions = 0;
  private exposition: Exposition | null = null;
  /** buffer reflects every change so far. */
  private fresh = false;
  private running: Promise<Exposition> | null = null;
  private generation = 0;
  /** A finished cycle whose values the next refresh copies in. */
  private source: Monitor | null = null;
  /** Large platforms refresh in slices; small ones at once, so a scrape never sees the previous cycle. */
  private readonly sliced: boolean;

  private readonly g = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help: help + LAST, labelNames, registers: [this.registry] });

  readonly overallStatus = this.g('selfheal_overall_status', 'Overall health status, one series per status, the current one 1', ['status']);
  readonly safetyPolicy = this.g('selfheal_safety_policy', 'Served safety policy, one series per policy, the current one 1', ['policy']);
  /**
   * The overall status while it is degraded, critical or failed, absent otherwise; like selfheal_subsystem_problem,
   * so the fleet's rules read what is wrong, not a state set of every instance.
   */
  readonly overallProblem = this.g(
    'selfheal_overall_problem',
    'Present (1) while the overall status is degraded, critical or failed, with that status; absent while healthy or unknown',
    ['status'],
  );
  /** The served policy while it is anything but allow_all, absent under allow_all: what the policy alerts read. */
  readonly policyRestricted = this.g(
    'selfheal_safety_policy_restricted',
    'Present (1) while the served safety policy is anything but allow_all, with that policy; absent under allow_all',
    ['policy'],
  );
  readonly safetyPolicyLevel = this.g(
    'selfheal_safety_policy_level',
    'Served safety policy level: 0 allow_all, 1 safe_risk_profile, 2 no_new_trades, 3 defensive_exit, 4 emergency_shutdown',
  );
  readonly tradingAllowed = this.g('selfheal_trading_allowed', 'Whether trading should continue (1) or not (0)');
  readonly immediateAction = this.g(
    'selfheal_requires_immediate_action',
    'Whether a critical issue or a failed system requires immediate action',
  );
  readonly issues = this.g('selfheal_issues', 'Current detected issues by severity', ['severity']);
  /**
   * One series per subsystem that is degraded, critical or failed, absent otherwise: the per-subsystem
   * alerts read these, so a fleet's evaluation costs what is unhealthy, not every state of every subsystem.
   */
  readonly subsystemProblems = this.g(
    'selfheal_subsystem_problem',
    'Present (1) while the subsystem is degraded, critical or failed, with that status; absent while healthy or unknown',
    ['subsystem', 'status'],
  );
  /** The report's summary as five series: fleet-wide rules read these, not every subsystem's state set. */
  readonly subsystemsByStatus = this.g('selfheal_subsystems', 'Enabled subsystems by status (the summary of selfheal_subsystem_status)', [
    'status',
  ]);
  readonly recommendations = this.g(
    'selfheal_recovery_recommendations',
    'Current recovery recommendations by action and whether they may auto-execute',
    ['action', 'auto'],
  );
  readonly cpu = this.g('selfheal_cpu_usage_ratio', 'Host CPU usage, 0-1');
  readonly memory = this.g('selfheal_memory_usage_ratio', 'Host memory usage excluding reclaimable cache, 0-1');
  readonly connections = this.g('selfheal_open_connections', 'Established TCP connections on the host');
  readonly lastCheck = this.g('selfheal_last_check_timestamp_seconds', 'Time the last check cycle finished, Unix seconds');
  readonly cycleDuration = this.g('selfheal_check_cycle_duration_seconds', 'Duration of the last check cycle');
  readonly buildInfo = this.g('selfheal_build_info', 'Build information; always 1', ['version', 'revision', 'nodejs_version']);

  readonly policyChanges = new Counter({
    name: 'selfheal_policy_changes_total',
    help: 'Changes of the served safety policy',
    registers: [this.registry],
  });
  /** Defined with the other recovery families (execute/metrics.ts); here so it is exposed with recovery off too. */
  readonly recoveryActions = recoveryActionsCounter(this.registry);

  readonly internalErrors = new Counter({
    name: 'selfheal_internal_errors_total',
    help: "selfheal's own faults (out of file descriptors or memory, an overloaded event loop while checking; a recovery handler that cannot reach or find its target): never counted against the platform",
    labelNames: ['kind'],
    registers: [this.registry],
  });

  /** Readings that were no evidence (torn, unparsable, a bad or future date, too large, unreadable, timed out). */
  readonly evidenceInvalid = new Counter({
    name: 'selfheal_evidence_invalid_total',
    help: 'Readings of a subsystem that were no evidence, by reason (torn, bad_date, future, oversize, unreadable, timeout): they age it from its last valid reading, never fail it',
    labelNames: ['subsystem', 'reason'],
    registers: [this.registry],
  });
  /** Present (1) while a subsystem flaps (its floor holds until it is stable); absent otherwise. */
  readonly subsystemFlapping = this.g(
    'selfheal_subsystem_flapping',
    'Present (1) while the subsystem is flapping (unhealthy episodes keep recurring) and its protective floor holds; absent otherwise',
    ['subsystem'],
  );

  /** Every known series exists from the first scrape: nothing checked yet means unknown. */
  readonly subsystems: SubsystemFamilies;

  constructor(build: BuildInfo, subsystems: string[]) {
    this.subsystems = new SubsystemFamilies(subsystems);
    this.sliced = subsystems.length > LARGE_PLATFORM;
    this.buildInfo.set({ version: build.version, revision: build.revision, nodejs_version: build.nodejs_version }, 1);
    for (const st of HEALTH_STATUSES) this.overallStatus.set({ status: st }, st === 'unknown' ? 1 : 0);
    this.setPolicy('no_new_trades');
    for (const sev of ISSUE_SEVERITIES) this.issues.set({ severity: sev }, 0);
    for (const st of HEALTH_STATUSES) this.subsystemsByStatus.set({ status: st }, st === 'unknown' ? subsystems.length : 0);
    for (const a of RECOVERY_ACTIONS) for (const auto of ['true', 'false']) this.recommendations.set({ action: a, auto }, 0);
    this.tradingAllowed.set(0);
    this.immediateAction.set(0);
    for (const kind of SELF_FAULT_KINDS) this.internalErrors.inc({ kind }, 0);
    for (const g of [this.cpu, this.memory, this.connections, this.lastCheck, this.cycleDuration]) g.set(NaN);
  }

  private setPolicy(policy: (typeof SAFETY_POLICIES)[number]): void {
    for (const p of SAFETY_POLICIES) this.safetyPolicy.set({ policy: p }, p === policy ? 1 : 0);
    this.safetyPolicyLevel.set(policyLevel(policy));
    this.policyRestricted.reset();
    if (policy !== 'allow_all') this.policyRestricted.set({ policy }, 1);
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
  cached(): Exposition | null {
    return this.fresh || this.running ? this.exposition : null;
  }

  /** The exposition reflecting every change so far. */
  async render(): Promise<Exposition> {
    if (this.fresh && this.exposition) return this.exposition;
    return this.schedule();
  }

  private schedule(): Promise<Exposition> {
    this.running ??= this.refreshLoop();
    return this.running;
  }

  private async refreshLoop(): Promise<Exposition> {
    try {
      for (;;) {
        await Promise.resolve(); // let the caller's synchronous changes land first
        const gen = this.generation;
        const m = this.source;
        this.source = null;
        if (m) {
          await runSliced(this.updateSteps(m), this.sliced);
          await this.process.collect(); // on the cycle, so a scrape never reads /proc
        }
        const families = await runSliced(this.subsystems.renderSteps(), this.sliced);
        const rest = await this.registry.metrics();
        const proc = this.process.exposition;
        const text = [...families.text, Buffer.from(rest), proc.text];
        const om = [...families.openmetrics, Buffer.from(toOpenMetrics(rest)), proc.openmetrics, Buffer.from(EOF)];
        this.exposition = new Exposition(encoded(text, this.sliced), encoded(om, this.sliced), this.sliced, () => this.compressions++);
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
    this.subsystemFlapping.reset();
    for (const st of states) {
      if (st.flaps.since !== null) this.subsystemFlapping.set({ subsystem: st.result.health.subsystem }, 1);
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
    this.overallProblem.reset();
    if (PROBLEM_STATUSES.has(r.overall_status)) this.overallProblem.set({ status: r.overall_status }, 1);
    this.setPolicy(r.current_safety_policy);
    this.tradingAllowed.set(r.trading_should_continue ? 1 : 0);
    this.immediateAction.set(r.requires_immediate_action ? 1 : 0);
    const bySeverity = Object.fromEntries(ISSUE_SEVERITIES.map((s) => [s, 0])) as Record<string, number>;
    for (const i of r.detected_issues) bySeverity[i.severity]++;
    for (const s of ISSUE_SEVERITIES) this.issues.set({ severity: s }, bySeverity[s]);
    const byStatus = Object.fromEntries(HEALTH_STATUSES.map((s) => [s, 0])) as Record<string, number>;
    for (const h of Object.values(r.subsystem_health)) byStatus[h.status]++;
    for (const s of HEALTH_STATUSES) this.subsystemsByStatus.set({ status: s }, byStatus[s]);
    this.subsystemProblems.reset();
    for (const h of Object.values(r.subsystem_health)) {
      if (PROBLEM_STATUSES.has(h.status)) this.subsystemProblems.set({ subsystem: h.subsystem, status: h.status }, 1);
    }
    const recs = new Map<string, number>();
    for (const rec of r.recovery_recommendations) {
      const k = `${rec.action}|${rec.can_auto_execute}`;
      recs.set(k, (recs.get(k) ?? 0) + 1);
    }
    for (const a of RECOVERY_ACTIONS)
      for (const auto of ['true', 'false']) this.recommendations.set({ action: a, auto }, recs.get(`${a}|${auto}`) ?? 0);
    this.cpu.set(r.resources.cpu_ratio ?? NaN);
    this.memory.set(r.resources.memory_ratio ?? NaN);
    this.connections.set(r.resources.open_connections ?? NaN);
    this.lastCheck.set(lastCycleAt / 1000);
    this.cycleDuration.set(lastCycleSeconds);
  }
}
