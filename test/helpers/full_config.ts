// A selfheal.yml that sets every key (every optional section, both handler kinds, a subsystem of every
// check type): what the schema, the docs and the reload classes are walked against.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The config as a YAML file would hold it, rooted in `root` (secret files written there). */
export function fullRawConfig(root: string): Record<string, unknown> {
  writeFileSync(join(root, 'op.token'), 'op-from-file\n');
  return {
    data_dir: join(root, 'data'),
    log_dir: join(root, 'logs'),
    models_dir: join(root, 'models'),
    database_path: join(root, 'db', 'quantum_trader.db'),
    check_interval: 30,
    critical_check_interval: 5,
    max_consecutive_failures: 3,
    max_error_rate: 0.2,
    error_rate_window: 20,
    stale_data_threshold_sec: 300,
    max_cpu_percent: 100,
    max_memory_percent: 100,
    auto_restart_enabled: true,
    auto_pause_on_critical: true,
    check_timeout_sec: 5,
    max_clock_skew_sec: 30,
    report_path: 'report.json',
    host: '127.0.0.1',
    port: 8477,
    instance: 'trader-1:8477',
    api: { token_file: join(root, 'op.token'), max_connections: 64, allowed_hosts: ['selfheal.internal'] },
    policy: {
      hold_down_sec: 0,
      valid_for_sec: 30,
      normal: { max_leverage: 10, position_size_multiplier: 1 },
      safe_profile: { max_leverage: 5, position_size_multiplier: 0.5 },
      high_risk: { max_leverage: 5, tags: ['high_risk', 'meme'] },
    },
    receiver: {
      enabled: true,
      bearer_token: 'hook',
      basic_auth: { username: 'alertmanager', password: 'pw' },
      max_body_bytes: 1048576,
      body_timeout_sec: 10,
    },
    recovery: {
      local: true,
      dry_run: false,
      dry_run_actions: ['clear_cache'],
      journal_path: 'journal.db',
      journal_synchronous: 'normal',
      cooldown_sec: 300,
      settle_sec: 30,
      approval_ttl_sec: 3600,
      backoff_initial_sec: 10,
      backoff_max_sec: 300,
      backoff_reset_sec: 600,
      breaker_max_executions: 5,
      breaker_window_sec: 3600,
      lift_on_resolve: true,
      require_approval: ['defensive_exit', 'close_all_positions'],
      handlers: [
        { action: 'restart_subsystem', subsystem: 'event_executor', exec: ['/bin/true', '--graceful'], timeout_sec: 5, env: ['TZ'] },
        { action: 'pause_trading', http: { url: 'http://127.0.0.1:9/pause', method: 'POST', headers: { 'X-Desk': 'a' } }, timeout_sec: 5 },
        {
          action: 'restart_subsystem',
          subsystem: 'orchestrator',
          docker: { container: 'orch', socket: '/run/d.sock', stop_timeout_sec: 5, op: 'restart' },
          timeout_sec: 20,
        },
        {
          action: 'restart_subsystem',
          subsystem: 'risk_guard',
          systemd: { unit: 'risk.service', bus: 'system', address: 'unix:path=/run/dbus/system_bus_socket', op: 'restart' },
          timeout_sec: 20,
        },
      ],
      max_concurrent_handlers: 4,
      retention_days: 30,
    },
    demo: { enabled: false, interval_sec: 1 },
    console: { grafana_url: 'http://grafana.internal:3000' },
    subsystems: {
      data_feed: { critical_after_sec: 1800, max_evidence_bytes: 1024 },
      logging: { critical_for_trading: 'no', timeout_sec: 2, dependents: [] },
      web: {
        check: 'http',
        url: 'http://127.0.0.1:9/health',
        method: 'GET',
        expect_status: [200, 204],
        degraded_latency_ms: 500,
        down_status: 'critical',
        critical_for_trading: 'partial',
        dependents: ['orchestrator'],
      },
      port: { check: 'tcp', host: '127.0.0.1', port: 9, degraded_latency_ms: 500, down_status: 'degraded' },
    },
  };
}
