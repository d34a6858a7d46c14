// Flapping: a subsystem that keeps going unhealthy and coming back — its restarts keep succeeding
// but keep being needed (Nagios's flap detection, Kubernetes's CrashLoopBackOff). Pure: the monitor
// feeds it each evaluation and holds a protective floor while it flaps, so the policy does not swing
// with each flap; only verified failed restarts ever escalate it.
import { worseStatus, type HealthStatus } from '../types';

/** `flapping:` in the config. */
export interface FlapLimits {
  /** Unhealthy episodes within window_sec that make a subsystem flapping. */
  episodes: number;
  window_sec: number;
  /** Healthy this long, without a break, ends flapping. */
  stable_sec: number;
}

/** A subsystem's recent episodes and whether it is flapping. */
export interface Flaps {
  /** Starts of unhealthy episodes (ms) within the window, oldest first. */
  readonly starts: readonly number[];
  /** The worst status seen in those episodes: what the floor protects against. */
  readonly worst: HealthStatus;
  /** Since when it is flapping (ms), or null. */
  readonly since: number | null;
}

export const NO_FLAPS: Flaps = { starts: [], worst: 'healthy', since: null };

/** One evaluation of a subsystem, as flap detection sees it. */
export interface FlapObservation {
  now: number;
  /** Its checked status (before escalation). */
  status: HealthStatus;
  /** An unhealthy episode began at this evaluation. */
  episodeStarted: boolean;
  /** Since when it has been healthy without a break (ms), or null while unhealthy. */
  healthySince: number | null;
}

/** The flap state after one more evaluation. Returns `f` itself when nothing changed (the steady state). */
export function nextFlaps(f: Flaps, o: FlapObservation, l: FlapLimits): Flaps {
  const healthy = o.status === 'healthy';
  if (f.since !== null && healthy && o.healthySince !== null && o.now - o.healthySince >= l.stable_sec * 1000) return NO_FLAPS;
  const from = o.now - l.window_sec * 1000;
  let starts = f.starts[0] !== undefined && f.starts[0] < from ? f.starts.filter((t) => t >= from) : f.starts;
  if (o.episodeStarted) starts = [...starts, o.now];
  // The worst status is remembered while episodes are in the window (or while flapping).
  const worst = healthy ? (starts.length || f.since !== null ? f.worst : 'healthy') : worseStatus(f.worst, o.status);
  const since = f.since ?? (starts.length >= l.episodes ? o.now : null);
  if (starts === f.starts && worst === f.worst && since === f.since) return f;
  return { starts, worst, since };
}

/** Why a flapping subsystem's floor holds, in words an operator can act on. */
export function flapReason(name: string, f: Flaps, l: FlapLimits): string {
  return `${name} flapping since ${new Date(f.since ?? 0).toISOString()}: ${f.starts.length} unhealthy episodes within ${l.window_sec}s (worst ${f.worst}); held until healthy for ${l.stable_sec}s`;
}
