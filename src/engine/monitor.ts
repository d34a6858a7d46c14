// DETECT, continuously: each subsystem on its own schedule (trading-critical ones every
// critical_check_interval, the rest every check_interval), re-checked the moment its evidence
// crosses a threshold or its file changes; then ANALYZE → RECOMMEND and the served policy.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { escalate, retrySpacingMs } from '../analyze/escalation';
import { flapReason, nextFlaps, type Flaps } from '../analyze/flapping';
import type { Config, SubsystemConfig } from '../config/types';
import type { InvalidReason } from '../detect/check';
import { ageLimitsOf, watchedPath } from '../detect/registry';
import type { ResourceProbe } from '../detect/resources';
import { checkMany, type SelfFaultKind, type SubsystemResult } from '../detect/run';
import { evaluateSteps } from './evaluate';
import { LARGE_PLATFORM, runSliced, type Steps } from '../util/slices';
import { absorbResult, firstState, type SubsystemState } from './standing';
import { policyForSubsystem, tradingShouldContinue } from '../recommend/policy';
import { PolicyStateMachine, type PolicyChange } from '../recommend/policy_state';
import { stricterPolicy, type HealthReport, type HealthStatus, type ResourceUsage, type SafetyPolicy } from '../types';
import type { Logger } from '../log/logger';

export interface MonitorDeps {
  clock: () => number;
  resources: ResourceProbe;
  logger: Logger;
  /** Watch data files for changes (on by default; tests with injected clocks turn it off). */
  watchFiles?: boolean;
  /** Start the timer loop (tests drive cycles by hand when false). */
  schedule?: boolean;
}

/** What the monitor asks EXECUTE: is this subsystem's automatic recovery used up in this episode? */
export interface RecoveryProbe {
  /** Why recovery is exhausted since `episodeStart` (verified failures in a row, an open breaker), or null. */
  exhausted(subsystem: string, episodeStart: number): string | null;
}

/** One of selfheal's own faults (never the platform's): counted, logged, and not ready until it clears. */
export interface SelfFault {
  kind: SelfFaultKind;
  subsystem: string;
  error: string;
  at: number;
}

/** A reading that was no evidence (torn, unparsable, a bad or future date, …): counted by reason. */
export interface InvalidEvidence {
  subsystem: string;
  reason: InvalidReason;
}

/** The key of a flapping subsystem's floor in the policy state machine. */
const flapFloorKey = (subsystem: string): string => `flapping:${subsystem}`;

export interface ServedReport extends HealthReport {
  evaluated_safety_policy: HealthReport['current_safety_policy'];
}

