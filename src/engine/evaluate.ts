// EVALUATE: each subsystem's latest check result → ANALYZE → RECOMMEND, the guide's report. The one
// step after DETECT that the one-shot cycle (engine/cycle.ts) and the running monitor
// (engine/monitor.ts) share; how they detect (retries at once vs. history over cycles) differs.
import type { Config, SubsystemConfig } from '../config/types';
import type { SubsystemResult } from '../detect/run';
import type { HealthReport, ResourceUsage } from '../types';
import { reportSteps, type Observed } from './report';
import type { Steps } from '../util/slices';

/** A subsystem's latest result as it should be evaluated, or undefined when it has none yet. */
export type LatestResult = (sub: SubsystemConfig) => SubsystemResult | undefined;

/**
 * The report from the latest result of each of `subsystems` (in that order; ones without a result
 * are left out), pausable after each subsystem so the service can run it in slices.
 */
export function* evaluateSteps(
  config: Config,
  subsystems: readonly SubsystemConfig[],
  latest: LatestResult,
  resources: ResourceUsage,
  nowMs: number,
): Steps<HealthReport> {
  const observed: Observed[] = [];
  for (const sub of subsystems) {
    const r = latest(sub);
    if (r) observed.push({ sub, health: r.health, root_cause: r.outcome.root_cause });
    yield;
  }
  return yield* reportSteps(config, observed, resources, nowMs);
}
