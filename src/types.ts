// The guide's vocabulary. Enum values are the lower-case strings the guide's JSON uses.

export const HEALTH_STATUSES = ['healthy', 'degraded', 'critical', 'failed', 'unknown'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export const ISSUE_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type IssueSeverity = (typeof ISSUE_SEVERITIES)[number];

export const RECOVERY_ACTIONS = [
  'restart_subsystem',
  'pause_trading',
  'switch_to_safe_profile',
  'disable_module',
  'fallback_to_backup',
  'close_all_positions',
  'no_new_trades',
  'defensive_exit',
  'reload_config',
  'clear_cache',
] as const;
export type RecoveryAction = (typeof RECOVERY_ACTIONS)[number];

/** Ordered from least to most protective; the index is the policy level. */
export const SAFETY_POLICIES = [
  'allow_all',
  'safe_risk_profile',
  'no_new_trades',
  'defensive_exit',
  'emergency_shutdown',
] as const;
export type SafetyPolicy = (typeof SAFETY_POLICIES)[number];

export function policyLevel(p: SafetyPolicy): number {
  return SAFETY_POLICIES.indexOf(p);
}

export function stricterPolicy(a: SafetyPolicy, b: SafetyPolicy): SafetyPolicy {
  return policyLevel(a) >= policyLevel(b) ? a : b;
}

/** The guide's "Critical for Trading" column: ✅ yes, ⚠️ partially, ❌ no. */
export const TRADING_CRITICALITIES = ['yes', 'partial', 'no'] as const;
export type TradingCriticality = (typeof TRADING_CRITICALITIES)[number];

export const BUILTIN_SUBSYSTEMS = [
  'data_feed',
  'exchange_connection',
  'ai_model',
  'event_executor',
  'orchestrator',
  'portfolio_balancer',
  'model_supervisor',
  'retraining_orchestrator',
  'position_monitor',
  'risk_guard',
  'database',
  'universe_os',
  'logging',
] as const;
export type BuiltinSubsystem = (typeof BUILTIN_SUBSYSTEMS)[number];

/** Resource issues (CPU, memory) concern the host, not one subsystem. */
export const SYSTEM_SUBSYSTEM = 'system';

export type Details = Record<string, unknown>;

export interface SubsystemHealth {
  subsystem: string;
  status: HealthStatus;
  timestamp: string;
  response_time_ms: number;
  error_count: number;
  details: Details;
}

export interface DetectedIssue {
  issue_id: string;
  subsystem: string;
  severity: IssueSeverity;
  timestamp: string;
  description: string;
  symptoms: string[];
  root_cause: string | null;
  impacts_trading: boolean;
  affects_subsystems: string[];
}

export interface RecoveryRecommendation {
  recommendation_id: string;
  issue: DetectedIssue;
  action: RecoveryAction;
  priority: number;
  description: string;
  expected_result: string;
  risks: string[];
  can_auto_execute: boolean;
  requires_approval: boolean;
}

export interface HealthSummary {
  healthy: number;
  degraded: number;
  critical: number;
  failed: number;
}

export interface ResourceUsage {
  /** 0–1; null when it could not be measured. */
  cpu_ratio: number | null;
  memory_ratio: number | null;
  open_connections: number | null;
}

export interface HealthReport {
  timestamp: string;
  overall_status: HealthStatus;
  current_safety_policy: SafetyPolicy;
  subsystem_health: Record<string, SubsystemHealth>;
  detected_issues: DetectedIssue[];
  recovery_recommendations: RecoveryRecommendation[];
  trading_should_continue: boolean;
  requires_immediate_action: boolean;
  summary: HealthSummary;
  resources: ResourceUsage;
}
