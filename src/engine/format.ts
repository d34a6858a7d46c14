// Human output of `selfheal check`, shaped like the guide's standalone test.
import type { Config } from '../config/types';
import type { HealthReport, HealthStatus } from '../types';

const RULE = '='.repeat(60);

export function formatReport(report: HealthReport, config: Config): string {
  const lines: string[] = [statusLine(report)];
  lines.push(RULE, 'SELF-HEALING SYSTEM - Health Check', RULE, '');
  lines.push(`  Data dir: ${config.data_dir}`, `  Check interval: ${config.check_interval}s`);
  lines.push(`  Auto-restart: ${config.auto_restart_enabled}`, `  Auto-pause: ${config.auto_pause_on_critical}`, '');
  lines.push(`  Overall status: ${report.overall_status}`);
  lines.push(`  Safety policy: ${report.current_safety_policy}`);
  lines.push(`  Trading should continue: ${report.trading_should_continue}`);
  lines.push(`  Requires immediate action: ${report.requires_immediate_action}`, '');
  lines.push('  Subsystem summary:');
  const s = report.summary;
  const unknown = Object.values(report.subsystem_health).filter((h) => h.status === 'unknown').length;
  lines.push(`    Healthy: ${s.healthy}`, `    Degraded: ${s.degraded}`, `    Critical: ${s.critical}`, `    Failed: ${s.failed}`);
  lines.push(`    Unknown: ${unknown}`, '');
  lines.push('  Subsystems:');
  for (const h of Object.values(report.subsystem_health)) {
    const why = (h.details.error ?? h.details.warning) as string | undefined;
    lines.push(`    ${h.subsystem.padEnd(24)} ${h.status.padEnd(9)}${why ? ` ${why}` : ''}`);
  }
  lines.push('', `  Detected issues (${report.detected_issues.length}):`);
  for (const i of report.detected_issues) lines.push(`    [${i.severity}] ${i.description}`);
  lines.push('', `  Recovery recommendations (${report.recovery_recommendations.length}):`);
  for (const r of report.recovery_recommendations) {
    lines.push(`    [P${r.priority}] ${r.description}`, `         Auto-execute: ${r.can_auto_execute ? 'True' : 'False'}`);
  }
  lines.push('', RULE);
  return lines.join('\n') + '\n';
}

const PLUGIN_STATE = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];

/**
 * Line 1 of `selfheal check` (the monitoring-plugin convention: Nagios and Icinga show it):
 * `SELFHEAL CRITICAL - overall critical, policy defensive_exit, 2 critical | healthy=9 degraded=1 ...`.
 */
function statusLine(report: HealthReport): string {
  const counts: Record<HealthStatus, number> = { healthy: 0, degraded: 0, critical: 0, failed: 0, unknown: 0 };
  for (const h of Object.values(report.subsystem_health)) counts[h.status]++;
  const bad = (['failed', 'critical', 'degraded', 'unknown'] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  const text = [`overall ${report.overall_status}`, `policy ${report.current_safety_policy}`, ...bad].join(', ');
  const perf = [...Object.entries(counts).map(([k, v]) => `${k}=${v}`), `issues=${report.detected_issues.length}`];
  return `SELFHEAL ${PLUGIN_STATE[exitCodeFor(report.overall_status)]} - ${text} | ${perf.join(' ')}`;
}

/** Monitoring-plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
export function exitCodeFor(status: HealthStatus): number {
  switch (status) {
    case 'healthy':
      return 0;
    case 'degraded':
      return 1;
    case 'critical':
    case 'failed':
      return 2;
    default:
      return 3;
  }
}
