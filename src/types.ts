// The guide's vocabulary. Enum values are the lower-case strings the guide's JSON uses.

/** The guide's five health statuses, best first. */
export const HEALTH_STATUSES = ['healthy', 'degraded', 'critical', 'failed', 'unknown'] as const;
/** A subsystem's (or the platform's) health: one of HEALTH_STATUSES. */
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/**
 * The status a "worst of" decision counts: unknown counts as degraded (when we cannot tell, we do not
 * say healthy). The one place this is decided; ranks, the overall status and flap floors follow it.
 */
export function countedStatus(s: HealthStatus): Exclude<HealthStatus, 'unknown'> {
  return s === 'unknown' ? 'degraded' : s;
}

/** A status's rank for "worst of" decisions: its place in HEALTH_STATUSES, unknown ranking with degraded. */
export function statusRank(s: HealthStatus): number {
  return HEALTH_STATUSES.indexOf(countedStatus(s));
}

/** The worse of two statuses by rank; on a tie, the first (so unknown and degraded keep what they were). */
export function worseStatus(a: HealthStatus, b: HealthStatus): HealthStatus {
  return statusRank(b) > statusRank(a) ? b : a;
}

/** The guide's four issue severities, mildest first. */
export const ISSUE_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
/** How bad a detected issue is: one of ISSUE_SEVERITIES. */
export type IssueSeverity = (typeof ISSUE_SEVERITIES)[number];

/** The guide's ten recovery actions (what each means: `recommend/actions.ts`). */
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
/** A recovery action: one of RECOVERY_ACTIONS. */
export type RecoveryAction = (typeof RECOVERY_ACTIONS)[number];

/** Ordered from least to most protective; the index is the policy level. */
export const SAFETY_POLICIES = ['allow_all', 'safe_risk_profile', 'no_new_trades', 'defensive_exit', 'emergency_shutdown'] as const;
/** A safety policy: one of SAFETY_POLICIES; a higher level protects more. */
export type SafetyPolicy = (typeof SAFETY_POLICIES)[number];

/** Leverage and size limits for new and increased positions (config `policy.normal`, `policy.safe_profile`). */
export interface PolicyLimits {
  max_leverage: number | null;
  position_size_multiplier: number;
}

/** Which positions `close_positions: "high_risk"` (defensive_exit) asks the bot to close (config `policy.high_risk`). */
export interface HighRiskDefinition {
  /** A position levered above this is high risk (null: leverage alone never makes it so). */
  max_leverage: number | null;
  /** A position the bot tagged with any of these is high risk. */
  tags: string[];
}

/** The policies an operator override may impose: each stricter than allow_all (an override never loosens). */
export const OVERRIDE_POLICIES = SAFETY_POLICIES.filter((p) => p !== 'allow_all');

/** The policy's level: 0 (allow_all) to 4 (emergency_shutdown). */
export function policyLevel(p: SafetyPolicy): number {
  return SAFETY_POLICIES.indexOf(p);
}

/** The more protective of two policies (policies only ever combine this way: never loosen). */
export function stricterPolicy(a: SafetyPolicy, b: SafetyPolicy): SafetyPolicy {
  return policyLevel(a) >= policyLevel(b) ? a : b;
}

/** The guide's "Critical for Trading" column: ✅ yes, ⚠️ partially, ❌ no. */
export const TRADING_CRITICALITIES = ['yes', 'partial', 'no'] as const;
/** How critical a subsystem is for trading: one of TRADING_CRITICALITIES. */
export type TradingCriticality = (typeof TRADING_CRITICALITIES)[number];

/** The guide's thirteen subsystems, configured by default (`config/builtin.ts`). */
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
/** The name of one of the guide's thirteen subsystems. */
export type BuiltinSubsystem = (typeof BUILTIN_SUBSYSTEMS)[number];

/** Resource issues (CPU, memory) concern the host, not one subsystem. */
export const SYSTEM_SUBSYSTEM = 'system';

/** A check's evidence, as the guide's `details` object (free-form, JSON-serializable). */
export type Details = Record<string, unknown>;

/** DETECT: one subsystem's health at one check (the guide's SubsystemHealth). */
export interface SubsystemHealth {
  subsystem: string;
  status: HealthStatus;
  timestamp: string;
  response_time_ms: number;
  error_count: number;
  details: Details;
}

/** ANALYZE: a problem found in a subsystem's health (the guide's DetectedIssue). */
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

/** RECOMMEND: what to do about one issue, and whether it may run without a human (the guide's RecoveryRecommendation). */
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

/** How many subsystems are in each status (unknown is not counted). */
export interface HealthSummary {
  healthy: number;
  degraded: number;
  critical: number;
  failed: number;
}

/** The host's resource usage, as ratios (base units). */
export interface ResourceUsage {
  /** 0–1; null when it could not be measured. */
  cpu_ratio: number | null;
  memory_ratio: number | null;
  open_connections: number | null;
}

/** One full evaluation: every subsystem, the issues, the recommendations and the policy (the guide's report). */
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
