import type { Keys } from '../schema/keys';
import type { Section } from '../schema/reader';
import type { Details, HealthStatus } from '../types';

export interface CheckContext {
  /** Wall-clock "now" in ms since the epoch; injected so tests control time. */
  now: number;
  /** Aborted when the check's timeout expires. */
  signal: AbortSignal;
  /** Evidence dated more than this far ahead of `now` is an error (max_clock_skew_sec); default 30 s. */
  maxSkewMs?: number;
}

/**
 * Why a reading is no evidence: a torn or unparsable file, a date the parser cannot read, one dated
 * beyond max_clock_skew_sec, a file too large to read, a read that failed, or a check that timed out.
 * Bounded: the `reason` label of selfheal_evidence_invalid_total.
 */
export const INVALID_REASONS = ['torn', 'bad_date', 'future', 'oversize', 'unreadable', 'timeout'] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

/** A reading that is no evidence about the subsystem, thrown by a check with its reason. */
export class EvidenceError extends Error {
  constructor(
    readonly reason: InvalidReason,
    message: string,
  ) {
    super(message);
  }
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

/** What the demo's fault does to a check's evidence, for `selfheal demo fault` to say (and nothing else). */
export interface FaultEffect {
  /** What is broken, as a clause: "event_executor_state.json's last_cycle_timestamp stops advancing". */
  broken: string;
  /** The statuses the check reaches, in order, and how long after the fault (0: at its next check). */
  onset: { status: HealthStatus; after_sec: number }[];
}

/** A directory to watch for a check's evidence, and the one file in it (null: any file in it). */
export interface WatchedPath {
  dir: string;
  file: string | null;
}

/**
 * Everything about one check type in one object (blackbox_exporter's prober with its own config
 * struct): the registry's map of these is the only list of check types; config parsing, the monitor's
 * file watches, the console and the demo simulator all dispatch through it.
 *
 * Methods, not function properties: the registry calls a module through its spec's union type, which
 * needs the (bivariant) method parameters.
 */
export interface CheckModule<S extends { type: string }> {
  /** The `check:` value in the config, and the spec's discriminant. */
  readonly type: S['type'];
  /** This type's config keys, declared once: parse reads through them; the docs and the JSON Schema list them. */
  readonly keys: Keys;
  /** Reads this type's keys (defaults, validation) from a subsystem's section; paths resolve against data_dir. */
  parse(section: Section, dataDir: string): S;
  /** Runs the check once. */
  run(spec: S, ctx: CheckContext): Promise<CheckOutcome>;
  /** Where the evidence lives on disk, so a change re-checks at once; null for network checks. */
  watches(spec: S): WatchedPath | null;
  /** The limits the console shows next to the evidence. */
  thresholds(spec: S): Record<string, number>;
  /** The demo platform: refreshes the evidence, or withholds (breaks) it while faulted. */
  simulate(spec: S, faulted: boolean, now: number): void;
  /** What `simulate` breaks while faulted, and when the check sees it; null when the demo cannot break it (network checks). */
  fault(spec: S): FaultEffect | null;
}
