// Stateful rules of a running service, as pure functions over a subsystem's recent history:
// repeated criticals escalate to failed; a high check error rate is at least degraded.
import type { HealthStatus } from '../types';

export interface CheckHistory {
  /** Consecutive checks (including the latest) that reported critical or failed. */
  consecutive_failures: number;
  /** Latest results first is not required; only counts matter. */
  recent_errors: boolean[];
}

export interface EscalationLimits {
  max_consecutive_failures: number;
  max_error_rate: number;
  error_rate_window: number;
}

export function recordCheck(h: CheckHistory, status: HealthStatus, errored: boolean, window: number): CheckHistory {
  const bad = status === 'critical' || status === 'failed';
  // The steady state (good, no errors, window full of no-errors) is the same history: share it.
  if (!bad && !errored && h.consecutive_failures === 0 && h.recent_errors.length === window && !h.recent_errors.includes(true)) return h;
  const recent = [...h.recent_errors, errored].slice(-window);
  return { consecutive_failures: bad ? h.consecutive_failures + 1 : 0, recent_errors: recent };
}

export function errorRate(h: CheckHistory): number {
  if (h.recent_errors.length === 0) return 0;
  return h.recent_errors.filter(Boolean).length / h.recent_errors.length;
}

export function escalate(status: HealthStatus, h: CheckHistory, limits: EscalationLimits): { status: HealthStatus; reason?: string } {
  if (status === 'critical' && h.consecutive_failures >= limits.max_consecutive_failures) {
    return { status: 'failed', reason: `critical for ${h.consecutive_failures} consecutive checks` };
  }
  const rate = errorRate(h);
  if ((status === 'healthy' || status === 'unknown') && rate > limits.max_error_rate) {
    return { status: 'degraded', reason: `check error rate ${(rate * 100).toFixed(0)}% over the last ${h.recent_errors.length} checks` };
  }
  return { status };
}
