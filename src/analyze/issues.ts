// The guide's detection rules: one issue per unhealthy subsystem, plus CPU and memory pressure.
import {
  SYSTEM_SUBSYSTEM,
  type DetectedIssue,
  type HealthStatus,
  type IssueSeverity,
  type ResourceUsage,
  type SubsystemHealth,
  type TradingCriticality,
} from '../types';

export interface IssueSubsystem {
  health: SubsystemHealth;
  criticality: TradingCriticality;
  dependents: string[];
  root_cause?: string;
}

/** CRITICAL → critical, FAILED → high (sic, the guide), DEGRADED → medium, else no issue. */
export function severityForStatus(status: HealthStatus): IssueSeverity | null {
  switch (status) {
    case 'critical':
      return 'critical';
    case 'failed':
      return 'high';
    case 'degraded':
      return 'medium';
    default:
      return null;
  }
}

/** Only trading-critical subsystems impact trading, and a degraded one never does. */
export function impactsTrading(criticality: TradingCriticality, severity: IssueSeverity): boolean {
  return criticality === 'yes' && severity !== 'medium';
}

/** `YYYYMMDD_HHMMSS` in UTC, as in the guide's issue ids. */
export function idStamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`;
}

const DESCRIPTION: Record<string, (s: string) => string> = {
  critical: (s) => `${s} is critical`,
  failed: (s) => `${s} has failed`,
  degraded: (s) => `${s} performance degraded`,
};

export function subsystemIssue(sub: IssueSubsystem, nowMs: number): DetectedIssue | null {
  const { health } = sub;
  const severity = severityForStatus(health.status);
  if (!severity) return null;
  const symptoms = [`Status: ${health.status}`];
  if (health.status !== 'degraded') symptoms.push(`Last error: ${health.timestamp}`);
  symptoms.push(`Details: ${JSON.stringify(health.details)}`);
  return {
    issue_id: `${health.subsystem}_${idStamp(nowMs)}`,
    subsystem: health.subsystem,
    severity,
    timestamp: new Date(nowMs).toISOString(),
    description: DESCRIPTION[health.status](health.subsystem),
    symptoms,
    root_cause: sub.root_cause ?? null,
    impacts_trading: impactsTrading(sub.criticality, severity),
    affects_subsystems: [...sub.dependents],
  };
}

export interface ResourceLimits {
  max_cpu_percent: number;
  max_memory_percent: number;
}

export function resourceIssues(r: ResourceUsage, limits: ResourceLimits, all: string[], nowMs: number): DetectedIssue[] {
  const out: DetectedIssue[] = [];
  const make = (kind: string, label: string, ratio: number, limit: number): DetectedIssue => ({
    issue_id: `${SYSTEM_SUBSYSTEM}_${kind}_${idStamp(nowMs)}`,
    subsystem: SYSTEM_SUBSYSTEM,
    severity: 'high',
    timestamp: new Date(nowMs).toISOString(),
    description: `${label} usage critically high: ${(ratio * 100).toFixed(1)}%`,
    symptoms: [`${label}: ${(ratio * 100).toFixed(1)}%`, `Threshold: ${limit}%`],
    root_cause: kind === 'cpu' ? 'CPU saturation' : 'Memory pressure',
    impacts_trading: true,
    affects_subsystems: [...all],
  });
  if (r.cpu_ratio !== null && r.cpu_ratio * 100 > limits.max_cpu_percent) {
    out.push(make('cpu', 'CPU', r.cpu_ratio, limits.max_cpu_percent));
  }
  if (r.memory_ratio !== null && r.memory_ratio * 100 > limits.max_memory_percent) {
    out.push(make('memory', 'Memory', r.memory_ratio, limits.max_memory_percent));
  }
  return out;
}
