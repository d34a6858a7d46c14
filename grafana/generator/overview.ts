// What the on-call engineer opens first: is the platform healthy, may the bots trade, what is being done.
import { BigValueColorMode, BigValueGraphMode, BigValueTextMode } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { DEFAULT_RULES_CONFIG, pct, type RulesConfig } from '../../src/deploy/rules_config';
import {
  DS,
  Layout,
  POLICY_MAPPINGS,
  SEL,
  STATUS_MAPPINGS,
  baseDashboard,
  dashedThresholds,
  instantQ,
  policyThresholds,
  q,
  statusCode,
  statusThresholds,
  statusTimeline,
  thresholds,
  valueMap,
} from './common';

const stat = (title: string, description: string) =>
  new Stat()
    .title(title)
    .description(description)
    .datasource(DS)
    .colorMode(BigValueColorMode.Background)
    .graphMode(BigValueGraphMode.None)
    .textMode(BigValueTextMode.ValueAndName);

/** A resource's ratio with the rules pack's warning and critical thresholds as dashed lines (the same numbers as the alerts). */
function resource(title: string, what: string, metric: string, high: number, critical: number) {
  return new TimeSeries()
    .title(title)
    .description(`${what}; dashed lines at the warning (${pct(high)}) and critical (${pct(critical)}) alert thresholds.`)
    .datasource(DS)
    .unit('percentunit')
    .min(0)
    .max(1)
    .thresholds(
      thresholds([
        [null, 'green'],
        [high, 'orange'],
        [critical, 'red'],
      ]),
    )
    .thresholdsStyle(dashedThresholds())
    .withTarget(q(`${metric}{${SEL}}`, '{{instance}}'));
}

