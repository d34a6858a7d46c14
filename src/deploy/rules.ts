// The rules pack as a mixin: every rule is generated from ONE config object (job selector, runbook
// base, cadence, `for:` durations, thresholds, the heartbeat alert's name), the way monitoring mixins use
// `_config`. `npm run generate` writes rules/selfheal.rules.yml, the PrometheusRule object and the
// promtool tests from it. To add a rule: add one entry to recording() or to criticalAlerts(),
// warningAlerts() or infoAlerts() (its page level; an alert measured over 5 minutes or more, by its `for:`
// or its expression's window, lands in selfheal.sustained by itself), give it a runbook section in docs/runbooks.md and a
// promtool case (src/deploy/promtool_cases.ts). An alert that runs every evaluation may read only liveness
// and sparse series (test/deploy/rules.test.ts says which).
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { DEFAULT_RULES_CONFIG, durationSeconds, humanDuration, pct, shortDuration, type RulesConfig } from './rules_config';

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  /** Set on the groups that run at `sustainedInterval`; the others run at Prometheus's evaluation_interval. */
  interval?: string;
  rules: Rule[];
}

/** A rule with the comment written above it in the YAML, and (alerts) its time scale in seconds. */
type Entry = Rule & { comment?: string; scaleSec?: number };

/** A group with the comment written above it. */
type EntryGroup = { name: string; interval?: string; comment?: string; rules: Entry[] };

/** An alert runs in the sustained group when its time scale is at least this many sustained intervals. */
export const SUSTAINED_FACTOR = 5;

function recording(): Entry[] {
  return [
    // Only what a query would have to compose: the per-instance counts of subsystems by status are the exporter's
    // own summary, selfheal_subsystems{status} (recording copies of it cost a fleet every instance every minute).
    {
      record: 'instance_action_outcome:selfheal_recovery_actions:increase1h',
      expr: 'sum by (job, instance, action, outcome) (increase(selfheal_recovery_actions_total[1h]))',
    },
    {
      record: 'instance:selfheal_recovery_success:ratio_increase1h',
      comment: '`or … * 0`: an instance with failures and no success has a ratio of 0, not no ratio.',
      expr: `(
    sum by (job, instance) (increase(selfheal_recovery_actions_total{outcome="success"}[1h]))
  or
    sum by (job, instance) (increase(selfheal_recovery_actions_total{outcome=~"success|failure"}[1h])) * 0
)
  /
sum by (job, instance) (increase(selfheal_recovery_actions_total{outcome=~"success|failure"}[1h]))
`,
    },
  ];
}

/** One alert; its runbook link is `runbookBase#anchor`, the anchor being the default name in lower case. */
function alert(
  c: RulesConfig,
  name: string,
  a: {
    expr: string;
    for?: string;
    labels: Record<string, string>;
    summary: string;
    description: string;
    comment?: string;
    anchor?: string;
  },
): Entry {
  const e: Entry = { alert: name, expr: a.expr };
  // Its time scale: the longer of its `for:` and the look-back windows (`[15m]`) of its expression.
  const windows = [...a.expr.matchAll(/\[(\w+)\]/g)].map((m) => m[1]);
  e.scaleSec = Math.max(0, ...[...(a.for ? [a.for] : []), ...windows].map(durationSeconds));
  if (a.for) e.for = a.for;
  e.labels = a.labels;
  e.annotations = { summary: a.summary, description: a.description, runbook_url: `${c.runbookBase}#${a.anchor ?? name.toLowerCase()}` };
  if (a.comment) e.comment = a.comment;
  return e;
}

/** `sum by (…, recovery_action)` of a counter or gauge whose `action` label is renamed, so the receiver never acts on it. */
const byRecoveryAction = (agg: string, inner: string) => `${agg} by (job, instance, subsystem, recovery_action) (
  label_replace(${inner}, "recovery_action", "$1", "action", "(.*)")
)`;

/** The critical page level: the platform's own state, then selfheal's (exporter, checks, flapping, routing). */
function criticalAlerts(c: RulesConfig): Entry[] {
  return [...platformCritical(c), ...selfhealCritical(c)];
}

