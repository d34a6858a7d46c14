// What EXECUTE needs of the running pipeline, and nothing more (as Alertmanager's notify stages
// see only a Notifier). The engine's Monitor fulfils it structurally; `serve/` does the wiring,
// so execute/ never imports the monitor, and tests can hand the executor a stand-in.
import type { HealthReport, HealthStatus, RecoveryAction, SafetyPolicy } from '../types';

/** What recovery reads of one subsystem's state. */
export interface SubsystemStanding {
  /** The latest result as served (after escalation). */
  readonly result: { readonly health: { readonly status: HealthStatus } };
  /** The status before escalation by exhausted recovery. */
  readonly checked: HealthStatus;
  readonly history: { readonly consecutive_errors: number };
  /** Since when the subsystem has been unhealthy (ms), or null while healthy. */
  readonly episodeStart: number | null;
  /** The start of the current or the last unhealthy episode (ms), or null if it never had one. */
  readonly lastEpisodeStart: number | null;
}

/**
 * VERIFY's judgement, as EXECUTE consults it after an action's settle time. Handed in by the wiring
 * (`verify/verify.ts` VERIFIER), so imports run down the pipeline: execute/ never imports verify/.
 */
export interface Verifier {
  /** Whether success is judged by a re-check (otherwise applying the action is the success). */
  needsRecheck(action: RecoveryAction, subsystem: string): boolean;
  /** The verdict on a re-check (null: the subsystem could not be checked), and its note for the record. */
  judge(before: HealthStatus | null, after: HealthStatus | null): { ok: boolean; note: string };
}

/** The running pipeline as recovery uses it: read a subsystem, hold the policy, verify, follow cycles. */
export interface Pipeline {
  /** The enabled subsystems, in configuration order. */
  readonly subsystems: readonly { readonly name: string }[];
  /** Each checked subsystem's standing, by name (absent before its first check). */
  readonly state: ReadonlyMap<string, SubsystemStanding>;
  /**
   * Sets and lifts policy floors (each key at most one; the served policy can only get stricter by a
   * floor), in one step of the served policy: a storm of a thousand pause alerts is one policy change.
   */
  changeFloors(set: readonly { key: string; policy: SafetyPolicy; reason: string }[], clear: readonly string[]): unknown;
  /** VERIFY: re-checks one subsystem now; its served status, or null for an unknown subsystem. */
  recheck(subsystem: string): Promise<HealthStatus | null>;
  /** Re-evaluates the report from the latest results without checking (a recovery outcome may escalate). */
  reevaluate(): Promise<void>;
  /** Follows every finished evaluation (the local recovery path acts on its recommendations). */
  on(event: 'cycle', listener: (report: HealthReport) => void): unknown;
  off(event: 'cycle', listener: (report: HealthReport) => void): unknown;
}