/** The overview dashboard; its thresholds are the rules pack's (`RulesConfig.thresholds`). */
export function overview(rules: RulesConfig = DEFAULT_RULES_CONFIG): Dashboard {
  const t = rules.thresholds;
  const L = new Layout();
  return baseDashboard(
    'selfheal / Overview',
    'selfheal-overview',
    'Health, safety policy, resources and recovery of the trading platform, per selfheal instance.',
  )
    .withPanel(
      stat('Overall status', 'Worst subsystem status, capped by trading criticality (0 healthy … 3 failed, 4 unknown).')
        .unit('none')
        .mappings(STATUS_MAPPINGS)
        .thresholds(statusThresholds())
        .withTarget(instantQ(statusCode('selfheal_overall_status', SEL, 'instance'), '{{instance}}'))
        .gridPos(L.next(6, 5)),
    )
    .withPanel(
      stat(
        'Safety policy',
        'The policy trading bots obey: 0 allow_all, 1 safe_risk_profile, 2 no_new_trades, 3 defensive_exit, 4 emergency_shutdown.',
      )
        .unit('none')
        .mappings(POLICY_MAPPINGS)
        .thresholds(policyThresholds())
        .withTarget(instantQ(`max by (instance) (selfheal_safety_policy_level{${SEL}})`, '{{instance}}'))
        .gridPos(L.next(6, 5)),
    )
    .withPanel(
      stat('Trading allowed', "Whether trading should continue (the guide's trading_should_continue).")
        .unit('bool_yes_no')
        .mappings(
          valueMap([
            [1, 'Yes', 'green'],
            [0, 'No', 'red'],
          ]),
        )
        .thresholds(
          thresholds([
            [null, 'red'],
            [1, 'green'],
          ]),
        )
        .withTarget(instantQ(`min by (instance) (selfheal_trading_allowed{${SEL}})`, '{{instance}}'))
        .gridPos(L.next(6, 5)),
    )
    .withPanel(
      stat('Immediate action', 'A critical issue exists or the system has failed.')
        .unit('bool_yes_no')
        .mappings(
          valueMap([
            [1, 'REQUIRED', 'red'],
            [0, 'No', 'green'],
          ]),
        )
        .thresholds(
          thresholds([
            [null, 'green'],
            [1, 'red'],
          ]),
        )
        .withTarget(instantQ(`max by (instance) (selfheal_requires_immediate_action{${SEL}})`, '{{instance}}'))
        .gridPos(L.next(6, 5)),
    )
    .withPanel(
      new TimeSeries()
        .title('Issues by severity')
        .description("Current detected issues, by the guide's severities.")
        .datasource(DS)
        .unit('short')
        .min(0)
        .withTarget(q(`sum by (severity) (selfheal_issues{${SEL}})`, '{{severity}}'))
        .gridPos(L.next(8, 8)),
    )
    .withPanel(statusTimeline('Subsystems', 'Status of every subsystem over time.', SEL).gridPos(L.next(16, 8)))
    .withPanel(resource('CPU', 'Host CPU usage', 'selfheal_cpu_usage_ratio', t.cpuHigh, t.cpuCritical).gridPos(L.next(8, 7)))
    .withPanel(
      resource(
        'Memory',
        'Host memory usage excluding reclaimable cache',
        'selfheal_memory_usage_ratio',
        t.memoryHigh,
        t.memoryCritical,
      ).gridPos(L.next(8, 7)),
    )
    .withPanel(
      new TimeSeries()
        .title('Open connections')
        .description('Established TCP connections on the host.')
        .datasource(DS)
        .unit('short')
        .min(0)
        .withTarget(q(`selfheal_open_connections{${SEL}}`, '{{instance}}'))
        .gridPos(L.next(8, 7)),
    )
    .withPanel(
      new TimeSeries()
        .title('Recovery actions')
        .description('Recovery actions per second by outcome: success, failure, dry_run, rejected, expired, cancelled, interrupted.')
        .datasource(DS)
        .unit('ops')
        .min(0)
        .withTarget(q(`sum by (outcome) (rate(selfheal_recovery_actions_total{${SEL}}[$__rate_interval]))`, '{{outcome}}'))
        .gridPos(L.next(10, 7)),
    )
    .withPanel(
      stat('Recovery success rate', "Share of executed recovery actions that succeeded (verified) over the dashboard's time range.")
        .unit('percentunit')
        .min(0)
        .max(1)
        .thresholds(
          thresholds([
            [null, 'red'],
            [0.8, 'orange'],
            [0.95, 'green'],
          ]),
        )
        .noValue('no actions')
        .withTarget(
          instantQ(
            `sum(increase(selfheal_recovery_actions_total{${SEL},outcome="success"}[$__range])) / sum(increase(selfheal_recovery_actions_total{${SEL},outcome=~"success|failure"}[$__range]))`,
            'success rate',
          ),
        )
        .gridPos(L.next(5, 7)),
    )
    .withPanel(
      stat('Pending approvals', 'Recovery actions waiting for an operator: GET /recovery/pending.')
        .unit('short')
        .thresholds(
          thresholds([
            [null, 'green'],
            [1, 'orange'],
          ]),
        )
        .withTarget(instantQ(`sum(selfheal_recovery_pending_approvals{${SEL}}) or vector(0)`, 'pending'))
        .gridPos(L.next(4, 7)),
    )
    .withPanel(
      stat('Policy changes', 'How often the served safety policy changed over the time range.')
        .unit('short')
        .withTarget(instantQ(`sum(increase(selfheal_policy_changes_total{${SEL}}[$__range]))`, 'changes'))
        .gridPos(L.next(5, 7)),
    )
    .withPanel(
      new Table()
        .title('Firing selfheal alerts')
        .description("Alerts of the selfheal rules pack that are firing now, from Prometheus' ALERTS series.")
        .datasource(DS)
        .unit('none')
        .withTarget(instantQ('ALERTS{alertstate="firing",alertname=~"SelfHeal.*"}', '{{alertname}}').format('table' as never))
        .gridPos(L.next(24, 8)),
    )
    .build();
}
