// Overall status: the worst subsystem, with each subsystem's say capped by its trading criticality.
import {
  HEALTH_STATUSES,
  statusRank,
  type HealthStatus,
  type HealthSummary,
  type SubsystemHealth,
  type TradingCriticality,
} from '../types';

/** Our choice: a subsystem not critical for trading lifts the overall status at most to degraded,
 *  a partially critical one at most to critical; only a trading-critical one can make it failed. */
const CAP: Record<TradingCriticality, HealthStatus> = { no: 'degraded', partial: 'critical', yes: 'failed' };

export interface StatusInput {
  status: HealthStatus;
  criticality: TradingCriticality;
}

export function overallStatus(subsystems: StatusInput[]): HealthStatus {
  if (subsystems.length === 0) return 'unknown';
  let worst = 0;
  for (const s of subsystems) {
    // statusRank counts unknown as degraded.
    worst = Math.max(worst, Math.min(statusRank(s.status), statusRank(CAP[s.criticality])));
  }
  return HEALTH_STATUSES[worst];
}

export function summarize(health: SubsystemHealth[]): HealthSummary {
  const summary: HealthSummary = { healthy: 0, degraded: 0, critical: 0, failed: 0 };
  for (const h of health) if (h.status !== 'unknown') summary[h.status]++;
  return summary;
}
