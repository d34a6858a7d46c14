// Which supervisor operation an action may ask for. A supervisor handler restarts a process for
// the remediation actions and stops one only to disable a module, when configured so. It never runs
// for a trading action: stopping or restarting a bot does not close its positions, it leaves them
// open and unmanaged; the policy floor is that action's effect.
import type { RecoveryAction } from '../types';
import type { SupervisorOp } from './handler';

/** The actions a supervisor may restart a target for (remediation, judged by a re-check). */
const RESTART_ACTIONS: readonly RecoveryAction[] = ['restart_subsystem', 'reload_config', 'clear_cache', 'fallback_to_backup'];

/** The operations a docker or systemd handler's `op:` may name. */
export const SUPERVISOR_OPS: readonly SupervisorOp[] = ['restart', 'stop'];

/**
 * The operation a docker or systemd handler runs for `action`, given its configured `op` (null: not
 * given), or why that combination is refused (the config loader names the key).
 */
export function supervisorOp(action: RecoveryAction, op: SupervisorOp | null): { op: SupervisorOp } | { error: string } {
  if (action === 'disable_module') {
    return op === 'stop'
      ? { op }
      : { error: 'required for disable_module: "stop" (a supervisor handler stops the module only when told so)' };
  }
  if (!RESTART_ACTIONS.includes(action))
    return {
      error: `a supervisor handler never runs for ${action}: stopping or restarting a trading bot leaves its positions open (the policy floor is this action's effect)`,
    };
  return op === null || op === 'restart'
    ? { op: 'restart' }
    : { error: `${action} restarts its target: "restart" (or leave it out), got "${op}"` };
}
