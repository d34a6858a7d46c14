// The promtool unit tests of the rules pack, as a table: per case, the input series and, at each
// evaluation time, which alerts fire with which series labels (and the value their annotations show).
// The rest of each expected alert (its labels, summary, description, runbook link) is read from the
// rule itself by promtool_tests.ts, so a description changes in one place. The series sit just past
// DEFAULT_RULES_CONFIG's thresholds and `for:` durations: every alert firing just past its threshold and
// silent at or below it, pending before `for:` elapses, instances kept apart, resolved when clear.

/** An alert expected to fire: the labels its series bring to it, and the `$value` its annotations show. */
export interface Firing {
  labels: Record<string, string>;
  value?: number;
}

/** At `at`, alert `alert` fires for exactly `firing` (none: silent, or still pending). */
export interface AlertCheck {
  at: string;
  alert: string;
  firing: Firing[];
}

/** A recording rule's samples at `at`. */
export interface SampleCheck {
  expr: string;
  at: string;
  samples: { labels: string; value: number }[];
}

/** One promtool test: its series, and what the rules make of them. */
export interface PromtoolCase {
  /** The comment above the case. */
  title?: string;
  /** Comments above its series. */
  notes?: string[];
  series: { series: string; values: string }[];
  samples?: SampleCheck[];
  alerts: AlertCheck[];
}

/** selfheal's job on instance `instance`, with the series' other labels; `value` is what `$value` shows. */
const on = (instance: string, labels: Record<string, string> = {}, value?: number): Firing => ({
  labels: { job: 'selfheal', instance, ...labels },
  value,
});
const silent = (at: string, alert: string): AlertCheck => ({ at, alert, firing: [] });
const fires = (at: string, alert: string, ...firing: Firing[]): AlertCheck => ({ at, alert, firing });
const s = (series: string, values: string) => ({ series, values });

const CPU: PromtoolCase = {
  title: 'CPU: critical > 0.95 for 5m, warning > 0.90 for 5m',
  series: [
    s('selfheal_cpu_usage_ratio{job="selfheal",instance="a"}', '0.951x7 0.5x5'),
    s('selfheal_cpu_usage_ratio{job="selfheal",instance="b"}', '0.95x12'),
    s('selfheal_cpu_usage_ratio{job="selfheal",instance="c"}', '0.901x12'),
    s('selfheal_cpu_usage_ratio{job="selfheal",instance="d"}', '0.90x12'),
  ],
  alerts: [
    silent('4m', 'SelfHealCPUCritical'),
    fires('5m', 'SelfHealCPUCritical', on('a', {}, 0.951)),
    fires('5m', 'SelfHealCPUHigh', on('a', {}, 0.951), on('b', {}, 0.95), on('c', {}, 0.901)),
    silent('9m', 'SelfHealCPUCritical'),
  ],
};

const MEMORY: PromtoolCase = {
  title: 'Memory: critical > 0.90 for 5m, warning > 0.85 for 5m',
  series: [
    s('selfheal_memory_usage_ratio{job="selfheal",instance="a"}', '0.901x7 0.2x5'),
    s('selfheal_memory_usage_ratio{job="selfheal",instance="b"}', '0.90x12'),
    s('selfheal_memory_usage_ratio{job="selfheal",instance="c"}', '0.851x12'),
    s('selfheal_memory_usage_ratio{job="selfheal",instance="d"}', '0.85x12'),
  ],
  alerts: [
    silent('4m', 'SelfHealMemoryCritical'),
    fires('5m', 'SelfHealMemoryCritical', on('a', {}, 0.901)),
    fires('5m', 'SelfHealMemoryHigh', on('a', {}, 0.901), on('b', {}, 0.9), on('c', {}, 0.851)),
    silent('9m', 'SelfHealMemoryCritical'),
  ],
};

