import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DASHBOARD_DIR = resolve(__dirname, '../../../grafana/dashboards');

export interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
export interface Panel {
  title?: string;
  description?: string;
  type: string;
  datasource?: { uid?: string; type?: string };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
}
export interface Var {
  name: string;
  type: string;
  label?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  query?: unknown;
  datasource?: { uid?: string };
}
export interface Dash {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Var[] };
}

export function loadDashboards(): Record<string, Dash> {
  return Object.fromEntries(
    readdirSync(DASHBOARD_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f, JSON.parse(readFileSync(join(DASHBOARD_DIR, f), 'utf8')) as Dash]),
  );
}