function platformCritical(c: RulesConfig): Entry[] {
  const f = c.for;
  const t = c.thresholds;
  return [
    alert(c, 'SelfHealOverallFailed', {
      expr: 'selfheal_overall_problem{status="failed"} == 1',
      for: f.overallFailed,
      labels: { severity: 'critical', signal: 'overall_status' },
      summary: 'Trading platform health has FAILED',
      description:
        'selfheal on {{ $labels.instance }} reports overall status failed: a trading-critical subsystem has failed and the safety policy is emergency_shutdown.',
    }),
    alert(c, 'SelfHealEmergencyShutdown', {
      expr: 'selfheal_safety_policy_restricted{policy="emergency_shutdown"} == 1',
      labels: { severity: 'critical', signal: 'safety_policy' },
      summary: 'Safety policy is emergency_shutdown',
      description:
        'selfheal on {{ $labels.instance }} serves emergency_shutdown: no trading activity, positions to be closed. The policy is latched until an operator resets it.',
    }),
    alert(c, 'SelfHealManySubsystemsCritical', {
      comment:
        "Counts the problem series (present only while critical), not the summary every instance has.\nNot the recording rule: groups evaluate in no set order, so an alert reading another\ngroup's output would see it one evaluation late.",
      expr: `count by (job, instance) (selfheal_subsystem_problem{status="critical"}) >= ${t.manySubsystemsCritical}`,
      for: f.manySubsystemsCritical,
      labels: { severity: 'critical', signal: 'subsystems' },
      summary: `${t.manySubsystemsCritical} or more subsystems are critical`,
      description: '{{ $value }} subsystems are critical on {{ $labels.instance }}.',
    }),
    alert(c, 'SelfHealCPUCritical', {
      expr: `selfheal_cpu_usage_ratio > ${t.cpuCritical}`,
      for: f.cpuCritical,
      labels: { severity: 'critical', signal: 'cpu', subsystem: 'system', issue_severity: 'high' },
      summary: `Host CPU above ${pct(t.cpuCritical)}`,
      description: `CPU usage on {{ $labels.instance }} is {{ $value | humanizePercentage }} (critical above ${pct(t.cpuCritical)}).`,
    }),
    alert(c, 'SelfHealMemoryCritical', {
      expr: `selfheal_memory_usage_ratio > ${t.memoryCritical}`,
      for: f.memoryCritical,
      labels: { severity: 'critical', signal: 'memory', subsystem: 'system', issue_severity: 'high' },
      summary: `Host memory above ${pct(t.memoryCritical)}`,
      description: `Memory usage on {{ $labels.instance }} is {{ $value | humanizePercentage }} (critical above ${pct(t.memoryCritical)}).`,
    }),
  ];
}

