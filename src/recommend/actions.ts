// What each of the guide's 10 recovery actions means (its "Action Descriptions & Risks" table).
import type { RecoveryAction, SafetyPolicy } from '../types';

export interface ActionInfo {
  describe: (subsystem: string) => string;
  expected_result: string;
  risks: string[];
  /** The policy floor a trading action imposes while its alert fires. */
  policy_floor?: SafetyPolicy;
}

export const ACTIONS: Record<RecoveryAction, ActionInfo> = {
  restart_subsystem: { describe: (s) => `Restart ${s} subsystem`, expected_result: 'Subsystem restored', risks: ['Brief interruption'] },
  pause_trading: {
    describe: (s) => `Pause trading (${s} critical)`,
    expected_result: 'Trading stopped',
    risks: ['Missed opportunities'],
    policy_floor: 'no_new_trades',
  },
  switch_to_safe_profile: {
    describe: () => 'Switch to safe risk profile',
    expected_result: 'System stabilized',
    risks: ['Reduced profit'],
    policy_floor: 'safe_risk_profile',
  },
  disable_module: {
    describe: (s) => `Disable ${s} module`,
    expected_result: 'Module disabled, system continues with fallback',
    risks: ['Degraded functionality'],
  },
  fallback_to_backup: { describe: (s) => `Fall back to backup for ${s}`, expected_result: 'Backup in service', risks: ['Backup may be stale'] },
  close_all_positions: {
    describe: () => 'Close all positions',
    expected_result: 'No open exposure',
    risks: ['Potential losses', 'Slippage'],
    policy_floor: 'emergency_shutdown',
  },
  no_new_trades: {
    describe: () => 'Block new positions',
    expected_result: 'Prevent new exposure',
    risks: ['Cannot capitalize'],
    policy_floor: 'no_new_trades',
  },
  defensive_exit: {
    describe: () => 'Defensive exit: close risky positions',
    expected_result: 'Capital preserved',
    risks: ['Potential losses'],
    policy_floor: 'defensive_exit',
  },
  reload_config: { describe: () => 'Reload configuration files', expected_result: 'Config updated', risks: ['Config errors risk'] },
  clear_cache: { describe: () => 'Clear system caches', expected_result: 'Memory freed', risks: ['Performance hit'] },
};
