// All configuration types live here (node_exporter style: one place for config).
import type { RecoveryAction, TradingCriticality } from '../types';

// Each check type's spec lives with its module; the union is derived from the registry.
import type { CheckSpec } from '../detect/registry';
export type { CheckSpec, CheckType } from '../detect/registry';
export type { FileFreshnessSpec } from '../detect/checks/file_freshness';
export type { FilePresenceSpec } from '../detect/checks/file_presence';
export type { FileSetSpec } from '../detect/checks/file_set';
export type { HttpSpec } from '../detect/checks/http';
export type { JsonTimestampSpec } from '../detect/checks/json_timestamp';
export type { NewestFileSpec } from '../detect/checks/newest_file';
export type { TcpSpec } from '../detect/checks/tcp';

/** One subsystem as configured: its check, how critical it is, who depends on it. */
export interface SubsystemConfig {
  name: string;
  enabled: boolean;
  criticality: TradingCriticality;
  /** Subsystems that depend on this one (the guide's affects_subsystems). */
  dependents: string[];
  timeout_sec: number;
  check: CheckSpec;
}

export interface PolicyLimits {
  max_leverage: number | null;
  position_size_multiplier: number;
}

/** Which positions `close_positions: "high_risk"` (defensive_exit) asks the bot to close. */
export interface HighRiskConfig {
  /** A position levered above this is high risk (null: leverage alone never makes it so). */
  max_leverage: number | null;
  /** A position the bot tagged with any of these is high risk. */
  tags: string[];
}

export interface PolicyConfig {
  hold_down_sec: number;
  valid_for_sec: number;
  normal: PolicyLimits;
  safe_profile: PolicyLimits;
  high_risk: HighRiskConfig;
}

export interface ApiConfig {
  token: string | null;
  /** Open HTTP connections at most (server.maxConnections); more are refused. */
  max_connections: number;
  /** Open /policy/stream subscribers at most, below max_connections; more are refused 503. */
  max_streams: number;
  /** Open /policy/stream subscribers per client address at most; more are refused 503. */
  max_streams_per_client: number;
}

export interface BasicAuth {
  username: string;
  password: string;
}

export interface ReceiverConfig {
  enabled: boolean;
  bearer_token: string | null;
  basic_auth: BasicAuth | null;
  max_body_bytes: number;
  /** A request (headers and body) not received in this time is answered 408 and closed. */
  body_timeout_sec: number;
}

export interface HandlerConfig {
  action: RecoveryAction;
  subsystem: string | null;
  exec: string[] | null;
  http: { url: string; method: string; headers: Record<string, string> } | null;
  timeout_sec: number;
  /** Environment variables passed on to an exec handler beyond PATH, HOME, LANG, TZ and SELFHEAL_* of the action. */
  env?: string[];
}

export interface RecoveryConfig {
  /** `selfheal serve` runs the guide's auto-executable recommendations itself (false: only Alertmanager's). */
  local: boolean;
  dry_run: boolean;
  dry_run_actions: RecoveryAction[];
  journal_path: string;
  /** normal: survives a killed process; full: also a power loss (an fsync per webhook request). */
  journal_synchronous: 'normal' | 'full';
  cooldown_sec: number;
  settle_sec: number;
  approval_ttl_sec: number;
  backoff_initial_sec: number;
  backoff_max_sec: number;
  backoff_reset_sec: number;
  breaker_max_executions: number;
  breaker_window_sec: number;
  lift_on_resolve: boolean;
  require_approval: RecoveryAction[];
  handlers: HandlerConfig[];
  /** Handlers running at once, over all subsystems; floors never wait for a slot. */
  max_concurrent_handlers: number;
  /** Terminal records of resolved alerts older than this are compacted away. */
  retention_days: number;
}

export interface DemoConfig {
  /** Run the built-in platform simulator inside `selfheal serve` (the bundled demo only). */
  enabled: boolean;
  interval_sec: number;
}

export interface ConsoleConfig {
  /** Base URL of Grafana; when set, the console links to the selfheal dashboards there. */
  grafana_url: string | null;
}

/** The whole validated configuration (`selfheal.yml` after `loadConfigFile`/`parseConfig`). */
export interface Config {
  data_dir: string;
  log_dir: string;
  models_dir: string;
  database_path: string;
  check_interval: number;
  critical_check_interval: number;
  max_consecutive_failures: number;
  max_error_rate: number;
  error_rate_window: number;
  stale_data_threshold_sec: number;
  max_cpu_percent: number;
  max_memory_percent: number;
  auto_restart_enabled: boolean;
  auto_pause_on_critical: boolean;
  check_timeout_sec: number;
  /** Evidence dated more than this far in the future is an error, not fresh evidence. */
  max_clock_skew_sec: number;
  report_path: string;
  host: string;
  port: number;
  /** Prometheus's `instance` label for this exporter; set, the receiver acts only on alerts naming it (fleet mode). */
  instance: string | null;
  api: ApiConfig;
  policy: PolicyConfig;
  receiver: ReceiverConfig;
  recovery: RecoveryConfig;
  demo: DemoConfig;
  console: ConsoleConfig;
  subsystems: SubsystemConfig[];
}
