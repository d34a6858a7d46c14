// The guide's action selection logic, exactly.
import type { DetectedIssue, RecoveryAction, RecoveryRecommendation } from '../types';
import { ACTIONS } from './actions';

export interface AutoFlags {
  auto_restart_enabled: boolean;
  auto_pause_on_critical: boolean;
}

export function selectAction(
  issue: Pick<DetectedIssue, 'subsystem' | 'severity'>,
  flags: AutoFlags,
): { action: RecoveryAction; can_auto_execute: boolean } {
  switch (issue.severity) {
    case 'critical':
      if (issue.subsystem === 'exchange_connection' || issue.subsystem === 'data_feed') {
        return { action: 'pause_trading', can_auto_execute: flags.auto_pause_on_critical };
      }
      if (issue.subsystem === 'ai_model') return { action: 'disable_module', can_auto_execute: true };
      return { action: 'restart_subsystem', can_auto_execute: flags.auto_restart_enabled };
    case 'high':
      return { action: 'switch_to_safe_profile', can_auto_execute: true };
    default:
      return { action: 'reload_config', can_auto_execute: false };
  }
}

export function recommend(issues: DetectedIssue[], flags: AutoFlags): RecoveryRecommendation[] {
  const recs = issues.map((issue, i): RecoveryRecommendation => {
    const { action, can_auto_execute } = selectAction(issue, flags);
    const info = ACTIONS[action];
    return {
      recommendation_id: `rec_${i + 1}_${issue.issue_id}`,
      issue,
      action,
      priority: issue.severity === 'critical' ? 1 : 2,
      description: info.describe(issue.subsystem),
      expected_result: info.expected_result,
      risks: [...info.risks],
      can_auto_execute,
      requires_approval: !can_auto_execute,
    };
  });
  // Array.prototype.sort is stable: equal priorities keep detection order.
  return recs.sort((a, b) => a.priority - b.priority);
}
