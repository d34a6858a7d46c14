// The guide's action selection logic, exactly.
import type { DetectedIssue, RecoveryAction, RecoveryRecommendation } from '../types';
import { ACTIONS, type AutoFlags } from './actions';

/**
 * The guide's selection: which action an issue calls for. Its `can_auto` per branch is the chosen
 * action's own auto rule (pause ← auto_pause_on_critical, restart ← auto_restart_enabled, …), read
 * from the table.
 */
export function selectAction(
  issue: Pick<DetectedIssue, 'subsystem' | 'severity'>,
  flags: AutoFlags,
): { action: RecoveryAction; can_auto_execute: boolean } {
  const action = chooseAction(issue);
  return { action, can_auto_execute: ACTIONS[action].auto(flags) };
}

function chooseAction(issue: Pick<DetectedIssue, 'subsystem' | 'severity'>): RecoveryAction {
  switch (issue.severity) {
    case 'critical':
      if (issue.subsystem === 'exchange_connection' || issue.subsystem === 'data_feed') return 'pause_trading';
      if (issue.subsystem === 'ai_model') return 'disable_module';
      return 'restart_subsystem';
    case 'high':
      return 'switch_to_safe_profile';
    default:
      return 'reload_config';
  }
}

/** The guide's recommendations for the issues, critical first (priority 1), detection order within a priority. */
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
