// Check types registered by name (blackbox_exporter's Probers map): the one list of check types.
// Config parsing, running, the monitor's file watches, the console and the demo all dispatch here.
import type { CheckContext, CheckModule, CheckOutcome, FaultEffect, WatchedPath } from './check';
import type { AgeThresholds } from './thresholds';
import { fileFreshness } from './checks/file_freshness';
import { filePresence } from './checks/file_presence';
import { fileSet } from './checks/file_set';
import { httpProbe } from './checks/http';
import { jsonTimestamp } from './checks/json_timestamp';
import { newestFile } from './checks/newest_file';
import { tcpProbe } from './checks/tcp';

/** Keeps every key equal to its module's type, so a spec's type always finds its own module. */
function keyedByType<M extends { [K in keyof M]: CheckModule<{ type: K & string }> }>(modules: M): M {
  return modules;
}

/** Every check type, in the order config errors list them. */
export const CHECK_MODULES = keyedByType({
  file_freshness: fileFreshness,
  json_timestamp: jsonTimestamp,
  file_set: fileSet,
  file_presence: filePresence,
  newest_file: newestFile,
  http: httpProbe,
  tcp: tcpProbe,
});

type Modules = typeof CHECK_MODULES;

/** The `check:` values a config accepts. */
export type CheckType = keyof Modules;

/** A parsed check of any registered type (a union discriminated by `type`). */
export type CheckSpec = { [T in CheckType]: ReturnType<Modules[T]['parse']> }[CheckType];

/** The registered check types, in registry order. */
export const CHECK_TYPES: readonly CheckType[] = Object.keys(CHECK_MODULES) as CheckType[];

/** The module of a spec's type (sound by keyedByType; TS cannot correlate the union by itself). */
function moduleOf(spec: CheckSpec): CheckModule<CheckSpec> {
  return CHECK_MODULES[spec.type] as CheckModule<CheckSpec>;
}

/** Runs a check of any registered type once. */
export function runChecker(spec: CheckSpec, ctx: CheckContext): Promise<CheckOutcome> {
  return moduleOf(spec).run(spec, ctx);
}

/** Where a check's evidence lives on disk (watched for changes), or null for a network check. */
export function watchedPath(spec: CheckSpec): WatchedPath | null {
  return moduleOf(spec).watches(spec);
}

/** The limits a check's evidence is judged against, for display. */
export function thresholdsOf(spec: CheckSpec): Record<string, number> {
  return moduleOf(spec).thresholds(spec);
}

/**
 * The age limits of a check whose evidence is a time (a file's mtime, a heartbeat), or null: a
 * reading that is no evidence then ages from the last valid one, exactly like evidence that stopped.
 */
export function ageLimitsOf(spec: CheckSpec): AgeThresholds | null {
  const t = moduleOf(spec).thresholds(spec);
  return t.degraded_after_sec !== undefined && t.critical_after_sec !== undefined
    ? { degraded_after_sec: t.degraded_after_sec, critical_after_sec: t.critical_after_sec }
    : null;
}

/** What the demo's fault breaks in a check's evidence and when the check sees it; null for network checks. */
export function faultEffect(spec: CheckSpec): FaultEffect | null {
  return moduleOf(spec).fault(spec);
}

/** The demo platform's step for one check: refresh its evidence, or withhold it while faulted. */
export function simulateCheck(spec: CheckSpec, faulted: boolean, now: number): void {
  moduleOf(spec).simulate(spec, faulted, now);
}
