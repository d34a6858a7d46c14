// Builds a platform of N file-based subsystems (the 13 built-ins, plus N-13 state files of our own).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load';
import type { Config } from '../src/config/types';

export function benchPlatform(n: number, extra: Record<string, unknown> = {}): { root: string; config: Config } {
  const root = mkdtempSync(join(tmpdir(), `selfheal-bench-${n}-`));
  const data = join(root, 'data');
  for (const d of ['data', 'logs', 'models', 'db']) mkdirSync(join(root, d), { recursive: true });
  const now = new Date().toISOString();
  writeFileSync(join(data, 'universe_snapshot.json'), JSON.stringify({ symbols: ['BTCUSDT'] }));
  writeFileSync(join(data, 'event_executor_state.json'), JSON.stringify({ last_cycle_timestamp: now }));
  for (const f of [
    'recent_trades.json',
    'orchestrator_state.json',
    'portfolio_balancer_output.json',
    'model_supervisor_output.json',
    'retraining_orchestrator_state.json',
    'position_monitor_state.json',
    'risk_state.db',
    'universe_os_state.json',
  ]) {
    writeFileSync(join(data, f), '{}');
  }
  for (const f of ['xgb_model.pkl', 'lgbm_model.pkl', 'nhits_model.pth', 'patchtst_model.pth']) writeFileSync(join(root, 'models', f), 'm');
  writeFileSync(join(root, 'db', 'quantum_trader.db'), 'db');
  writeFileSync(join(root, 'logs', 'trader.log'), 'log');
  const subsystems: Record<string, unknown> = {};
  mkdirSync(join(data, 'extra'));
  for (let i = 0; i < n - 13; i++) {
    const f = `extra/svc_${i}.json`;
    writeFileSync(join(data, f), '{}');
    subsystems[`svc_${i}`] = { check: 'file_freshness', path: f, critical_for_trading: 'partial' };
  }
  const config = parseConfig(
    { data_dir: 'data', log_dir: 'logs', models_dir: 'models', database_path: 'db/quantum_trader.db', subsystems, ...extra },
    root,
  );
  return { root, config };
}
