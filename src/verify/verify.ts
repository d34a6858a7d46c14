// VERIFY: did the action help? A re-check after the settle time must find the subsystem better.
// Pure: the executor re-checks and asks here what the result means.
import { SYSTEM_SUBSYSTEM, statusRank, type HealthStatus, type RecoveryAction } from '../types';
import { ACTIONS } from '../recommend/actions';

/**
 * Whether success is judged by a re-check (the action's `verify` in the table). `system` is no
 * subsystem a re-check could look at: an action on it succeeds when applied.
 */
export function needsRecheck(action: RecoveryAction, subsystem: string): boolean {
  return ACTIONS[action].verify === 'recheck' && subsystem !== SYSTEM_SUBSYSTEM;
}

/** A re-check shows improvement: healthy now, or a better rank than before (with no status before, only healthy). */
export function improved(before: HealthStatus | null, after: HealthStatus): boolean {
  if (after === 'healthy') return true;
  if (before === null) return false;
  return statusRank(after) < statusRank(before);
}

/** The verdict on a re-check: succeeded or failed, and the line the record's detail gets. */
function judge(before: HealthStatus | null, after: HealthStatus | null): { ok: boolean; note: string } {
  const ok = after !== null && improved(before, after);
  return { ok, note: `verify: ${before ?? '?'} → ${after ?? 'not checked'}` };
}

/** The judgement the executor consults (`execute/pipeline.ts` Verifier; wired in by `serve/receiver.ts`). */
export const VERIFIER = { needsRecheck, judge } as const;
