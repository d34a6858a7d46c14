// One subsystem up close: its status, its checks, its evidence and what recovery did for it.
import { QueryVariableBuilder, VariableRefresh, VariableSort, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import { DS, Layout, SEL, baseDashboard, q, statusTimeline } from './common';

const S = `${SEL},subsystem=~"$subsystem"`;

export function subsystem(): Dashboard {
  const L = new Layout();
  const ts = (title: string, description: string, unit: string) =>
    new TimeSeries().title(title).description(description).datasource(DS).unit(unit);
  return baseDashboard(
    'selfheal / Subsystem',
    'selfheal-subsystem',
    'One subsystem in detail: status history, checks, evidence age and recovery.',
  )
    .withVariable(
      new QueryVariableBuilder('subsystem')
        .label('Subsystem')
        .datasource(DS)
        .query(`label_values(selfheal_subsystem_status{${SEL}}, subsystem)`)
        .definition(`label_values(selfheal_subsystem_status{${SEL}}, subsystem)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.+'),
    )
    .withPanel(
      statusTimeline('Status history', "The subsystem's status over time (healthy, degraded, critical, failed, unknown).", S).gridPos(
        L.next(24, 6),
      ),
    )
    .withPanel(
      ts('Evidence age', "Age of the subsystem's own evidence: the file's mtime or the heartbeat inside it.", 's')
        .min(0)
        .withTarget(q(`time() - selfheal_subsystem_last_update_timestamp_seconds{${S}}`, '{{subsystem}} ({{instance}})'))
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      ts('Check duration', 'How long the last check of the subsystem took.', 's')
        .min(0)
        .withTarget(q(`selfheal_subsystem_check_duration_seconds{${S}}`, '{{subsystem}} ({{instance}})'))
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      ts(
        'Consecutive failures',
        'Checks in a row that found the subsystem critical or failed; at max_consecutive_failures it escalates to failed.',
        'short',
      )
        .min(0)
        .withTarget(q(`selfheal_subsystem_consecutive_failures{${S}}`, '{{subsystem}} ({{instance}})'))
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      ts('Check errors', 'Checks per second that threw, timed out or met corrupt data.', 'ops')
        .min(0)
        .withTarget(q(`rate(selfheal_subsystem_check_errors_total{${S}}[$__rate_interval])`, '{{subsystem}} ({{instance}})'))
        .gridPos(L.next(12, 8)),
    )
    .withPanel(
      ts('Recovery actions', 'Recovery actions for this subsystem per second, by action and outcome.', 'ops')
        .min(0)
        .withTarget(q(`sum by (action, outcome) (rate(selfheal_recovery_actions_total{${S}}[$__rate_interval]))`, '{{action}} {{outcome}}'))
        .gridPos(L.next(24, 8)),
    )
    .build();
}
