// Stateful rules of a running service, as pure functions over a subsystem's recent history.
// Heal before you halt: a check *error* (exception, timeout, corrupt data) is no evidence — transient
// until it repeats max_consecutive_failures times, then unknown (a check whose evidence is a time ages
// instead: engine/standing.ts); a critical subsystem becomes failed only when its automatic recovery is
// exhausted, never by counting checks; a high error rate (of a check without an age) is at least degraded.
import type { HealthStatus } from '../types';

export interface CheckHistory {
  /** Errored checks in a row, counted at most once per retry spacing (see recordCheck). */
  consecutive_errors: number;
  /** When the last counted error was seen (ms), or null after a clean check. */
  last_error_at: number | null;
  /** The last error_rate_window checks: true where the check errored. */
  recent_errors: boolean[];
}

export interface EscalationLimits {
  max_consecutive_failures: number;
  max_error_rate: number;
  error_rate_window: number;
}

export const EMPTY_HISTORY: CheckHistory = { consecutive_errors: 0, last_error_at: null, recent_errors: [] };

/**
 * Adds one check to the history. An error seen sooner than half the retry spacing after the last
 * counted one (a burst of force-checks during one blip) is the same observation and not counted again.
 */
export function recordCheck(h: CheckHistory, errored: boolean, window: number, now: number, spacingMs: number): CheckHistory {
  if (!errored) {
    // The steady state (no errors, window full of no-errors) is the same history: share it.
    if (h.consecutive_errors === 0 && h.recent_errors.length === window && !h.recent_errors.includes(true)) return h;
    return { consecutive_errors: 0, last_error_at: null, recent_errors: [...h.recent_errors, false].slice(-window) };
  }
  if (h.last_error_at !== null && h.consecutive_errors > 0 && now - h.last_error_at < spacingMs / 2) return h;
  return { consecutive_errors: h.consecutive_errors + 1, last_error_at: now, recent_errors: [...h.recent_errors, true].slice(-window) };
}

/** Errored share of the last `window` checks; checks not yet made count as clean (one torn read at start-up is not 50 %). */
function errorRate(h: CheckHistory, window: number): number {
  const n = Math.max(window, h.recent_errors.length);
  return n === 0 ? 0 : h.recent_errors.filter(Boolean).length / n;
}

/** Whether an errored check is still transient: the subsystem keeps its last status and is retried soon. */
export function isTransientError(h: CheckHistory, limits: Pick<EscalationLimits, 'max_consecutive_failures'>): boolean {
  return h.consecutive_errors < limits.max_consecutive_failures;
}

/**
 * The time between retries of an erroring check: max_consecutive_failures attempts fit in
 * two thirds of the subsystem's interval, so a persistent error is failed well within one interval.
 */
export function retrySpacingMs(intervalMs: number, maxConsecutive: number): number {
  return Math.max(50, Math.floor(intervalMs / Math.max(1, maxConsecutive)));
}

/**
 * The status a subsystem is served with. `exhausted` says why its automatic recovery is used up
 * (executed and verified failed max_consecutive_failures times), or null. `rateApplies` is false for a
 * check whose evidence is a time: its errors age it from the last valid reading instead, so a burst of
 * torn reads between valid ones (a moment of noise) never counts as a high error rate.
 */
export function escalate(
  status: HealthStatus,
  h: CheckHistory,
  limits: EscalationLimits,
  exhausted: string | null = null,
  rateApplies = true,
): { status: HealthStatus; reason?: string } {
  if (status === 'critical' && exhausted) return { status: 'failed', reason: `recovery exhausted: ${exhausted}` };
  const rate = errorRate(h, limits.error_rate_window);
  if (rateApplies && (status === 'healthy' || status === 'unknown') && rate > limits.max_error_rate) {
    return { status: 'degraded', reason: `check error rate ${(rate * 100).toFixed(0)}% over the last ${limits.error_rate_window} checks` };
  }
  return { status };
}