function selfhealCritical(c: RulesConfig): Entry[] {
  const f = c.for;
  const t = c.thresholds;
  return [
    alert(c, 'SelfHealExporterDown', {
      expr: `up{${c.jobSelector}} == 0`,
      for: f.exporterDown,
      labels: { severity: 'critical', signal: 'exporter' },
      summary: 'selfheal exporter is down',
      description:
        'Prometheus cannot scrape selfheal on {{ $labels.instance }}: trading bots fall back to no_new_trades when its policy expires.',
    }),
    alert(c, 'SelfHealExporterAbsent', {
      expr: `absent(up{${c.jobSelector}})`,
      for: f.exporterAbsent,
      labels: { severity: 'critical', signal: 'exporter' },
      summary: 'No selfheal exporter is being scraped',
      description: `Prometheus has no target matching {${c.jobSelector}}: the platform is not monitored.`,
    }),
    alert(c, 'SelfHealChecksStalled', {
      expr: `time() - selfheal_last_check_timestamp_seconds > ${t.checksStalledSec}`,
      for: f.checksStalled,
      labels: { severity: 'critical', signal: 'checks' },
      summary: 'selfheal health checks have stalled',
      description: `The last check cycle on {{ $labels.instance }} finished {{ $value | humanizeDuration }} ago (more than ${humanDuration(`${t.checksStalledSec}s`)}).`,
    }),
    alert(c, 'SelfHealSubsystemFlapping', {
      comment: 'Restarts keep succeeding but keep being needed: a floor holds until it is stable; a human should look now.',
      expr: 'selfheal_subsystem_flapping == 1',
      labels: { severity: 'critical', signal: 'subsystem', issue_severity: 'none' },
      summary: 'Subsystem {{ $labels.subsystem }} is flapping',
      description:
        '{{ $labels.subsystem }} on {{ $labels.instance }} keeps going unhealthy and coming back: its recoveries succeed but do not last. A protective floor holds the policy until it has been stable for flapping.stable_sec.',
    }),
    alert(c, 'SelfHealForeignAlerts', {
      comment: 'Fleet: a routing mistake means the right host is not healing; one misrouted delivery is enough.',
      expr: `increase(selfheal_webhook_alerts_foreign_total[${t.foreignWindow}]) > 0`,
      for: f.foreignAlerts,
      labels: { severity: 'critical', signal: 'routing', issue_severity: 'none' },
      summary: 'Alerts about other hosts keep reaching this selfheal',
      description: `selfheal on {{ $labels.instance }} received {{ $value | printf "%.0f" }} alert(s) about another instance (or none) in the last ${humanDuration(t.foreignWindow)}: Alertmanager routes them to the wrong host, so the right host is not healing. Recorded here, never acted on.`,
    }),
    alert(c, 'SelfHealJournalProblem', {
      comment: 'The sparse series exists only while the journal cannot record: nothing is acknowledged meanwhile.',
      expr: 'selfheal_recovery_journal_problem == 1',
      labels: { severity: 'critical', signal: 'journal', issue_severity: 'none' },
      summary: 'selfheal cannot record recovery ({{ $labels.problem }})',
      description:
        "selfheal's recovery journal on {{ $labels.instance }} cannot record ({{ $labels.problem }}): every webhook delivery is answered 503 and /-/ready is false until it is fixed and selfheal restarted.",
    }),
  ];
}

/** The warning page level: the platform's state, then recovery's (failures, approvals, breakers, own faults, maintenance). */
function warningAlerts(c: RulesConfig): Entry[] {
  return [...platformWarning(c), ...recoveryWarning(c)];
}

function platformWarning(c: RulesConfig): Entry[] {
  const f = c.for;
  const t = c.thresholds;
  return [
    alert(c, 'SelfHealOverallCritical', {
      expr: 'selfheal_overall_problem{status="critical"} == 1',
      for: f.overallCritical,
      labels: { severity: 'warning', signal: 'overall_status' },
      summary: 'Trading platform health is critical',
      description: 'selfheal on {{ $labels.instance }} reports overall status critical.',
    }),
    alert(c, 'SelfHealSubsystemCritical', {
      expr: 'selfheal_subsystem_problem{status="critical"} == 1',
      for: f.subsystemCritical,
      labels: { severity: 'warning', signal: 'subsystem', issue_severity: 'critical' },
      summary: 'Subsystem {{ $labels.subsystem }} is critical',
      description:
        "{{ $labels.subsystem }} on {{ $labels.instance }} is critical; the receiver applies the guide's action for a critical issue.",
    }),
    alert(c, 'SelfHealSubsystemFailed', {
      expr: 'selfheal_subsystem_problem{status="failed"} == 1',
      for: f.subsystemFailed,
      labels: { severity: 'warning', signal: 'subsystem', issue_severity: 'high' },
      summary: 'Subsystem {{ $labels.subsystem }} has failed',
      description:
        '{{ $labels.subsystem }} on {{ $labels.instance }} has failed: its automatic recovery is exhausted (restarts ran and failed verification).',
    }),
    alert(c, 'SelfHealDefensiveExit', {
      expr: 'selfheal_safety_policy_restricted{policy="defensive_exit"} == 1',
      labels: { severity: 'warning', signal: 'safety_policy' },
      summary: 'Safety policy is defensive_exit',
      description: 'selfheal on {{ $labels.instance }} serves defensive_exit: no new positions, risky positions to be closed.',
    }),
    alert(c, 'SelfHealCPUHigh', {
      expr: `selfheal_cpu_usage_ratio > ${t.cpuHigh}`,
      for: f.cpuHigh,
      labels: { severity: 'warning', signal: 'cpu', subsystem: 'system', issue_severity: 'high' },
      summary: `Host CPU above ${pct(t.cpuHigh)}`,
      description: `CPU usage on {{ $labels.instance }} is {{ $value | humanizePercentage }} (warning above ${pct(t.cpuHigh)}).`,
    }),
    alert(c, 'SelfHealMemoryHigh', {
      expr: `selfheal_memory_usage_ratio > ${t.memoryHigh}`,
      for: f.memoryHigh,
      labels: { severity: 'warning', signal: 'memory', subsystem: 'system', issue_severity: 'high' },
      summary: `Host memory above ${pct(t.memoryHigh)}`,
      description: `Memory usage on {{ $labels.instance }} is {{ $value | humanizePercentage }} (warning above ${pct(t.memoryHigh)}).`,
    }),
  ];
}

