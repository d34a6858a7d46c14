// A subsystem's standing in the running monitor: its latest result read against its history. An
// errored reading is no evidence: a check whose evidence is a time ages from the last valid reading
// (an executor that writes garbage ages exactly like one that stopped), another keeps its last status
// while the error is transient and is then unknown. Never failed: only exhausted recovery escalates.
import { EMPTY_HISTORY, isTransientError, recordCheck, type CheckHistory } from '../analyze/escalation';
import { NO_FLAPS, type Flaps } from '../analyze/flapping';
import type { SubsystemConfig } from '../config/types';
import { ageLimitsOf } from '../detect/registry';
import type { SubsystemResult } from '../detect/run';
import { nextAgeTransition, statusForAge, type AgeThresholds } from '../detect/thresholds';
import { worseStatus, type HealthStatus } from '../types';

export interface SubsystemState {
  /** The latest result as served: transient errors keep the last status; exhausted recovery escalates. */
  result: SubsystemResult;
  /** The status before escalation by exhausted recovery. */
  checked: HealthStatus;
  history: CheckHistory;
  errorsTotal: number;
  /** Since when the subsystem has been unhealthy (ms), or null while healthy. */
  episodeStart: number | null;
  /** The start of the current or the last unhealthy episode (ms). */
  lastEpisodeStart: number | null;
  /** The time of the last valid evidence (ms), or null if none was seen by this process. */
  lastValid: number | null;
  /** Since when readings have been no evidence (ms), or null while they are valid. */
  noEvidenceSince: number | null;
  /** Since when it has been healthy without a break (ms), or null while unhealthy. */
  healthySince: number | null;
  flaps: Flaps;
}

/** A result absorbed into a standing, and when the subsystem is due again. */
export interface Absorbed {
  state: SubsystemState;
  /** Re-check this soon (an errored reading); null: at the usual interval. */
  retryAt: number | null;
  /** When the status changes by time alone; null: never; undefined: as it was. */
  transitionAt: number | null | undefined;
}

export interface AbsorbLimits {
  max_consecutive_failures: number;
  error_rate_window: number;
}

/** A fresh standing for a subsystem's first result. */
export function firstState(result: SubsystemResult, checked: HealthStatus): SubsystemState {
  return {
    result,
    checked,
    history: EMPTY_HISTORY,
    errorsTotal: 0,
    episodeStart: null,
    lastEpisodeStart: null,
    lastValid: null,
    noEvidenceSince: null,
    healthySince: null,
    flaps: NO_FLAPS,
  };
}

/** Records a result by the subsystem's history; `spacing` is the retry spacing of an errored reading. */
export function absorbResult(
  sub: SubsystemConfig,
  r: SubsystemResult,
  prev: SubsystemState | undefined,
  now: number,
  l: AbsorbLimits,
  spacing: number,
): Absorbed {
  const history = recordCheck(prev?.history ?? EMPTY_HISTORY, r.errored, l.error_rate_window, now, spacing);
  let lastValid = prev?.lastValid ?? null;
  let noEvidenceSince = prev?.noEvidenceSince ?? null;
  let retryAt: number | null = null;
  let transitionAt: number | null | undefined;
  if (r.errored) {
    noEvidenceSince ??= now;
    retryAt = now + spacing;
    const ages = ageLimitsOf(sub.check);
    if (ages) {
      aged(r, prev, ages, lastValid, noEvidenceSince, now);
      transitionAt = r.outcome.next_transition_ms ?? null;
    } else if (isTransientError(history, l)) keepLastStatus(r, prev, history, l.max_consecutive_failures);
  } else {
    // Only a time is evidence to age from: a missing file or field is a status, not a fresh reading.
    lastValid = r.outcome.evidence_ms ?? lastValid;
    noEvidenceSince = null;
    transitionAt = r.outcome.next_transition_ms ?? null;
  }
  r.health.error_count = history.recent_errors.filter(Boolean).length;
  const base = prev ?? firstState(r, r.health.status);
  const state: SubsystemState = {
    ...base,
    result: r,
    checked: r.health.status,
    history,
    errorsTotal: (prev?.errorsTotal ?? 0) + (r.errored ? 1 : 0),
    lastValid,
    noEvidenceSince,
  };
  return { state, retryAt, transitionAt };
}

/**
 * A reading that is no evidence, for a check whose evidence is a time: the status is that of the last
 * valid evidence's age (or, with none seen, of how long there has been none, and never healthy).
 */
function aged(
  r: SubsystemResult,
  prev: SubsystemState | undefined,
  ages: AgeThresholds,
  lastValid: number | null,
  noEvidenceSince: number,
  now: number,
): void {
  const error = String(r.health.details.error ?? 'check error');
  const base = lastValid ?? noEvidenceSince;
  const age = Math.max(0, (now - base) / 1000);
  let status = statusForAge(age, ages);
  // With no time seen, never healthy, and never better than the last reading (a missing file's status).
  if (lastValid === null) status = worseStatus(status === 'healthy' ? 'unknown' : status, prev?.checked ?? 'unknown');
  const { transient: _t, warning: _w, error: _e, ...kept } = prev?.result.health.details ?? {};
  const since = Math.round((now - noEvidenceSince) / 100) / 10;
  const details = { ...kept, age_seconds: Math.round(age * 10) / 10, error, invalid: r.invalid, no_valid_evidence_for_seconds: since };
  if (status !== 'healthy') Object.assign(details, { warning: `No valid evidence for ${Math.round(age)}s` });
  r.health = { ...r.health, status, details };
  r.outcome = {
    ...r.outcome,
    status,
    details,
    root_cause: status === 'healthy' ? undefined : `No valid evidence for ${Math.round(age)}s (${error})`,
    evidence_ms: lastValid ?? undefined,
    next_transition_ms: nextAgeTransition(base, now, ages),
  };
}

/** A transient error: the subsystem keeps its last status (unknown if it has none), the error shown beside it. */
function keepLastStatus(r: SubsystemResult, prev: SubsystemState | undefined, h: CheckHistory, max: number): void {
  const error = String(r.health.details.error ?? 'check error');
  const last = prev?.result.health;
  r.health = {
    ...r.health,
    status: prev?.checked ?? 'unknown',
    details: {
      ...(last?.details ?? {}),
      error,
      transient: `error ${h.consecutive_errors} of ${max} in a row: keeping the last status, retrying`,
    },
  };
  r.outcome = { ...r.outcome, status: r.health.status, root_cause: prev?.result.outcome.root_cause ?? r.outcome.root_cause };
}
