// Builds the guide's health report from check results. Pure: no I/O, no clock.
import { overallStatus, summarize } from '../analyze/overall';
import { resourceIssues, subsystemIssue } from '../analyze/issues';
import type { Config, SubsystemConfig } from '../config/types';
import { evaluateSafetyPolicy, requiresImmediateAction, tradingShouldContinue } from '../recommend/policy';
import { recommend } from '../recommend/recommendations';
import type { DetectedIssue, HealthReport, ResourceUsage, SubsystemHealth } from '../types';

export interface Observed {
  sub: SubsystemConfig;
  health: SubsystemHealth;
  root_cause?: string;
}

export function buildReport(config: Config, observed: Observed[], resources: ResourceUsage, nowMs: number): HealthReport {
  const issues: DetectedIssue[] = [];
  for (const o of observed) {
    const issue = subsystemIssue(
      { health: o.health, criticality: o.sub.criticality, dependents: o.sub.dependents, root_cause: o.root_cause },
      nowMs,
    );
    if (issue) issues.push(issue);
  }
  issues.push(...resourceIssues(resources, config, observed.map((o) => o.sub.name), nowMs));

  const overall = overallStatus(observed.map((o) => ({ status: o.health.status, criticality: o.sub.criticality })));
  const policy = evaluateSafetyPolicy(overall, issues);
  const subsystem_health: Record<string, SubsystemHealth> = {};
  for (const o of observed) subsystem_health[o.sub.name] = o.health;
  return {
    timestamp: new Date(nowMs).toISOString(),
    overall_status: overall,
    current_safety_policy: policy,
    subsystem_health,
    detected_issues: issues,
    recovery_recommendations: recommend(issues, config),
    trading_should_continue: tradingShouldContinue(policy, issues),
    requires_immediate_action: requiresImmediateAction(overall, issues),
    summary: summarize(observed.map((o) => o.health)),
    resources,
  };
}