function recoveryWarning(c: RulesConfig): Entry[] {
  const f = c.for;
  const t = c.thresholds;
  return [
    alert(c, 'SelfHealRecoveryActionFailed', {
      comment: "The counter's `action` label is renamed so the receiver never mistakes it for an order to act.",
      expr: `${byRecoveryAction('sum', `increase(selfheal_recovery_actions_total{outcome="failure"}[${t.recoveryFailedWindow}])`)} > 0\n`,
      labels: { severity: 'warning', signal: 'recovery', issue_severity: 'none' },
      summary: 'Recovery action {{ $labels.recovery_action }} failed for {{ $labels.subsystem }}',
      description: `{{ $value | printf "%.0f" }} {{ $labels.recovery_action }} execution(s) for {{ $labels.subsystem }} on {{ $labels.instance }} failed or did not verify in the last ${humanDuration(t.recoveryFailedWindow)}.`,
    }),
    alert(c, 'SelfHealRecoveryApprovalPending', {
      expr: 'selfheal_recovery_pending_approvals > 0',
      for: f.approvalPending,
      labels: { severity: 'warning', signal: 'recovery' },
      summary: 'Recovery actions are waiting for approval',
      description: `{{ $value }} recovery action(s) on {{ $labels.instance }} have waited for approval for more than ${humanDuration(f.approvalPending)}.`,
    }),
    alert(c, 'SelfHealRecoveryCircuitOpen', {
      expr: `${byRecoveryAction('max', 'selfheal_recovery_circuit_open')} == 1\n`,
      labels: { severity: 'warning', signal: 'recovery', issue_severity: 'none' },
      summary: 'Recovery circuit breaker open: {{ $labels.recovery_action }} on {{ $labels.subsystem }}',
      description:
        'Too many {{ $labels.recovery_action }} executions for {{ $labels.subsystem }} on {{ $labels.instance }}: further ones need approval.',
    }),
    alert(c, 'SelfHealInternalErrors', {
      expr: `increase(selfheal_internal_errors_total[${t.internalErrorsWindow}]) > 0`,
      labels: { severity: 'warning', signal: 'exporter', issue_severity: 'none' },
      summary: "selfheal's own faults ({{ $labels.kind }}) on {{ $labels.instance }}",
      description:
        'selfheal on {{ $labels.instance }} hit its own fault ({{ $labels.kind }}); it is not counted against the platform. emfile, enfile, enomem, overload: file descriptors, memory or an overloaded event loop while checking (checks are not getting through and /-/ready is false). handler_config: a recovery handler cannot reach or find its target (no socket, permission denied, unknown container or unit), so nothing was restarted: see /recovery/history.',
    }),
    alert(c, 'SelfHealMaintenanceActive', {
      expr: 'max by (job, instance, subsystem) (selfheal_recovery_maintenance) == 1',
      for: f.maintenanceActive,
      labels: { severity: 'warning', signal: 'recovery', issue_severity: 'none' },
      summary: `Automatic recovery suspended for {{ $labels.subsystem }} on {{ $labels.instance }} for over ${humanDuration(f.maintenanceActive)}`,
      description: `A maintenance window on {{ $labels.instance }} has suspended automatic recovery for {{ $labels.subsystem }} for more than ${humanDuration(f.maintenanceActive)}; end it with DELETE /recovery/maintenance if the work is done.`,
    }),
  ];
}

