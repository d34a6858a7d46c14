// Lays out a fully healthy platform in the guide's file layout, relative to `now`.
import { join } from 'node:path';
import { writeAged } from './fs';

export function healthyPlatform(root: string, now: number): void {
  const data = join(root, 'data');
  writeAged(join(data, 'universe_snapshot.json'), JSON.stringify({ symbols: ['BTCUSDT', 'ETHUSDT'] }), 1, now);
  writeAged(join(data, 'event_executor_state.json'), JSON.stringify({ last_cycle_timestamp: new Date(now - 1000).toISOString() }), 1, now);
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
    writeAged(join(data, f), '{}', 1, now);
  }
  for (const f of ['xgb_model.pkl', 'lgbm_model.pkl', 'nhits_model.pth', 'patchtst_model.pth'])
    writeAged(join(root, 'models', f), 'm', 1, now);
  writeAged(join(root, 'db', 'quantum_trader.db'), 'db', 1, now);
  writeAged(join(root, 'logs', 'trader.log'), 'log', 1, now);
}
