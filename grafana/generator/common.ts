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
import { HEALTH_STATUSES, SAFETY_POLICIES, type HealthStatus, type SafetyPolicy } from '../../src/types';

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
  return new DataqueryBuilder()
    .datasource(DS)
    .expr(expr)
    .legendFormat(legend || '__auto')
    .refId(refId);
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

/** One colour per state, in the order of the codes the panels use (the index in the contract's list). */
const STATUS_COLORS: Record<HealthStatus, string> = {
  healthy: 'green',
  degraded: 'yellow',
  critical: 'orange',
  failed: 'red',
  unknown: 'gray',
};
const POLICY_COLORS: Record<SafetyPolicy, string> = {
  allow_all: 'green',
  safe_risk_profile: 'yellow',
  no_new_trades: 'orange',
  defensive_exit: 'red',
  emergency_shutdown: 'dark-red',
};

const codeMappings = <T extends string>(states: readonly T[], colors: Record<T, string>) =>
  valueMap(states.map((s, i) => [i, s, colors[s]]));
const codeThresholds =
  <T extends string>(states: readonly T[], colors: Record<T, string>) =>
  () =>
    thresholds(states.map((s, i) => [i === 0 ? null : i, colors[s]]));

/** Status codes used by the state panels: a single number per subsystem, mapped back to names. */
export const STATUS_MAPPINGS = codeMappings(HEALTH_STATUSES, STATUS_COLORS);
export const statusThresholds = codeThresholds(HEALTH_STATUSES, STATUS_COLORS);
/** Policy levels (selfheal_safety_policy_level), mapped back to names. */
export const POLICY_MAPPINGS = codeMappings(SAFETY_POLICIES, POLICY_COLORS);
export const policyThresholds = codeThresholds(SAFETY_POLICIES, POLICY_COLORS);

/** The status state set folded into one code per series: 0 healthy … 4 unknown. */
export function statusCode(metric: string, selector: string, by: string): string {
  return HEALTH_STATUSES.map((status, k) => [status, k] as const)
    .filter(([, k]) => k > 0)
    .map(([status, k]) => `${k} * sum by (${by}) (${metric}{${selector},status="${status}"})`)
    .join(' + ');
}

/** A state timeline of subsystem statuses (the status set folded to a code, mapped back to names). */
export function statusTimeline(title: string, description: string, selector: string): StateTimeline {
  return new StateTimeline()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit('none')
    .mappings(STATUS_MAPPINGS)
    .thresholds(statusThresholds())
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