const OVERALL: PromtoolCase = {
  title: 'Overall status: failed (critical, 1m), critical (warning, 2m), degraded (info, 5m)',
  notes: ['Present only while the overall status is that problem: gone (a stale marker) when it clears.'],
  series: [
    s('selfheal_overall_problem{job="selfheal",instance="a",status="failed"}', '1 1 1 1 stale'),
    s('selfheal_overall_problem{job="selfheal",instance="b",status="critical"}', '1x6'),
    s('selfheal_overall_problem{job="selfheal",instance="c",status="degraded"}', '1x6'),
  ],
  alerts: [
    silent('0m', 'SelfHealOverallFailed'),
    fires('1m', 'SelfHealOverallFailed', on('a', { status: 'failed' })),
    silent('5m', 'SelfHealOverallFailed'),
    silent('1m', 'SelfHealOverallCritical'),
    fires('2m', 'SelfHealOverallCritical', on('b', { status: 'critical' })),
    silent('4m', 'SelfHealOverallDegraded'),
    fires('5m', 'SelfHealOverallDegraded', on('c', { status: 'degraded' })),
  ],
};

const POLICY: PromtoolCase = {
  title: 'Safety policy: emergency_shutdown (critical), defensive_exit (warning), changes (info)',
  notes: ['The served policy while it is not allow_all: a latched shutdown on a, reset at 2m (allow_all: absent).'],
  series: [
    s('selfheal_safety_policy_restricted{job="selfheal",instance="a",policy="emergency_shutdown"}', '1 1 stale'),
    s('selfheal_safety_policy_restricted{job="selfheal",instance="b",policy="defensive_exit"}', '1 1 1'),
    s('selfheal_safety_policy_restricted{job="selfheal",instance="c",policy="no_new_trades"}', '1 1 1'),
    s('selfheal_policy_changes_total{job="selfheal",instance="a"}', '0 0 1 1 1 1 1 1 1 1 1'),
    s('selfheal_policy_changes_total{job="selfheal",instance="b"}', '0x10'),
  ],
  alerts: [
    fires('0m', 'SelfHealEmergencyShutdown', on('a', { policy: 'emergency_shutdown' })),
    silent('2m', 'SelfHealEmergencyShutdown'),
    fires('0m', 'SelfHealDefensiveExit', on('b', { policy: 'defensive_exit' })),
    silent('1m', 'SelfHealSafetyPolicyChanged'),
    fires('3m', 'SelfHealSafetyPolicyChanged', on('a', {}, 1)),
    silent('9m', 'SelfHealSafetyPolicyChanged'),
  ],
};

const sub = (subsystem: string, status: string) => ({ subsystem, status });

const SUBSYSTEMS: PromtoolCase = {
  title: 'Subsystems: critical / failed (warning, 1m), degraded (info, 5m), 3+ critical (critical)',
  notes: ['Present only while the subsystem is in that status: gone (a stale marker) when it leaves it.'],
  series: [
    s('selfheal_subsystem_problem{job="selfheal",instance="a",subsystem="data_feed",status="critical"}', '_ 1 1 1 stale'),
    s('selfheal_subsystem_problem{job="selfheal",instance="b",subsystem="ai_model",status="critical"}', '1x5'),
    s('selfheal_subsystem_problem{job="selfheal",instance="b",subsystem="event_executor",status="failed"}', '1x5'),
    s('selfheal_subsystem_problem{job="selfheal",instance="b",subsystem="logging",status="degraded"}', '1x5'),
  ],
  alerts: [
    fires('1m', 'SelfHealSubsystemCritical', on('b', sub('ai_model', 'critical'))),
    fires('2m', 'SelfHealSubsystemCritical', on('a', sub('data_feed', 'critical')), on('b', sub('ai_model', 'critical'))),
    fires('4m', 'SelfHealSubsystemCritical', on('b', sub('ai_model', 'critical'))),
    silent('0m', 'SelfHealSubsystemFailed'),
    fires('1m', 'SelfHealSubsystemFailed', on('b', sub('event_executor', 'failed'))),
    silent('4m', 'SelfHealSubsystemDegraded'),
    fires('5m', 'SelfHealSubsystemDegraded', on('b', sub('logging', 'degraded'))),
  ],
};

