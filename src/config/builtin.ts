// The guide's 13 subsystems: what each checks by default, its trading criticality and its dependents.
import type { TradingCriticality } from '../types';

export interface BuiltinDefault {
  criticality: TradingCriticality;
  dependents: string[] | '*';
  /** Raw config (as a user would write it); merged under the user's own keys. */
  check: Record<string, unknown>;
}

const stateFile = (file: string) => ({ check: 'file_freshness', path: file });

/** `${...}` placeholders are filled from the top-level config. */
export const BUILTIN_DEFAULTS: Record<string, BuiltinDefault> = {
  data_feed: {
    criticality: 'yes',
    dependents: ['ai_model', 'event_executor'],
    check: {
      check: 'file_freshness',
      path: 'universe_snapshot.json',
      degraded_after_sec: '${stale_data_threshold_sec}',
      critical_after_sec: 3600,
      missing_status: 'degraded',
      nonempty_field: 'symbols',
      empty_status: 'critical',
    },
  },
  exchange_connection: {
    criticality: 'yes',
    dependents: ['event_executor', 'position_monitor'],
    check: stateFile('recent_trades.json'),
  },
  ai_model: {
    criticality: 'partial',
    dependents: ['event_executor', 'model_supervisor'],
    check: {
      check: 'file_set',
      dir: '${models_dir}',
      files: ['xgb_model.pkl', 'lgbm_model.pkl', 'nhits_model.pth', 'patchtst_model.pth'],
      healthy_min: 3,
      degraded_min: 2,
    },
  },
  event_executor: {
    criticality: 'yes',
    dependents: [],
    check: {
      check: 'json_timestamp',
      path: 'event_executor_state.json',
      field: 'last_cycle_timestamp',
      degraded_after_sec: 60,
      critical_after_sec: 300,
    },
  },
  orchestrator: { criticality: 'partial', dependents: [], check: stateFile('orchestrator_state.json') },
  portfolio_balancer: { criticality: 'partial', dependents: [], check: stateFile('portfolio_balancer_output.json') },
  model_supervisor: { criticality: 'no', dependents: [], check: stateFile('model_supervisor_output.json') },
  retraining_orchestrator: {
    criticality: 'no',
    dependents: [],
    check: stateFile('retraining_orchestrator_state.json'),
  },
  position_monitor: { criticality: 'partial', dependents: [], check: stateFile('position_monitor_state.json') },
  risk_guard: { criticality: 'yes', dependents: [], check: stateFile('risk_state.db') },
  database: {
    criticality: 'partial',
    dependents: '*',
    check: { check: 'file_presence', path: '${database_path}', missing_status: 'critical' },
  },
  universe_os: { criticality: 'partial', dependents: [], check: stateFile('universe_os_state.json') },
  logging: {
    criticality: 'no',
    dependents: [],
    check: {
      check: 'newest_file',
      dir: '${log_dir}',
      pattern: '*.log',
      degraded_after_sec: 60,
      critical_after_sec: 300,
      missing_status: 'degraded',
    },
  },
};