const NO_RESOURCES: ResourceUsage = { cpu_ratio: null, memory_ratio: null, open_connections: null };
/** Wake a little early rather than late; checks due within this slack run together. */
const SLACK_MS = 5;

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

  /** Counts of our own faults by kind, for selfheal_internal_errors_total. */
  readonly selfFaults = new Map<SelfFaultKind, number>();
  /** Subsystems whose latest check met one of our own faults; ready again once each checks clean. */
  readonly selfFaulted = new Map<string, SelfFault>();
  private recovery: RecoveryProbe | null = null;
  private readonly episodeSeeds = new Map<string, number>();
  private readonly flapSeeds = new Map<string, Flaps>();
  /** A flap state changed since the last evaluation's end: the 'flaps' event tells who persists them. */
  private flapsDirty = false;
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
    this.ignoredNames = new Set([
      basename(config.report_path),
      basename(config.recovery.journal_path),
      'selfheal_maintenance.json',
      'selfheal_latch.json',
      'selfheal_override.json',
      'selfheal_flapping.json',
    ]);
  }

  private interval(sub: SubsystemConfig): number {
    return (sub.criticality === 'yes' ? this.config.critical_check_interval : this.config.check_interval) * 1000;
  }

  async start(): Promise<void> {
    await this.runChecks(
      this.subsystems.map((s) => s.name),
      true,
    );
    if (this.deps.watchFiles !== false) this.watchFiles();
    this.reschedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }

  /**
   * Episodes that began before this process (from the journal's open alerts): a subsystem still
   * unhealthy at its first check continues that episode, so a restart of selfheal neither forgets
   * the recoveries already tried nor runs them again.
   */
  seedEpisodes(starts: ReadonlyMap<string, number>): void {
    for (const [name, at] of starts) this.episodeSeeds.set(name, at);
  }

  /** Flap states a previous process left: each subsystem's first evaluation continues from its own. */
  seedFlaps(flaps: ReadonlyMap<string, Flaps>): void {
    for (const [name, f] of flaps) if (this.subsystems.some((s) => s.name === name)) this.flapSeeds.set(name, f);
  }

  /** EXECUTE plugs in here, so that exhausted recovery (and only that) escalates critical to failed. */
  setRecoveryProbe(p: RecoveryProbe | null): void {
    this.recovery = p;
  }

  /** Re-evaluates the report from the latest results without checking (after a recovery outcome). */
  async reevaluate(): Promise<void> {
    await this.runChecks([], false);
  }

  /** Runs every check now (the guide's force-check); concurrent callers share one run. */
  async forceCheck(): Promise<ServedReport> {
    await this.runChecks(
      this.subsystems.map((s) => s.name),
      true,
    );
    this.reschedule();
    if (!this.report) throw new Error('a full check produced no report');
    return this.report;
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

  /** Floors set and lifted in one step of the served policy (a storm's floors are one change). */
  changeFloors(set: readonly { key: string; policy: SafetyPolicy; reason: string }[], clear: readonly string[]): PolicyChange | null {
    for (const f of set) this.policy.holdFloor(f.key, f.policy, f.reason);
    for (const key of clear) this.policy.dropFloor(key);
    return this.publish(this.policy.step());
  }

  restoreLatch(reason: string): PolicyChange | null {
    return this.publish(this.policy.restoreLatch(reason));
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
      subs.length ? checkMany(subs, this.deps.clock, { maxSkewMs: this.config.max_clock_skew_sec * 1000 }) : Promise.resolve([]),
    ]);
    const now = this.deps.clock();
    if (withResources) {
      this.resources = resources;
      this.resourcesDue = now + this.config.check_interval * 1000;
    }
    await runSliced(this.absorb(subs, results, now), this.sliced);
    const base = await runSliced(
      evaluateSteps(this.config, this.subsystems, (sub) => this.latest(sub, now), this.resources, now),
      this.sliced,
    );
    this.holdFlapFloors();
    if (this.flapsDirty) {
      this.flapsDirty = false;
      this.emit('flaps', this.flapStates());
    }
    const change = this.policy.update(base.current_safety_policy, policyReasons(base));
    this.lastCycleAt = now;
    this.lastCycleSeconds = (performance.now() - started) / 1000;
    this.cycles++;
    this.finishReport(base, change);
  }

  /** Records each result by the subsystem's history (an error is no evidence); schedules its next check. */
  private *absorb(subs: SubsystemConfig[], results: SubsystemResult[], now: number): Steps<void> {
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      const sub = subs[i];
      const prev = this.state.get(sub.name);
      const spacing = retrySpacingMs(this.interval(sub), this.config.max_consecutive_failures);
      if (r.selfFault) {
        this.noteSelfFault(sub, r.selfFault, r, prev, now, spacing);
        yield;
        continue;
      }
      this.selfFaulted.delete(sub.name);
      if (r.invalid) this.emit('invalidEvidence', { subsystem: sub.name, reason: r.invalid } satisfies InvalidEvidence);
      const { state, retryAt, transitionAt } = absorbResult(sub, r, prev, now, this.config, spacing);
      if (transitionAt === null) this.transitionAt.delete(sub.name);
      else if (transitionAt !== undefined) this.transitionAt.set(sub.name, transitionAt);
      this.state.set(sub.name, state);
      this.nextDue.set(sub.name, retryAt ?? now + this.interval(sub));
      yield;
    }
  }

  /** Our own fault: nothing is learned about the subsystem; it keeps its last result and is retried soon. */
  private noteSelfFault(
    sub: SubsystemConfig,
    kind: SelfFaultKind,
    r: SubsystemResult,
    prev: SubsystemState | undefined,
    now: number,
    spacing: number,
  ): void {
    const fault: SelfFault = { kind, subsystem: sub.name, error: String(r.health.details.error ?? ''), at: now };
    if (!this.selfFaulted.has(sub.name))
      this.deps.logger.error(fault, `selfheal's own fault (${fault.kind}) while checking ${sub.name}: not counted against the platform`);
    this.selfFaulted.set(sub.name, fault);
    this.selfFaults.set(fault.kind, (this.selfFaults.get(fault.kind) ?? 0) + 1);
    if (!prev) {
      r.health = { ...r.health, status: 'unknown', details: { error: `selfheal: ${fault.error}` } };
      this.state.set(sub.name, firstState(r, 'unknown'));
    }
    this.nextDue.set(sub.name, now + spacing);
    this.emit('selfFault', fault);
  }

  /**
   * A flapping subsystem holds a floor: the policy its worst status in the flaps implies, at least
   * no_new_trades, until it has been healthy for flapping.stable_sec. The served policy does not swing
   * with each flap (the floor is stepped in with this cycle's evaluation, not apart from it).
   */
  /** Every subsystem with recent episodes or flapping, and its flap state. */
  flapStates(): Map<string, Flaps> {
    const out = new Map<string, Flaps>();
    for (const [name, st] of this.state) if (st.flaps.starts.length || st.flaps.since !== null) out.set(name, st.flaps);
    return out;
  }

  private holdFlapFloors(): void {
    for (const sub of this.subsystems) {
      const f = this.state.get(sub.name)?.flaps;
      const key = flapFloorKey(sub.name);
      if (!f || f.since === null) {
        this.policy.dropFloor(key);
        continue;
      }
      const policy = stricterPolicy('no_new_trades', policyForSubsystem(f.worst, sub.criticality));
      this.policy.holdFloor(key, policy, flapReason(sub.name, f, this.config.flapping));
    }
  }

  /** A subsystem's latest result as evaluated: escalated where recovery is exhausted. */
  private latest(sub: SubsystemConfig, now: number): SubsystemResult | undefined {
    const st = this.state.get(sub.name);
    if (!st) return undefined;
    this.serve(sub, st, now);
    return st.result;
  }

  /** Applies escalation and tracks the unhealthy episode; replaces (never mutates) the served result. */
  private serve(sub: SubsystemConfig, st: SubsystemState, now: number): void {
    const name = sub.name;
    const seed = this.episodeSeeds.get(name);
    if (seed !== undefined) this.episodeSeeds.delete(name);
    const started = st.checked !== 'healthy' && st.episodeStart === null;
    if (st.checked === 'healthy') st.episodeStart = null;
    else if (started) st.episodeStart = st.lastEpisodeStart = seed !== undefined && seed <= now ? seed : now;
    st.healthySince = st.checked === 'healthy' ? (st.healthySince ?? now) : null;
    const seeded = this.flapSeeds.get(name);
    if (seeded) this.flapSeeds.delete(name);
    const before = seeded ?? st.flaps;
    st.flaps = nextFlaps(before, { now, status: st.checked, episodeStarted: started, healthySince: st.healthySince }, this.config.flapping);
    if (st.flaps !== before || seeded) this.flapsDirty = true;
    const exhausted =
      st.checked === 'critical' && st.episodeStart !== null && this.recovery ? this.recovery.exhausted(name, st.episodeStart) : null;
    const esc = escalate(st.checked, st.history, this.config, exhausted, ageLimitsOf(sub.check) === null);
    const h = st.result.health;
    if (esc.status !== h.status || (esc.reason ?? undefined) !== h.details.escalation) {
      const { escalation: _old, ...details } = h.details;
      st.result = {
        ...st.result,
        health: { ...h, status: esc.status, details: esc.reason ? { ...details, escalation: esc.reason } : details },
      };
    }
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
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.tick().catch((err) => this.deps.logger.error({ err }, 'check cycle failed'));
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  }

  private watchFiles(): void {
    const byDir = new Map<string, { file: string | null; name: string }[]>();
    for (const s of this.subsystems) {
      const w = watchedPath(s.check);
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
function policyReasons(report: HealthReport): string[] {
  const reasons: string[] = [];
  const causes = new Map(report.detected_issues.map((i) => [i.subsystem, i.root_cause]));
  for (const h of Object.values(report.subsystem_health)) {
    if (h.status === 'healthy') continue;
    // An escalation says why it is failed; the evidence's own error or warning says what the check saw.
    // Evidence that is no evidence says how long there has been none, and why (torn, a bad date, …).
    const noEvidence = h.details.invalid ? `${String(h.details.warning ?? 'no valid evidence')} (${String(h.details.error)})` : undefined;
    const seen = (noEvidence ?? h.details.error ?? h.details.warning ?? causes.get(h.subsystem) ?? undefined) as string | undefined;
    const why = [h.details.escalation as string | undefined, seen].filter(Boolean).join('; ');
    reasons.push(`${h.subsystem} ${h.status}${why ? `: ${why}` : ''}`);
  }
  if (reasons.length === 0 && report.overall_status !== 'healthy') reasons.push(`overall status ${report.overall_status}`);
  return reasons;
}