const MANY_CRITICAL: PromtoolCase = {
  notes: [
    'c: three critical subsystems (then two). d and e: two each — four in all, but never on one instance.',
    "c's risk_management recovers at 2m; e's ai_model is degraded, not critical.",
  ],
  series: [
    s('selfheal_subsystem_problem{job="selfheal",instance="c",subsystem="data_feed",status="critical"}', '1x4'),
    s('selfheal_subsystem_problem{job="selfheal",instance="c",subsystem="ai_model",status="critical"}', '1x4'),
    s('selfheal_subsystem_problem{job="selfheal",instance="c",subsystem="risk_management",status="critical"}', '1 1 stale'),
    s('selfheal_subsystem_problem{job="selfheal",instance="d",subsystem="data_feed",status="critical"}', '1x4'),
    s('selfheal_subsystem_problem{job="selfheal",instance="d",subsystem="ai_model",status="critical"}', '1x4'),
    s('selfheal_subsystem_problem{job="selfheal",instance="e",subsystem="data_feed",status="critical"}', '1x4'),
    s('selfheal_subsystem_problem{job="selfheal",instance="e",subsystem="logging",status="critical"}', '1x4'),
    s('selfheal_subsystem_problem{job="selfheal",instance="e",subsystem="ai_model",status="degraded"}', '1x4'),
  ],
  alerts: [
    silent('0m', 'SelfHealManySubsystemsCritical'),
    fires('1m', 'SelfHealManySubsystemsCritical', on('c', {}, 3)),
    silent('2m', 'SelfHealManySubsystemsCritical'),
  ],
};

const EXPORTER: PromtoolCase = {
  title: 'The exporter itself: down (job selfheal only), absent, stalled checks',
  series: [
    s('up{job="selfheal",instance="a"}', '1 0 0 0 1'),
    s('up{job="selfheal",instance="b"}', '1x4'),
    s('up{job="node",instance="z"}', '0x4'),
    s('selfheal_last_check_timestamp_seconds{job="selfheal",instance="a"}', '0+60x6'),
    s('selfheal_last_check_timestamp_seconds{job="selfheal",instance="b"}', '0x6'),
  ],
  alerts: [
    silent('1m', 'SelfHealExporterDown'),
    fires('2m', 'SelfHealExporterDown', on('a')),
    silent('4m', 'SelfHealExporterDown'),
    silent('6m', 'SelfHealExporterAbsent'),
    silent('3m', 'SelfHealChecksStalled'),
    fires('4m', 'SelfHealChecksStalled', on('b', {}, 240)),
  ],
};

const ABSENT: PromtoolCase = {
  series: [s('up{job="node",instance="z"}', '1x6')],
  alerts: [silent('4m', 'SelfHealExporterAbsent'), fires('5m', 'SelfHealExporterAbsent', { labels: { job: 'selfheal' } })],
};

const act = (subsystem: string, recovery_action: string) => ({ subsystem, recovery_action });

const RECOVERY: PromtoolCase = {
  title: 'Recovery: executed (info), failed (warning), circuit open, approvals waiting',
  series: [
    s(
      'selfheal_recovery_actions_total{job="selfheal",instance="a",action="restart_subsystem",subsystem="event_executor",outcome="failure"}',
      '0 0 1 1 1 1',
    ),
    s(
      'selfheal_recovery_actions_total{job="selfheal",instance="b",action="pause_trading",subsystem="data_feed",outcome="success"}',
      '0 0 1 1 1 1',
    ),
    s(
      'selfheal_recovery_actions_total{job="selfheal",instance="b",action="reload_config",subsystem="logging",outcome="dry_run"}',
      '0 0 1 1 1 1',
    ),
    s('selfheal_recovery_circuit_open{job="selfheal",instance="a",subsystem="event_executor",action="restart_subsystem"}', '0 1 1'),
    s('selfheal_recovery_circuit_open{job="selfheal",instance="b",subsystem="data_feed",action="pause_trading"}', '0 0 0'),
    s('selfheal_recovery_pending_approvals{job="selfheal",instance="a"}', '1x20'),
    s('selfheal_recovery_pending_approvals{job="selfheal",instance="b"}', '0x20'),
  ],
  samples: [
    {
      expr: 'instance:selfheal_recovery_success:ratio_increase1h',
      at: '5m',
      samples: [
        { labels: 'instance:selfheal_recovery_success:ratio_increase1h{job="selfheal",instance="a"}', value: 0 },
        { labels: 'instance:selfheal_recovery_success:ratio_increase1h{job="selfheal",instance="b"}', value: 1 },
      ],
    },
  ],
  alerts: [
    silent('1m', 'SelfHealRecoveryActionFailed'),
    fires('3m', 'SelfHealRecoveryActionFailed', on('a', act('event_executor', 'restart_subsystem'), 1)),
    fires(
      '3m',
      'SelfHealRecoveryActionExecuted',
      on('a', act('event_executor', 'restart_subsystem'), 1),
      on('b', act('data_feed', 'pause_trading'), 1),
    ),
    silent('0m', 'SelfHealRecoveryCircuitOpen'),
    fires('1m', 'SelfHealRecoveryCircuitOpen', on('a', act('event_executor', 'restart_subsystem'))),
    silent('14m', 'SelfHealRecoveryApprovalPending'),
    fires('15m', 'SelfHealRecoveryApprovalPending', on('a', {}, 1)),
  ],
};

