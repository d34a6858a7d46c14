// The guide's _evaluate_safety_policy, exactly, plus the two report flags derived from it.
import { impactsTrading, severityForStatus } from '../analyze/issues';
import { overallStatus } from '../analyze/overall';
import { countedStatus, type DetectedIssue, type HealthStatus, type SafetyPolicy, type TradingCriticality } from '../types';

/** The guide's `_evaluate_safety_policy`: the policy for an overall status and the issues found. Pure. */
export function evaluateSafetyPolicy(overall: HealthStatus, issues: Pick<DetectedIssue, 'severity' | 'impacts_trading'>[]): SafetyPolicy {
  const critical = issues.filter((i) => i.severity === 'critical');
  if (overall === 'failed') return 'emergency_shutdown';
  if (critical.length > 0) return critical.some((i) => i.impacts_trading) ? 'defensive_exit' : 'no_new_trades';
  if (overall === 'critical') return 'safe_risk_profile';
  // Unknown overall (nothing could be checked) counts as degraded: protect, don't allow.
  if (countedStatus(overall) === 'degraded') return 'no_new_trades';
  return 'allow_all';
}

export function tradingShouldContinue(policy: SafetyPolicy, issues: Pick<DetectedIssue, 'severity'>[]): boolean {
  const continuing = policy === 'allow_all' || policy === 'no_new_trades' || policy === 'safe_risk_profile';
  return continuing && !issues.some((i) => i.severity === 'critical');
}

export function requiresImmediateAction(overall: HealthStatus, issues: Pick<DetectedIssue, 'severity'>[]): boolean {
  return overall === 'failed' || issues.some((i) => i.severity === 'critical');
}

/**
 * The policy one subsystem alone implies at a status (the guide's rules on a report of just it):
 * what a flapping subsystem's floor holds, so the served policy does not swing with each flap.
 */
export function policyForSubsystem(status: HealthStatus, criticality: TradingCriticality): SafetyPolicy {
  const severity = severityForStatus(status);
  const issues = severity ? [{ severity, impacts_trading: impactsTrading(criticality, severity) }] : [];
  return evaluateSafetyPolicy(overallStatus([{ status, criticality }]), issues);
}
