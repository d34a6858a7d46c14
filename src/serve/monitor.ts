// DETECT, continuously: each subsystem on its own schedule (trading-critical ones every
// critical_check_interval, the rest every check_interval), re-checked the moment its evidence
// crosses a threshold or its file changes; then ANALYZE → RECOMMEND and the served policy.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { escalate, recordCheck, type CheckHistory } from '../analyze/escalation';
import type { Config, SubsystemConfig } from '../config/types';
import type { ResourceProbe } from '../detect/resources';
import { checkMany, type SubsystemResult } from '../detect/run';
import { reportSteps, type Observed } from '../engine/report';
import { LARGE_PLATFORM, runSliced, type Steps } from '../engine/slices';
import { tradingShouldContinue } from '../recommend/policy';
import { PolicyStateMachine, type PolicyChange } from '../recommend/policy_state';
import type { HealthReport, HealthStatus, ResourceUsage, SafetyPolicy } from '../types';
import type { Logger } from './logger';

export interface MonitorDeps {
  clock: () => number;
  resources: ResourceProbe;
  logger: Logger;
  /** Watch data files for changes (on by default; tests with injected clocks turn it off). */
  watchFiles?: boolean;
  /** Start the timer loop (tests drive cycles by hand when false). */
  schedule?: boolean;
}

export interface SubsystemState {
  result: SubsystemResult;
  history: CheckHistory;
  errorsTotal: number;
}

export interface ServedReport extends HealthReport {
  evaluated_safety_policy: HealthReport['current_safety_policy'];
}

const NO_RESOURCES: ResourceUsage = { cpu_ratio: null, memory_ratio: null, open_connections: null };
/** Wake a little early rather than late; checks due within this slack run together. */
const SLACK_MS = 5;

function watchedPath(sub: SubsystemConfig): { dir: string; file: string | null } | null {
  const c = sub.check;
  switch (c.type) {
    case 'file_freshness':
    case 'json_timestamp':
    case 'file_presence':
      return { dir: dirname(c.path), file: basename(c.path) };
    case 'file_set':
    case 'newest_file':
      return { dir: c.dir, file: null };
    default:
      return null;
  }
}

export class Monitor extends EventEmitter {
  readonly policy: PolicyStateMachine;
  readonly subsystems: SubsystemConfig[];
  readonly state = new Map<string, SubsystemState>();
  report: ServedReport | null = null;
  /** The guide's report of the last cycle, before the served policy is applied to it. */
  private evaluated: HealthReport | null = null;
  resources: ResourceUsage = NO_RESOURCES;
  lastCycleAt = 0;
  lastCycleSeconds = 0;
  cycles = 0;

  private readonly nextDue = new Map<string, number>();
  private readonly transitionAt = new Map<string, number>();
  private resourcesDue = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly watchers: FSWatcher[] = [];
  private readonly ignoredNames: Set<string>;
  /** Large platforms analyse in slices, letting requests through; small ones in one go. */
  private readonly sliced: boolean;

  constructor(
    readonly config: Config,
    private readonly deps: MonitorDeps,
  ) {
    super();
    this.subsystems = config.subsystems.filter((s) => s.enabled);
    this.sliced = this.subsystems.length > LARGE_PLATFORM;
    this.policy = new PolicyStateMachine(config.policy.hold_down_sec * 1000, deps.clock);
    this.ignoredNames = new Set([basename(config.report_path), basename(config.recovery.journal_path)]);
  }

  private interval(sub: SubsystemConfig): number {
    return (sub.criticality === 'yes' ? this.config.critical_check_interval : this.config.check_interval) * 1000;
  }

  async start(): Promise<void> {
    await this.runChecks(this.subsystems.map((s) => s.name), true);
    if (this.deps.watchFiles !== false) this.watchFiles();
    this.reschedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }

  /** Runs every check now (the guide's force-check); concurrent callers share one run. */
  async forceCheck(): Promise<ServedReport> {
    await this.runChecks(this.subsystems.map((s) => s.name), true);
    this.reschedule();
    return this.report!;
  }

