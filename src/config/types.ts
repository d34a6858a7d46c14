// All configuration types live here (node_exporter style: one place for config).
import type { HealthStatus, RecoveryAction, TradingCriticality } from '../types';

export interface FileFreshnessSpec {
  type: 'file_freshness';
  path: string;
  degraded_after_sec: number;
  critical_after_sec: number;
  missing_status: HealthStatus;
  /** When set, the file is JSON and this field must be a non-empty array (data_feed's `symbols`). */
  nonempty_field?: string;
  empty_status: HealthStatus;
}

export interface JsonTimestampSpec {
  type: 'json_timestamp';
  path: string;
  field: string;
  degraded_after_sec: number;
  critical_after_sec: number;
  missing_status: HealthStatus;
}

export interface FileSetSpec {
  type: 'file_set';
  dir: string;
  files: string[];
  /** At least this many present → healthy. */
  healthy_min: number;
  /** At least this many present → degraded; fewer → critical. */
  degraded_min: number;
}

export interface FilePresenceSpec {
  type: 'file_presence';
  path: string;
  missing_status: HealthStatus;
}

export interface NewestFileSpec {
  type: 'newest_file';
  dir: string;
  pattern: string;
  degraded_after_sec: number;
  critical_after_sec: number;
  missing_status: HealthStatus;
}

export interface HttpSpec {
  type: 'http';
  url: string;
  method: string;
  expect_status: number[];
  degraded_latency_ms: number;
  down_status: HealthStatus;
}

export interface TcpSpec {
  type: 'tcp';
  host: string;
  port: number;
  degraded_latency_ms: number;
  down_status: HealthStatus;
}

export type CheckSpec =
  | FileFreshnessSpec
  | JsonTimestampSpec
  | FileSetSpec
  | FilePresenceSpec
  | NewestFileSpec
  | HttpSpec
  | TcpSpec;

export type CheckType = CheckSpec['type'];

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

export interface PolicyConfig {
  hold_down_sec: number;
  valid_for_sec: number;
  normal: PolicyLimits;
  safe_profile: PolicyLimits;
}

export interface ApiConfig {
  token: string | null;
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
}

export interface HandlerConfig {
  action: RecoveryAction;
  subsystem: string | null;
  exec: string[] | null;
  http: { url: string; method: string; headers: Record<string, string> } | null;
  timeout_sec: number;
}

export interface RecoveryConfig {
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
}

export interface DemoConfig {
  /** Run the built-in platform simulator inside `selfheal serve` (the bundled demo only). */
  enabled: boolean;
  interval_sec: number;
}

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
  subsystems: SubsystemConfig[];
}
