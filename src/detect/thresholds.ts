// Pure threshold logic shared by the freshness-style checks.
import type { HealthStatus } from '../types';
import { EvidenceError } from './check';

export interface AgeThresholds {
  degraded_after_sec: number;
  critical_after_sec: number;
}

/**
 * Age at or below a limit keeps the healthier status; strictly beyond it, the worse one.
 * (The guide says "≤ stale threshold" for the data feed; we use the same rule everywhere.)
 */
export function statusForAge(ageSec: number, t: AgeThresholds): HealthStatus {
  if (ageSec > t.critical_after_sec) return 'critical';
  if (ageSec > t.degraded_after_sec) return 'degraded';
  return 'healthy';
}

/** When evidence that stops being refreshed turns degraded, then critical (a demo fault's onset). */
export function ageOnset(t: AgeThresholds): { status: HealthStatus; after_sec: number }[] {
  const out: { status: HealthStatus; after_sec: number }[] = [];
  if (t.degraded_after_sec < t.critical_after_sec) out.push({ status: 'degraded', after_sec: t.degraded_after_sec });
  out.push({ status: 'critical', after_sec: t.critical_after_sec });
  return out;
}

/** The first instant (ms) at which the status for evidence of this time gets worse, if ever. */
export function nextAgeTransition(evidenceMs: number, nowMs: number, t: AgeThresholds): number | undefined {
  for (const limit of [t.degraded_after_sec, t.critical_after_sec]) {
    const at = evidenceMs + limit * 1000 + 1;
    if (at > nowMs) return at;
  }
  return undefined;
}

export function ageSeconds(evidenceMs: number, nowMs: number): number {
  // Evidence slightly from the future (clock skew within tolerance) counts as brand new.
  return Math.max(0, (nowMs - evidenceMs) / 1000);
}

const DEFAULT_MAX_SKEW_MS = 30_000;

/**
 * The age of evidence, or an error when it is dated further ahead than the tolerated clock skew:
 * a bogus future timestamp must not pass for fresh evidence and hide a stall.
 */
export function evidenceAge(evidenceMs: number, nowMs: number, maxSkewMs = DEFAULT_MAX_SKEW_MS): number {
  const ahead = evidenceMs - nowMs;
  if (ahead > maxSkewMs) {
    throw new EvidenceError(
      'future',
      `evidence dated ${(ahead / 1000).toFixed(1)}s in the future (clock skew beyond max_clock_skew_sec ${maxSkewMs / 1000})`,
    );
  }
  return ageSeconds(evidenceMs, nowMs);
}
