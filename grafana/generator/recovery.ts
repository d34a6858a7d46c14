// The receiver at work: what Alertmanager delivered, what ran, how it ended, what is held back.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { DS, Layout, SEL, baseDashboard, instantQ, q } from './common';

export function recovery(): Dashboard {
  const L = new Layout();
  const ts = (title: string, description: string, unit: string) =>
    new TimeSeries().title(title).description(description).datasource(DS).unit(unit).min(0);
  return baseDashboard(
    'selfheal / Recovery',
    'selfheal-recovery',
    'The Alertmanager webhook receiver: intake, deduplication, actions, outcomes, breakers and approvals.',
  )
    .withPanel(
      ts('Actions by outcome', 'Recovery actions per second by outcome.', 'ops')
        .withTarget(q(`sum by (outcome) (rate(selfheal_recovery_actions_total{${SEL}}[$__rate_interval]))`, '{{outcome}}'))
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      ts('Actions by type', 'Recovery actions per second by action and subsystem.', 'ops')
        .withTarget(
          q(`sum by (action, subsystem) (rate(selfheal_recovery_actions_total{${SEL}}[$__rate_interval]))`, '{{action}} {{subsystem}}'),
        )
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      ts('Action duration', 'p50 and p99 of the time from starting an action to its verified outcome.', 's')
        .withTarget(
          q(
            `histogram_quantile(0.5, sum by (le, action) (rate(selfheal_recovery_action_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
            'p50 {{action}}',
            'A',
          ),
        )
        .withTarget(
          q(
            `histogram_quantile(0.99, sum by (le, action) (rate(selfheal_recovery_action_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
            'p99 {{action}}',
            'B',
          ),
        )
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      ts(
        'Webhook intake',
        'Alerts received per second by their own status, and deliveries recorded only once (retries, HA peers, repeats).',
        'ops',
      )
        .withTarget(
          q(`sum by (status) (rate(selfheal_webhook_alerts_received_total{${SEL}}[$__rate_interval]))`, 'received {{status}}', 'A'),
        )
        .withTarget(q(`sum(rate(selfheal_webhook_alerts_deduplicated_total{${SEL}}[$__rate_interval]))`, 'deduplicated', 'B'))
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      ts('Pending approvals', 'Recovery actions waiting for an operator over time.', 'short')
        .withTarget(q(`sum by (instance) (selfheal_recovery_pending_approvals{${SEL}})`, '{{instance}}'))
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      new Table()
        .title('Open circuit breakers')
        .description('(subsystem, action) pairs whose breaker is open: further runs need approval.')
        .datasource(DS)
        .unit('none')
        .withTarget(instantQ(`selfheal_recovery_circuit_open{${SEL}} == 1`, '{{subsystem}} {{action}}').format('table' as never))
        .gridPos(L.next(12, 8)),
    )
    .build();
}
