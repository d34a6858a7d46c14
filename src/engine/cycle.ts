// One full DETECT → ANALYZE → RECOMMEND cycle.
import type { Config } from '../config/types';
import type { ResourceProbe } from '../detect/resources';
import { checkMany, type Clock, type SubsystemResult } from '../detect/run';
import type { HealthReport, ResourceUsage } from '../types';
import { buildReport } from './report';

export interface CycleDeps {
  clock: Clock;
  resources: ResourceProbe;
}

export interface CycleResult {
  report: HealthReport;
  results: Map<string, SubsystemResult>;
}

const UNMEASURED: ResourceUsage = { cpu_ratio: null, memory_ratio: null, open_connections: null };

export async function detectAll(config: Config, deps: CycleDeps): Promise<{ results: Map<string, SubsystemResult>; resources: ResourceUsage }> {
  const enabled = config.subsystems.filter((s) => s.enabled);
  const [resources, results] = await Promise.all([deps.resources().catch(() => UNMEASURED), checkMany(enabled, deps.clock)]);
  return { results: new Map(results.map((r) => [r.health.subsystem, r])), resources };
}

export async function runCycle(config: Config, deps: CycleDeps): Promise<CycleResult> {
  const { results, resources } = await detectAll(config, deps);
  const observed = config.subsystems
    .filter((s) => s.enabled)
    .map((sub) => {
      const r = results.get(sub.name)!;
      return { sub, health: r.health, root_cause: r.outcome.root_cause };
    });
  return { report: buildReport(config, observed, resources, deps.clock()), results };
}
