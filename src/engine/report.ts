// Builds the guide's health report from check results. Pure: no I/O, no clock.
import { overallStatus, summarize, type StatusInput } from '../analyze/overall';
import { resourceIssues, subsystemIssue } from '../analyze/issues';
import type { Config, SubsystemConfig } from '../config/types';
import { evaluateSafetyPolicy, requiresImmediateAction, tradingShouldContinue } from '../recommend/policy';
import { recommend } from '../recommend/recommendations';
import {
  stricterPolicy,
  type DetectedIssue,
  type HealthReport,
  type ResourceUsage,
  type SafetyPolicy,
  type SubsystemHealth,
} from '../types';
import { runToEnd, type Steps } from '../util/slices';

export interface Observed {
  sub: SubsystemConfig;
  health: SubsystemHealth;
  root_cause?: string;
}

/** The guide's health report from observed results: issues, recommendations, overall status and policy. Pure. */
export function buildReport(config: Config, observed: Observed[], resources: ResourceUsage, nowMs: number): HealthReport {
  return runToEnd(reportSteps(config, observed, resources, nowMs));
}

/** buildReport, pausable after each subsystem (the service runs it in slices). */
export function* reportSteps(config: Config, observed: Observed[], resources: ResourceUsage, nowMs: number): Steps<HealthReport> {
  const issues: DetectedIssue[] = [];
  const statuses: StatusInput[] = [];
  const health: SubsystemHealth[] = [];
  const subsystem_health: Record<string, SubsystemHealth> = {};
  for (const o of observed) {
    const issue = subsystemIssue(
      { health: o.health, criticality: o.sub.criticality, dependents: o.sub.dependents, root_cause: o.root_cause },
      nowMs,
    );
    if (issue) issues.push(issue);
    statuses.push({ status: o.health.status, criticality: o.sub.criticality });
    health.push(o.health);
    subsystem_health[o.sub.name] = o.health;
    yield;
  }
  issues.push(
    ...resourceIssues(
      resources,
      config,
      observed.map((o) => o.sub.name),
      nowMs,
    ),
  );
  yield;

  const overall = overallStatus(statuses);
  const policy = neverLooser(evaluateSafetyPolicy(overall, issues), statuses, issues, observed);
  yield;
  const recovery_recommendations = recommend(issues, config);
  yield;
  return {
    timestamp: new Date(nowMs).toISOString(),
    overall_status: overall,
    current_safety_policy: policy,
    subsystem_health,
    detected_issues: issues,
    recovery_recommendations,
    trading_should_continue: tradingShouldContinue(policy, issues),
    requires_immediate_action: requiresImmediateAction(overall, issues),
    summary: summarize(health),
    resources,
  };
}

/**
 * Escalation never loosens: the guide maps FAILED to a *high* issue, so a partially critical
 * subsystem that fails would get safe_risk_profile, milder than its critical no_new_trades.
 * The policy is therefore at least what it would be were every failed subsystem merely critical.
 */
function neverLooser(guide: SafetyPolicy, statuses: StatusInput[], issues: DetectedIssue[], observed: Observed[]): SafetyPolicy {
  const failed = new Set(observed.filter((o) => o.health.status === 'failed').map((o) => o.sub.name));
  if (failed.size === 0) return guide;
  const asCritical = statuses.map((s) => (s.status === 'failed' ? { ...s, status: 'critical' as const } : s));
  const criticalIssues = issues.map((i) =>
    failed.has(i.subsystem) && i.severity === 'high' ? { ...i, severity: 'critical' as const } : i,
  );
  return stricterPolicy(guide, evaluateSafetyPolicy(overallStatus(asCritical), criticalIssues));
}
