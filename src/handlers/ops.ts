// Which supervisor operation an action may ask for. A supervisor handler restarts a process for
// the remediation actions and stops one only to disable a module, when configured so. It never runs
// for a trading action: stopping or restarting a bot does not close its positions, it leaves them
// open and unmanaged; the policy floor is that action's effect.
import type { Section } from '../schema/reader';
import type { RecoveryAction } from '../types';
import type { SupervisorOp } from './handler';

/** The actions a supervisor may restart a target for (remediation, judged by a re-check). */
const RESTART_ACTIONS: readonly RecoveryAction[] = ['restart_subsystem', 'reload_config', 'clear_cache', 'fallback_to_backup'];

/** Reads `op:` of a docker or systemd section and refuses what the action must never do. */
export function supervisorOp(s: Section, action: RecoveryAction): SupervisorOp {
  if (action === 'disable_module') {
    const op = s.oneOf('op', ['stop'] as const, 'stop');
    if (!s.has('op')) s.fail('op', 'required for disable_module: "stop" (a supervisor handler stops the module only when told so)');
    return op;
  }
  if (!RESTART_ACTIONS.includes(action)) {
    s.fail(
      'op',
      `a supervisor handler never runs for ${action}: stopping or restarting a trading bot leaves its positions open (the policy floor is this action's effect)`,
    );
  }
  return s.oneOf('op', ['restart'] as const, 'restart');
}