function infoAlerts(c: RulesConfig): Entry[] {
  const f = c.for;
  const t = c.thresholds;
  const info: Entry[] = [
    alert(c, 'SelfHealOverallDegraded', {
      expr: 'selfheal_overall_problem{status="degraded"} == 1',
      for: f.overallDegraded,
      labels: { severity: 'info', signal: 'overall_status' },
      summary: 'Trading platform health is degraded',
      description: 'selfheal on {{ $labels.instance }} reports overall status degraded; new positions are blocked (no_new_trades).',
    }),
    alert(c, 'SelfHealSubsystemDegraded', {
      expr: 'selfheal_subsystem_problem{status="degraded"} == 1',
      for: f.subsystemDegraded,
      labels: { severity: 'info', signal: 'subsystem', issue_severity: 'medium' },
      summary: 'Subsystem {{ $labels.subsystem }} is degraded',
      description: `{{ $labels.subsystem }} on {{ $labels.instance }} has been degraded for ${humanDuration(f.subsystemDegraded)}.`,
    }),
    alert(c, 'SelfHealSafetyPolicyChanged', {
      expr: `increase(selfheal_policy_changes_total[${t.policyChangedWindow}]) > 0`,
      labels: { severity: 'info', signal: 'safety_policy' },
      summary: 'Safety policy changed',
      description: `The safety policy on {{ $labels.instance }} changed {{ $value | printf "%.0f" }} time(s) in the last ${humanDuration(t.policyChangedWindow)}.`,
    }),
    alert(c, 'SelfHealRecoveryActionExecuted', {
      expr: `${byRecoveryAction('sum', `increase(selfheal_recovery_actions_total{outcome=~"success|failure"}[${t.recoveryExecutedWindow}])`)} > 0\n`,
      labels: { severity: 'info', signal: 'recovery', issue_severity: 'none' },
      summary: 'Recovery action {{ $labels.recovery_action }} executed for {{ $labels.subsystem }}',
      description: `{{ $labels.recovery_action }} ran {{ $value | printf "%.0f" }} time(s) for {{ $labels.subsystem }} on {{ $labels.instance }} in the last ${humanDuration(t.recoveryExecutedWindow)}.`,
    }),
  ];
  if (c.watchdog) {
    info.push(
      alert(c, c.watchdog, {
        anchor: 'selfhealwatchdog',
        expr: 'vector(1)',
        labels: { severity: 'info', signal: 'watchdog' },
        summary: 'Alerting pipeline heartbeat (always firing)',
        description: "This alert always fires. If your dead man's switch stops receiving it, Prometheus or Alertmanager is down.",
      }),
    );
  }
  return info;
}

/**
 * The alert groups: one per page level for what runs every evaluation, then the sustained group (every
 * `sustainedInterval`) for the alerts whose time scale is at least SUSTAINED_FACTOR of those intervals.
 */
function alertGroups(c: RulesConfig): EntryGroup[] {
  const every = durationSeconds(c.sustainedInterval);
  const sustained = (e: Entry) => (e.scaleSec ?? 0) >= SUSTAINED_FACTOR * every;
  const levels = [
    { name: 'selfheal.critical', rules: criticalAlerts(c) },
    { name: 'selfheal.warning', rules: warningAlerts(c) },
    { name: 'selfheal.info', rules: infoAlerts(c) },
  ];
  const slow = levels.flatMap((g) => g.rules.filter(sustained));
  return [
    ...levels.map((g) => ({ name: g.name, rules: g.rules.filter((e) => !sustained(e)) })).filter((g) => g.rules.length > 0),
    {
      name: 'selfheal.sustained',
      interval: c.sustainedInterval,
      comment: `Every alert whose \`for:\` or window is ${shortDuration(SUSTAINED_FACTOR * every)} or more, of every page level. Most read a series of
every instance (up, CPU, memory, counters) to judge a slow condition: they run every ${c.sustainedInterval}, not every evaluation.`,
      rules: slow,
    },
  ].filter((g) => g.rules.length > 0);
}

