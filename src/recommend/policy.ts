// The guide's _evaluate_safety_policy, exactly, plus the two report flags derived from it.
import type { DetectedIssue, HealthStatus, SafetyPolicy } from '../types';

/** The guide's `_evaluate_safety_policy`: the policy for an overall status and the issues found. Pure. */
export function evaluateSafetyPolicy(overall: HealthStatus, issues: Pick<DetectedIssue, 'severity' | 'impacts_trading'>[]): SafetyPolicy {
  const critical = issues.filter((i) => i.severity === 'critical');
  if (overall === 'failed') return 'emergency_shutdown';
  if (critical.length > 0) return critical.some((i) => i.impacts_trading) ? 'defensive_exit' : 'no_new_trades';
  if (overall === 'critical') return 'safe_risk_profile';
  // Unknown overall (nothing could be checked) is treated like degraded: protect, don't allow.
  if (overall === 'degraded' || overall === 'unknown') return 'no_new_trades';
  return 'allow_all';
}

export function tradingShouldContinue(policy: SafetyPolicy, issues: Pick<DetectedIssue, 'severity'>[]): boolean {
  const continuing = policy === 'allow_all' || policy === 'no_new_trades' || policy === 'safe_risk_profile';
  return continuing && !issues.some((i) => i.severity === 'critical');
}

export function requiresImmediateAction(overall: HealthStatus, issues: Pick<DetectedIssue, 'severity'>[]): boolean {
  return overall === 'failed' || issues.some((i) => i.severity === 'critical');
}
