// The guide's 10 recovery actions, one entry each: what it means (the guide's "Action Descriptions &
// Risks" table), when it may run unattended, what it does by default and how its success is judged.
// RECOMMEND, EXECUTE and VERIFY all read this table; none of them switches on an action's name.
import type { RecoveryAction, SafetyPolicy } from '../types';

/** The guide's auto-execution switches (config `auto_restart_enabled`, `auto_pause_on_critical`). */
export interface AutoFlags {
  auto_restart_enabled: boolean;
  auto_pause_on_critical: boolean;
}

/**
 * How success is judged. `applied`: the effect is a floor or a switch we flip ourselves, so applying
 * it is the success. `recheck`: the subsystem is checked again after the settle time and must be better.
 */
export type Verification = 'applied' | 'recheck';

interface ActionBase {
  /** The recommendation's description for a subsystem (the guide's example: "Disable ai_model module"). */
  describe: (subsystem: string) => string;
  expected_result: string;
  risks: string[];
  /** May it run unattended? Both for the guide's selection and for an alert that names the action. */
  auto: (flags: AutoFlags) => boolean;
  verify: Verification;
  /**
   * Retried with backoff, as restarts are: a failed attempt is recorded again while its alert fires,
   * the next one waits out a backoff from that failure, and max_consecutive_failures failures in a
   * row escalate to approval. Other actions are not retried and cool down from their last start.
   */
  retry_with_backoff?: boolean;
}

/**
 * The default effect, one of two. A trading action imposes a policy floor while its alert fires (a
 * configured handler runs as well). Any other action writes the original platform's flag file
 * `<subsystem>_<flag>.flag` in the data dir for its supervisor (a configured handler replaces it).
 */
type Effect = { policy_floor: SafetyPolicy; flag?: never } | { flag: string; policy_floor?: never };

/** One recovery action: its meaning, auto rule, default effect and verification. */
export type ActionInfo = ActionBase & Effect;

const always = (): boolean => true;
const never = (): boolean => false;

/** Every recovery action; the Record type makes a missing entry a compile error. */
export const ACTIONS: Record<RecoveryAction, ActionInfo> = {
  restart_subsystem: {
    describe: (s) => `Restart ${s} subsystem`,
    expected_result: 'Subsystem restored',
    risks: ['Brief interruption'],
    auto: (f) => f.auto_restart_enabled,
    flag: 'restart_requested',
    verify: 'recheck',
    retry_with_backoff: true,
  },
  pause_trading: {
    describe: (s) => `Pause trading (${s} critical)`,
    expected_result: 'Trading stopped',
    risks: ['Missed opportunities'],
    auto: (f) => f.auto_pause_on_critical,
    policy_floor: 'no_new_trades',
    verify: 'applied',
  },
  switch_to_safe_profile: {
    describe: () => 'Switch to safe risk profile',
    expected_result: 'System stabilized',
    risks: ['Reduced profit'],
    auto: always,
    policy_floor: 'safe_risk_profile',
    verify: 'applied',
  },
  disable_module: {
    describe: (s) => `Disable ${s} module`,
    // The guide's example recommendation; its table says "Graceful degradation".
    expected_result: 'Module disabled, system continues with fallback',
    risks: ['Degraded functionality'],
    auto: always,
    flag: 'disabled',
    // The flag is a switch we flip ourselves: writing it is the success.
    verify: 'applied',
  },
  fallback_to_backup: {
    describe: (s) => `Fall back to backup for ${s}`,
    expected_result: 'Backup in service',
    risks: ['Backup may be stale'],
    auto: never,
    flag: 'fallback_to_backup_requested',
    verify: 'recheck',
  },
  close_all_positions: {
    describe: () => 'Close all positions',
    expected_result: 'No open exposure',
    risks: ['Potential losses', 'Slippage'],
    auto: never,
    policy_floor: 'emergency_shutdown',
    verify: 'applied',
  },
  no_new_trades: {
    describe: () => 'Block new positions',
    expected_result: 'Prevent new exposure',
    risks: ['Cannot capitalize'],
    auto: always,
    policy_floor: 'no_new_trades',
    verify: 'applied',
  },
  defensive_exit: {
    describe: () => 'Defensive exit: close risky positions',
    expected_result: 'Capital preserved',
    risks: ['Potential losses'],
    auto: never,
    policy_floor: 'defensive_exit',
    verify: 'applied',
  },
  reload_config: {
    describe: () => 'Reload configuration files',
    expected_result: 'Config updated',
    risks: ['Config errors risk'],
    auto: never,
    flag: 'reload_config_requested',
    verify: 'recheck',
  },
  clear_cache: {
    describe: () => 'Clear system caches',
    expected_result: 'Memory freed',
    risks: ['Performance hit'],
    auto: never,
    flag: 'clear_cache_requested',
    verify: 'recheck',
  },
};

/**
 * The flag file an action writes for a subsystem, a plain name inside the data dir. A floor action
 * writes none by default; its name follows the `<subsystem>_<action>_requested.flag` pattern.
 * Subsystem names are validated by the config; a path separator here is refused all the same, so
 * no name can leave the data dir.
 */
export function flagFile(action: RecoveryAction, subsystem: string): string {
  if (/[/\\\0]/.test(subsystem)) throw new RangeError(`subsystem "${subsystem.slice(0, 64)}" cannot name a flag file`);
  return `${subsystem}_${ACTIONS[action].flag ?? `${action}_requested`}.flag`;
}
