// The fleet at a glance: how many hosts sit at each policy and status, which are worst, what each is
// healing, and the two signals that the fleet's wiring is broken (foreign alerts, exporters down).
import { BigValueColorMode, BigValueGraphMode, BigValueTextMode, VisibilityMode } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGauge } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimeline } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  DS,
  Layout,
  POLICY_MAPPINGS,
  SEL,
  STATUS_MAPPINGS,
  baseDashboard,
  instantQ,
  policyThresholds,
  q,
  statusCode,
  statusThresholds,
  thresholds,
} from './common';

/** 10 × policy level + overall status code: one number per instance that sorts the worst first. */
export const WORST = `sort_desc(10 * max by (instance) (selfheal_safety_policy_level{${SEL}}) + on (instance) (${statusCode('selfheal_overall_status', SEL, 'instance')}))`;

export function fleet(): Dashboard {
  const L = new Layout();
  const bars = (title: string, description: string) =>
    new BarGauge().title(title).description(description).datasource(DS).unit('short').min(0);
  const stat = (title: string, description: string) =>
    new Stat()
      .title(title)
      .description(description)
      .datasource(DS)
      .colorMode(BigValueColorMode.Background)
      .graphMode(BigValueGraphMode.None)
      .textMode(BigValueTextMode.ValueAndName);
  const timeline = (title: string, description: string) =>
    new StateTimeline().title(title).description(description).datasource(DS).unit('none').showValue(VisibilityMode.Never);
  return baseDashboard(
    'selfheal / Fleet',
    'selfheal-fleet',
    'Every selfheal instance of the fleet: policies, statuses, the worst hosts, recovery per host, and routing or scrape failures.',
  )
    .withPanel(
      bars('Instances by policy', 'How many instances serve each safety policy now.')
        .withTarget(instantQ(`count by (policy) (selfheal_safety_policy{${SEL}} == 1)`, '{{policy}}'))
        .gridPos(L.next(8, 7)),
    )
    .withPanel(
      bars('Instances by status', 'How many instances are at each overall status now.')
        .withTarget(instantQ(`count by (status) (selfheal_overall_status{${SEL}} == 1)`, '{{status}}'))
        .gridPos(L.next(8, 7)),
    )
    .withPanel(
      stat('Exporters up', 'Instances Prometheus scrapes successfully, and those it cannot reach (SelfHealExporterDown).')
        .unit('short')
        .thresholds(thresholds([[null, 'green']]))
        .withTarget(instantQ(`sum(up{${SEL}})`, 'up', 'A'))
        .withTarget(instantQ(`count(up{${SEL}} == 0) or vector(0)`, 'down', 'B'))
        .gridPos(L.next(4, 7)),
    )
    .withPanel(
      stat(
        'Foreign alerts (15m)',
        'Alerts about another host delivered to an instance in the last 15 minutes: a routing mistake (SelfHealForeignAlerts).',
      )
        .unit('short')
        .thresholds(
          thresholds([
            [null, 'green'],
            [1, 'red'],
          ]),
        )
        .withTarget(instantQ(`sum(increase(selfheal_webhook_alerts_foreign_total{${SEL}}[15m])) or vector(0)`, 'foreign'))
        .gridPos(L.next(4, 7)),
    )
    .withPanel(
      new Table()
        .title('Worst instances first')
        .description('Score = 10 × policy level + overall status code (0 healthy … 3 failed, 4 unknown): emergency_shutdown hosts on top.')
        .datasource(DS)
        .unit('none')
        .withTarget(instantQ(WORST, '{{instance}}').format('table' as never))
        .gridPos(L.next(8, 10)),
    )
    .withPanel(
      timeline('Policy per instance', 'The served safety policy of every instance over time.')
        .mappings(POLICY_MAPPINGS)
        .thresholds(policyThresholds())
        .withTarget(q(`max by (instance) (selfheal_safety_policy_level{${SEL}})`, '{{instance}}'))
        .gridPos(L.next(16, 10)),
    )
    .withPanel(
      timeline('Status history per instance', 'Overall status of every instance over time.')
        .mappings(STATUS_MAPPINGS)
        .thresholds(statusThresholds())
        .withTarget(q(statusCode('selfheal_overall_status', SEL, 'instance'), '{{instance}}'))
        .gridPos(L.next(24, 10)),
    )
    .withPanel(
      new TimeSeries()
        .title('Recovery activity per instance')
        .description('Recovery actions per second on each instance, by outcome.')
        .datasource(DS)
        .unit('ops')
        .min(0)
        .withTarget(
          q(`sum by (instance, outcome) (rate(selfheal_recovery_actions_total{${SEL}}[$__rate_interval]))`, '{{instance}} {{outcome}}'),
        )
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      new TimeSeries()
        .title('Foreign alerts per instance')
        .description('Alerts about another host (or none) arriving per second, by the instance that received them.')
        .datasource(DS)
        .unit('ops')
        .min(0)
        .withTarget(q(`sum by (instance) (rate(selfheal_webhook_alerts_foreign_total{${SEL}}[$__rate_interval]))`, '{{instance}}'))
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      new Table()
        .title('Fleet wiring alerts')
        .description("Exporters down and foreign alerts firing now, from Prometheus' ALERTS series.")
        .datasource(DS)
        .unit('none')
        .withTarget(
          instantQ(
            'ALERTS{alertstate="firing",alertname=~"SelfHealExporterDown|SelfHealExporterAbsent|SelfHealForeignAlerts"}',
            '{{alertname}} {{instance}}',
          ).format('table' as never),
        )
        .gridPos(L.next(24, 6)),
    )
    .build();
}
