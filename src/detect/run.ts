// Runs one subsystem's check with a timeout. A check that throws, times out or meets corrupt data
// is reported as `failed` with the error in details.error; it never delays or breaks the others.
import type { SubsystemConfig } from '../config/types';
import type { SubsystemHealth } from '../types';
import type { CheckOutcome } from './check';
import { runChecker } from './registry';

export interface SubsystemResult {
  health: SubsystemHealth;
  outcome: CheckOutcome;
  /** The check itself errored (threw or timed out), as opposed to reporting a bad status. */
  errored: boolean;
}

export type Clock = () => number;

function describe(err: unknown): string {
  if (err instanceof SyntaxError) return `corrupt JSON: ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  return e && e.message ? (e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message) : String(err);
}

export async function checkSubsystem(sub: SubsystemConfig, clock: Clock): Promise<SubsystemResult> {
  const now = clock();
  const started = performance.now();
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new Error(`check timed out after ${sub.timeout_sec}s`));
    }, sub.timeout_sec * 1000);
  });
  let outcome: CheckOutcome;
  let errored = false;
  try {
    outcome = await Promise.race([runChecker(sub.check, { now, signal: ac.signal }), timeout]);
  } catch (err) {
    errored = true;
    outcome = { status: 'failed', details: { error: describe(err) }, root_cause: `Check error: ${describe(err)}` };
  } finally {
    clearTimeout(timer);
  }
  const elapsed = performance.now() - started;
  return {
    health: {
      subsystem: sub.name,
      status: outcome.status,
      timestamp: new Date(now).toISOString(),
      response_time_ms: Math.round(elapsed * 100) / 100,
      error_count: errored ? 1 : 0,
      details: outcome.details,
    },
    outcome,
    errored,
  };
}
