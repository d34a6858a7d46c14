// Storm protection, as pure functions of the journal's history and the clock:
// cooldown per (subsystem, action), exponential backoff for repeated restarts, a circuit breaker,
// and escalation of restarts that keep failing (the guide's max_consecutive_failures).
import type { RecoveryConfig } from '../config/types';
import { ACTIONS } from '../recommend/actions';
import type { RecoveryAction } from '../types';
import type { JournalRecord } from './journal';

export interface StormLimits extends Pick<
  RecoveryConfig,
  'cooldown_sec' | 'backoff_initial_sec' | 'backoff_max_sec' | 'backoff_reset_sec' | 'breaker_max_executions' | 'breaker_window_sec'
> {
  max_consecutive_failures: number;
}

/** Failed restarts in a row, newest first, forgiven once the last one is older than the reset period. */
export function consecutiveFailures(finished: JournalRecord[], now: number, resetSec: number): number {
  if (finished.length === 0 || now - (finished[0].finished_at ?? 0) > resetSec * 1000) return 0;
  let n = 0;
  for (const r of finished) {
    if (r.state !== 'failed') break;
    n++;
  }
  return n;
}

/** Restarts: 10 s after the first failure, doubling to 5 min (as container runtimes back off). */
export function backoffSec(failures: number, l: StormLimits): number {
  if (failures <= 0) return 0;
  return Math.min(l.backoff_initial_sec * 2 ** (failures - 1), l.backoff_max_sec);
}

/**
 * The earliest instant this action may run again for this subsystem. Restarts (actions retried with
 * backoff) back off from the last *failed* attempt's outcome (verification takes time; the clock
 * starts when it failed); other actions cool down from their last start.
 */
export function notBefore(
  action: RecoveryAction,
  lastStarted: number | null,
  lastFailedAt: number | null,
  failures: number,
  l: StormLimits,
): number {
  if (ACTIONS[action].retry_with_backoff) return failures > 0 && lastFailedAt !== null ? lastFailedAt + backoffSec(failures, l) * 1000 : 0;
  return lastStarted === null ? 0 : lastStarted + l.cooldown_sec * 1000;
}

export function breakerOpen(startedInWindow: number, l: StormLimits): boolean {
  return startedInWindow >= l.breaker_max_executions;
}