  /** Checks whatever is due at the clock's current time (tests call this with an injected clock). */
  async tick(): Promise<void> {
    const now = this.deps.clock();
    const due = this.subsystems
      .filter((s) => (this.nextDue.get(s.name) ?? 0) <= now + SLACK_MS || (this.transitionAt.get(s.name) ?? Infinity) <= now + SLACK_MS)
      .map((s) => s.name);
    if (due.length > 0 || now + SLACK_MS >= this.resourcesDue) {
      await this.runChecks(due, now + SLACK_MS >= this.resourcesDue);
    } else {
      this.applyPolicy();
    }
    this.reschedule();
  }

  /** VERIFY: re-runs one subsystem's check now and returns what it found. */
  async recheck(name: string): Promise<HealthStatus | null> {
    if (!this.subsystems.some((s) => s.name === name)) return null;
    await this.runChecks([name], false);
    this.reschedule();
    return this.state.get(name)?.result.health.status ?? null;
  }

  /** Re-evaluates the served policy alone (hold-down expiry). */
  applyPolicy(): PolicyChange | null {
    return this.publish(this.policy.step());
  }

  /** A recovery floor or an operator override: the served policy can only get stricter by it. */
  setFloor(key: string, policy: SafetyPolicy, reason: string, until: number | null = null): PolicyChange | null {
    const change = this.publish(this.policy.setFloor(key, policy, reason, until));
    this.reschedule();
    return change;
  }

  clearFloor(key: string): PolicyChange | null {
    return this.publish(this.policy.clearFloor(key));
  }

  resetLatch(reason: string): PolicyChange | null {
    return this.publish(this.policy.reset(reason));
  }

  private publish(change: PolicyChange | null): PolicyChange | null {
    if (this.evaluated) this.finishReport(this.evaluated, change);
    else if (change) this.emit('policy', change);
    return change;
  }

  private async runChecks(names: string[], withResources: boolean): Promise<void> {
    if (this.running) {
      await this.running;
      return this.runChecks(names, withResources);
    }
    this.running = this.doRun(names, withResources).finally(() => {
      this.running = null;
    });
    await this.running;
  }

  private async doRun(names: string[], withResources: boolean): Promise<void> {
    const started = performance.now();
    const byName = new Set(names);
    const subs = this.subsystems.filter((s) => byName.has(s.name));
    const [resources, results] = await Promise.all([
      withResources ? this.deps.resources().catch(() => NO_RESOURCES) : Promise.resolve(this.resources),
      checkMany(subs, this.deps.clock),
    ]);
    const now = this.deps.clock();
    if (withResources) {
      this.resources = resources;
      this.resourcesDue = now + this.config.check_interval * 1000;
    }
    await runSliced(this.absorb(subs, results, now), this.sliced);
    const observed = await runSliced(this.observed(), this.sliced);
    const base = await runSliced(reportSteps(this.config, observed, this.resources, now), this.sliced);
    const change = this.policy.update(base.current_safety_policy, policyReasons(base));
    this.lastCycleAt = now;
    this.lastCycleSeconds = (performance.now() - started) / 1000;
    this.cycles++;
    this.finishReport(base, change);
  }