const FLAPPING: PromtoolCase = {
  title: 'A flapping subsystem pages at once, and clears once its floor is lifted (stable)',
  series: [s('selfheal_subsystem_flapping{job="selfheal",instance="a",subsystem="event_executor"}', '_ 1 1 stale')],
  alerts: [
    silent('0m', 'SelfHealSubsystemFlapping'),
    fires('1m', 'SelfHealSubsystemFlapping', on('a', { subsystem: 'event_executor' })),
    silent('3m', 'SelfHealSubsystemFlapping'),
  ],
};

const FOREIGN: PromtoolCase = {
  title: 'Fleet: foreign alerts keep arriving (routing mistake) → page after 5m; clears 15m after the last',
  series: [
    s('selfheal_webhook_alerts_foreign_total{job="selfheal",instance="a"}', '0 0 1 1 1 1 1 1 1 1 1x20'),
    s('selfheal_webhook_alerts_foreign_total{job="selfheal",instance="b"}', '0x30'),
  ],
  alerts: [
    silent('6m', 'SelfHealForeignAlerts'),
    fires('7m', 'SelfHealForeignAlerts', on('a', {}, 1)),
    silent('20m', 'SelfHealForeignAlerts'),
  ],
};

const JOURNAL: PromtoolCase = {
  title: 'The journal cannot record: pages at once, only the instance with the problem',
  series: [
    s('selfheal_recovery_journal_problem{job="selfheal",instance="a",problem="removed"}', '_ 1 1 1'),
    s('up{job="selfheal",instance="b"}', '1 1 1 1'),
  ],
  alerts: [silent('0m', 'SelfHealJournalProblem'), fires('1m', 'SelfHealJournalProblem', on('a', { problem: 'removed' }))],
};

const OWN_FAULTS: PromtoolCase = {
  title: "selfheal's own faults; maintenance windows left open",
  series: [
    s('selfheal_internal_errors_total{job="selfheal",instance="a",kind="emfile"}', '0 0 3 3 3 3 3 3 3 3 3'),
    s('selfheal_internal_errors_total{job="selfheal",instance="a",kind="overload"}', '0x10'),
    s('selfheal_recovery_maintenance{job="selfheal",instance="a",subsystem="event_executor"}', '1x300'),
    s('selfheal_recovery_maintenance{job="selfheal",instance="a",subsystem="all"}', '0x300'),
  ],
  alerts: [
    silent('1m', 'SelfHealInternalErrors'),
    fires('3m', 'SelfHealInternalErrors', on('a', { kind: 'emfile' })),
    silent('10m', 'SelfHealInternalErrors'),
    silent('3h59m', 'SelfHealMaintenanceActive'),
    fires('4h', 'SelfHealMaintenanceActive', on('a', { subsystem: 'event_executor' })),
  ],
};

/** Every case, in the order of the generated file. */
export const PROMTOOL_CASES: readonly PromtoolCase[] = [
  CPU,
  MEMORY,
  OVERALL,
  POLICY,
  SUBSYSTEMS,
  MANY_CRITICAL,
  EXPORTER,
  ABSENT,
  RECOVERY,
  FLAPPING,
  FOREIGN,
  JOURNAL,
  OWN_FAULTS,
];

/** The heartbeat (config `watchdog`, its name): always firing, with its own labels only. */
export function watchdogCase(name: string): PromtoolCase {
  return { title: 'The heartbeat: always firing', series: [], alerts: [fires('0m', name, { labels: {} })] };
}
