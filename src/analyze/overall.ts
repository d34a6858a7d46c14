// Overall status: the worst subsystem, with each subsystem's say capped by its trading criticality.
import type { HealthStatus, HealthSummary, SubsystemHealth, TradingCriticality } from '../types';

const ORDER: HealthStatus[] = ['healthy', 'degraded', 'critical', 'failed'];

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
    // Unknown counts as degraded: when we cannot tell, we do not say healthy.
    const effective = ORDER.indexOf(s.status === 'unknown' ? 'degraded' : s.status);
    worst = Math.max(worst, Math.min(effective, ORDER.indexOf(CAP[s.criticality])));
  }
  return ORDER[worst];
}

export function summarize(health: SubsystemHealth[]): HealthSummary {
  const summary: HealthSummary = { healthy: 0, degraded: 0, critical: 0, failed: 0 };
  for (const h of health) if (h.status !== 'unknown') summary[h.status]++;
  return summary;
}