  /** Records each result and escalates it by the subsystem's history; schedules its next check. */
  private *absorb(subs: SubsystemConfig[], results: SubsystemResult[], now: number): Steps<void> {
    const limits = this.config;
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      const sub = subs[i];
      const prev = this.state.get(sub.name);
      const history = recordCheck(prev?.history ?? { consecutive_failures: 0, recent_errors: [] }, r.health.status, r.errored, limits.error_rate_window);
      const esc = escalate(r.health.status, history, limits);
      if (esc.status !== r.health.status) {
        r.health = { ...r.health, status: esc.status, details: { ...r.health.details, escalation: esc.reason } };
      }
      r.health.error_count = history.recent_errors.filter(Boolean).length;
      this.state.set(sub.name, { result: r, history, errorsTotal: (prev?.errorsTotal ?? 0) + (r.errored ? 1 : 0) });
      this.nextDue.set(sub.name, now + this.interval(sub));
      if (r.outcome.next_transition_ms !== undefined) this.transitionAt.set(sub.name, r.outcome.next_transition_ms);
      else this.transitionAt.delete(sub.name);
      yield;
    }
  }

  /** Every subsystem's latest result, in configuration order. */
  private *observed(): Steps<Observed[]> {
    const out: Observed[] = [];
    for (const sub of this.subsystems) {
      const st = this.state.get(sub.name);
      if (st) out.push({ sub, health: st.result.health, root_cause: st.result.outcome.root_cause });
      yield;
    }
    return out;
  }

  private finishReport(base: HealthReport, change: PolicyChange | null): void {
    this.evaluated = base;
    const served = this.policy.policy;
    this.report = {
      ...base,
      evaluated_safety_policy: base.current_safety_policy,
      current_safety_policy: served,
      trading_should_continue: tradingShouldContinue(served, base.detected_issues),
    };
    if (change) this.emit('policy', change);
    this.emit('cycle', this.report);
  }

  /** The next instant anything is due: a check, a threshold crossing, a hold-down expiry. */
  wakeAt(): number {
    let wake = this.resourcesDue;
    for (const t of this.nextDue.values()) wake = Math.min(wake, t);
    for (const t of this.transitionAt.values()) wake = Math.min(wake, t);
    const p = this.policy.nextWakeAt();
    return p !== null ? Math.min(wake, p) : wake;
  }

  private reschedule(): void {
    if (this.stopped || this.deps.schedule === false) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(0, this.wakeAt() - this.deps.clock());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick().catch((err) => this.deps.logger.error({ err }, 'check cycle failed'));
    }, Math.min(delay, 2 ** 31 - 1));
  }

  private watchFiles(): void {
    const byDir = new Map<string, { file: string | null; name: string }[]>();
    for (const s of this.subsystems) {
      const w = watchedPath(s);
      if (!w) continue;
      const list = byDir.get(w.dir) ?? [];
      list.push({ file: w.file, name: s.name });
      byDir.set(w.dir, list);
    }
    let pending = new Set<string>();
    let debounce: NodeJS.Timeout | null = null;
    for (const [dir, subs] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, filename) => {
          const f = filename ? String(filename) : null;
          if (f && (this.ignoredNames.has(f) || f.endsWith('.tmp') || this.ignoredNames.has(f.replace(/-(wal|shm|journal)$/, '')))) return;
          for (const s of subs) if (s.file === null || f === null || s.file === f) pending.add(s.name);
          if (pending.size === 0 || debounce) return;
          debounce = setTimeout(() => {
            debounce = null;
            const names = [...pending];
            pending = new Set();
            for (const n of names) this.nextDue.set(n, 0);
            this.reschedule();
          }, 20);
        });
        w.on('error', () => w.close());
        this.watchers.push(w);
      } catch {
        // A missing directory is simply polled on the normal schedule.
      }
    }
  }
}

/** Why the guide's rules chose the evaluated policy, in words an operator can act on. */
export function policyReasons(report: HealthReport): string[] {
  const reasons: string[] = [];
  const causes = new Map(report.detected_issues.map((i) => [i.subsystem, i.root_cause]));
  for (const h of Object.values(report.subsystem_health)) {
    if (h.status === 'healthy') continue;
    const why = (h.details.error ?? h.details.warning ?? h.details.escalation ?? causes.get(h.subsystem) ?? undefined) as string | undefined;
    reasons.push(`${h.subsystem} ${h.status}${why ? `: ${why}` : ''}`);
  }
  if (reasons.length === 0 && report.overall_status !== 'healthy') reasons.push(`overall status ${report.overall_status}`);
  return reasons;
}