/** The pack's groups, comments dropped (for PrometheusRule objects and tests). */
export function ruleGroups(c: RulesConfig = DEFAULT_RULES_CONFIG): RuleGroup[] {
  return entryGroups(c).map(plainGroup);
}

/** A group as written to YAML: no comments, no time scales. */
function plainGroup(g: EntryGroup): RuleGroup {
  const rules = g.rules.map(({ comment: _c, scaleSec: _s, ...r }) => r);
  return g.interval ? { name: g.name, interval: g.interval, rules } : { name: g.name, rules };
}

function entryGroups(c: RulesConfig): EntryGroup[] {
  return [
    {
      name: 'selfheal.recording',
      interval: c.sustainedInterval,
      comment: `For dashboards and ad-hoc queries (no alert reads them): every ${c.sustainedInterval} is enough.`,
      rules: recording(),
    },
    ...alertGroups(c),
  ];
}

const HEADER = `GENERATED by \`npm run generate\` from src/deploy/rules.ts (DEFAULT_RULES_CONFIG). Do not edit:
change the config object (job selector, runbook base, sustained interval, for: durations, thresholds, heartbeat name).

selfheal rules pack: the guide's "Alert Thresholds" plus what a production pack needs.
Every aggregation keeps job and instance, so one host never adds to another's.
Labels the recovery receiver reads:
  subsystem       the subsystem the alert concerns ("system" for host CPU/memory)
  issue_severity  the guide's issue severity: critical (a critical subsystem), high (a failed
                  subsystem, CPU/memory pressure), medium (degraded), none (record only, never remediate)
The alert's own \`severity\` is the page level (critical|warning|info), not the issue's severity.`;

/** The YAML of groups (under `path` in doc), with the rules' comments, flow-style label maps and blank lines between groups. */
function yamlWithComments(root: unknown, groups: EntryGroup[], groupsAt: (string | number)[], header: string): string {
  const doc = new Document(root);
  doc.commentBefore = header
    .split('\n')
    .map((l) => (l ? ` ${l}` : ''))
    .join('\n');
  const seq = doc.getIn(groupsAt, true);
  if (!isSeq(seq)) throw new Error('groups is not a sequence');
  seq.items.forEach((g, gi) => {
    if (!isMap(g)) return;
    if (gi > 0) g.spaceBefore = true;
    const note = groups[gi].comment;
    if (note)
      g.commentBefore = note
        .split('\n')
        .map((l) => ` ${l}`)
        .join('\n');
    const rules = g.get('rules', true);
    if (!isSeq(rules)) return;
    rules.items.forEach((r, ri) => {
      const entry = groups[gi].rules[ri];
      const map = r as YAMLMap;
      const labels = map.get('labels', true);
      if (isMap(labels)) labels.flow = true;
      if (entry.comment) {
        const expr = map.items.find((p) => (p.key as { value?: unknown }).value === 'expr');
        if (expr)
          (expr.key as { commentBefore?: string }).commentBefore = entry.comment
            .split('\n')
            .map((l) => ` ${l}`)
            .join('\n');
      }
    });
  });
  return doc.toString({ lineWidth: 0 });
}

/** rules/selfheal.rules.yml for this config. */
export function rulesFile(c: RulesConfig = DEFAULT_RULES_CONFIG): string {
  const groups = entryGroups(c);
  return yamlWithComments({ groups: groups.map(plainGroup) }, groups, ['groups'], HEADER);
}

/** The same pack as a prometheus-operator PrometheusRule object. */
export function prometheusRuleFile(c: RulesConfig = DEFAULT_RULES_CONFIG): string {
  const groups = entryGroups(c);
  const obj = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: c.prometheusRule.name, labels: c.prometheusRule.labels },
    spec: { groups: groups.map(plainGroup) },
  };
  const header =
    "GENERATED by `npm run generate` from src/deploy/rules.ts (DEFAULT_RULES_CONFIG). Do not edit.\nThe rules of rules/selfheal.rules.yml as a prometheus-operator PrometheusRule: `kubectl apply -n monitoring -f`.\nmetadata.labels must match your Prometheus resource's ruleSelector (kube-prometheus: prometheus=k8s, role=alert-rules).";
  return yamlWithComments(obj, groups, ['spec', 'groups'], header);
}
