// One full DETECT → ANALYZE → RECOMMEND cycle, one-shot (`selfheal check`).
import type { Config } from '../config/types';
import type { ResourceProbe } from '../detect/resources';
import { mapLimit } from '../util/limit';
import { handlerTarget, probeHandler, specOf } from '../handlers/registry';
import { CHECK_CONCURRENCY, checkWithRetries, type Clock, type SubsystemResult } from '../detect/run';
import type { HealthReport, ResourceUsage } from '../types';
import { evaluateSteps } from './evaluate';
import { runToEnd } from '../util/slices';

export interface CycleDeps {
  clock: Clock;
  resources: ResourceProbe;
}

export interface CycleResult {
  report: HealthReport;
  results: Map<string, SubsystemResult>;
}

/** Pause between one-shot retries: long enough for a writer to finish a write, short for a CLI. */
const ONE_SHOT_RETRY_MS = 150;

const UNMEASURED: ResourceUsage = { cpu_ratio: null, memory_ratio: null, open_connections: null };

async function detectAll(config: Config, deps: CycleDeps): Promise<{ results: Map<string, SubsystemResult>; resources: ResourceUsage }> {
  const enabled = config.subsystems.filter((s) => s.enabled);
  // One-shot: an errored check is retried at once (a torn read is not a failure); one that keeps
  // erroring max_consecutive_failures times is no evidence: unknown, never failed.
  const opts = { attempts: config.max_consecutive_failures, pauseMs: ONE_SHOT_RETRY_MS, maxSkewMs: config.max_clock_skew_sec * 1000 };
  const [resources, results] = await Promise.all([
    deps.resources().catch(() => UNMEASURED),
    mapLimit(enabled, CHECK_CONCURRENCY, (s) => checkWithRetries(s, deps.clock, opts)),
  ]);
  return { results: new Map(results.map((r) => [r.health.subsystem, r])), resources };
}

/** One DETECT → ANALYZE → RECOMMEND pass over every enabled subsystem (what `selfheal check` runs). */
export async function runCycle(config: Config, deps: CycleDeps): Promise<CycleResult> {
  const { results, resources } = await detectAll(config, deps);
  const enabled = config.subsystems.filter((s) => s.enabled);
  const report = runToEnd(evaluateSteps(config, enabled, (sub) => results.get(sub.name), resources, deps.clock()));
  return { report, results };
}

/** One configured recovery handler as `selfheal check` found it. */
export interface HandlerProbe {
  action: string;
  subsystem: string | null;
  kind: string;
  target: string;
  /** Why the target cannot be used (unknown container or unit, no socket, permission denied), or null. */
  problem: string | null;
}

/**
 * Looks for every handler's target without acting on it (a Docker inspect, a systemd LoadUnit),
 * so a misconfigured handler is found before an incident needs it.
 */
export async function probeHandlers(config: Config): Promise<HandlerProbe[]> {
  return mapLimit(config.recovery.handlers, CHECK_CONCURRENCY, async (h) => {
    const spec = specOf(h);
    return {
      action: h.action,
      subsystem: h.subsystem,
      kind: spec.kind,
      target: handlerTarget(spec),
      problem: await probeHandler(spec, Math.min(h.timeout_sec, config.check_timeout_sec)).catch((err: Error) => err.message),
    };
  });
}

/** One line per handler for `selfheal check` (stderr: stdout stays the monitoring plugin's). */
export function formatHandlerProbe(p: HandlerProbe): string {
  const which = `${p.action} for ${p.subsystem ?? 'any subsystem'}`;
  return p.problem === null
    ? `handler ${which}: ${p.kind} ${p.target}: ok\n`
    : `handler ${which}: ${p.kind}: CANNOT BE USED: ${p.problem}\n`;
}
