import type { Details, HealthStatus } from '../types';

export interface CheckContext {
  /** Wall-clock "now" in ms since the epoch; injected so tests control time. */
  now: number;
  /** Aborted when the check's timeout expires. */
  signal: AbortSignal;
  /** Evidence dated more than this far ahead of `now` is an error (max_clock_skew_sec); default 30 s. */
  maxSkewMs?: number;
}

export interface CheckOutcome {
  status: HealthStatus;
  details: Details;
  /** The guide's root_cause for an issue raised from this outcome. */
  root_cause?: string;
  /** The evidence's own time (a file's mtime, a heartbeat timestamp), ms since the epoch. */
  evidence_ms?: number;
  /** When this outcome will change by the passage of time alone, ms since the epoch. */
  next_transition_ms?: number;
}

export type Checker<S> = (spec: S, ctx: CheckContext) => Promise<CheckOutcome>;
