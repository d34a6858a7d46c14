// VERIFY: did the action help? A re-check after the settle time must find the subsystem better.
import type { HealthStatus, RecoveryAction } from '../types';
import { statusRank } from '../detect/thresholds';

/** Actions whose effect is the policy floor or a switch we flip ourselves: applying it is the success. */
const SELF_VERIFYING: ReadonlySet<RecoveryAction> = new Set(['pause_trading', 'no_new_trades', 'switch_to_safe_profile', 'defensive_exit', 'close_all_positions', 'disable_module']);

export function needsRecheck(action: RecoveryAction, subsystem: string): boolean {
  return !SELF_VERIFYING.has(action) && subsystem !== 'system';
}

export function improved(before: HealthStatus | null, after: HealthStatus): boolean {
  if (after === 'healthy') return true;
  if (before === null) return false;
  return statusRank(after) < statusRank(before);
}
