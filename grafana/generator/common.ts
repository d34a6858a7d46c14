// Shared pieces of the selfheal dashboards: data source and job/instance variables, the Grafana
// dashboard-linter conventions, and a small left-to-right layout.
import { GraphThresholdsStyleConfigBuilder } from '@grafana/grafana-foundation-sdk/common';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  MappingType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StateTimeline } from '@grafana/grafana-foundation-sdk/statetimeline';

export const DS: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
/** Every selector carries this, so one dashboard serves many selfheal instances. */
export const SEL = 'job=~"$job",instance=~"$instance"';

export function baseDashboard(title: string, uid: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['selfheal', 'trading'])
    .editable()
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('utc')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(
      new QueryVariableBuilder('job')
        .label('Job')
        .datasource(DS)
        .query('label_values(selfheal_build_info, job)')
        .definition('label_values(selfheal_build_info, job)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.+'),
    )
    .withVariable(
      new QueryVariableBuilder('instance')
        .label('Instance')
        .datasource(DS)
        .query('label_values(selfheal_build_info{job=~"$job"}, instance)')
        .definition('label_values(selfheal_build_info{job=~"$job"}, instance)')
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.+'),
    );
}

export function q(expr: string, legend = '', refId = 'A'): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DS).expr(expr).legendFormat(legend || '__auto').refId(refId);
}

export function instantQ(expr: string, legend = '', refId = 'A'): DataqueryBuilder {
  return q(expr, legend, refId).instant();
}

export function valueMap(entries: [number, string, string][]): ValueMapping[] {
  return [
    {
      type: MappingType.ValueToText,
      options: Object.fromEntries(entries.map(([v, text, color], index) => [String(v), { text, color, index }])),
    },
  ];
}

export function thresholds(steps: [number | null, string][]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

export const dashedThresholds = () => new GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed);

/** Status codes used by the state panels: a single number per subsystem, mapped back to names. */
export const STATUS_MAPPINGS = valueMap([
  [0, 'healthy', 'green'],
  [1, 'degraded', 'yellow'],
  [2, 'critical', 'orange'],
  [3, 'failed', 'red'],
  [4, 'unknown', 'gray'],
]);

export const POLICY_MAPPINGS = valueMap([
  [0, 'allow_all', 'green'],
  [1, 'safe_risk_profile', 'yellow'],
  [2, 'no_new_trades', 'orange'],
  [3, 'defensive_exit', 'red'],
  [4, 'emergency_shutdown', 'dark-red'],
]);

/** The status state set folded into one code per series: 0 healthy … 4 unknown. */
export function statusCode(metric: string, selector: string, by: string): string {
  const part = (status: string, k: number) => `${k} * sum by (${by}) (${metric}{${selector},status="${status}"})`;
  return [part('degraded', 1), part('critical', 2), part('failed', 3), part('unknown', 4)].join(' + ');
}

/** A state timeline of subsystem statuses (the status set folded to a code, mapped back to names). */
export function statusTimeline(title: string, description: string, selector: string): StateTimeline {
  return new StateTimeline()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit('none')
    .mappings(STATUS_MAPPINGS)
    .thresholds(thresholds([[null, 'green'], [1, 'yellow'], [2, 'orange'], [3, 'red'], [4, 'gray']]))
    .showValue(common.VisibilityMode.Never)
    .withTarget(q(statusCode('selfheal_subsystem_status', selector, 'instance, subsystem'), '{{subsystem}} ({{instance}})'));
}

/** Lays panels out left to right, wrapping at 24 columns. */
export class Layout {
  private x = 0;
  private y = 0;
  private rowH = 0;
  next(w: number, h: number): { x: number; y: number; w: number; h: number } {
    if (this.x + w > 24) {
      this.x = 0;
      this.y += this.rowH;
      this.rowH = 0;
    }
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.rowH = Math.max(this.rowH, h);
    return pos;
  }
}
