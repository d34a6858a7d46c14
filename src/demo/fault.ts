// What `selfheal demo fault NAME` tells the user: what the fault breaks (from the subsystem's check
// type), what selfheal will do about it (from the guide's selection and the action table, through the
// same functions the monitor runs), and whether anything in the demo will repair it. Nothing here is
// written per subsystem: a new subsystem or check type explains itself.
import type { Config, SubsystemConfig } from '../config/types';
import { faultEffect } from '../detect/registry';
import { severityForStatus } from '../analyze/issues';
import { ACTIONS, flagFile } from '../recommend/actions';
import { policyForSubsystem } from '../recommend/policy';
import { selectAction } from '../recommend/recommendations';
import type { HealthStatus, RecoveryAction } from '../types';
import { SIMULATED_SUPERVISOR } from './simulator';

/** One step of a fault's timeline: the status the check reaches, the policy served, and the action that runs. */
export interface FaultStep {
  after_sec: number;
  status: HealthStatus;
  policy: string;
  /** The action the guide selects at this status, when it runs unattended or waits for approval. */
  action: RecoveryAction | null;
  /** How that action comes about: runs at once, or waits for an operator's approval. */
  mode: 'runs' | 'needs approval' | null;
}

/** A fault as `demo fault` explains it; null `effect` when the demo cannot break this check. */
export interface FaultPlan {
  subsystem: string;
  broken: string;
  steps: FaultStep[];
  /** Whether the simulated supervisor carries out the last step's action (it restarts; it does nothing else). */
  repaired: boolean;
}

/** The timeline of one subsystem's demo fault. Pure: the config and the pipeline's own rules. */
export function faultPlan(config: Config, sub: SubsystemConfig): FaultPlan | null {
  const effect = faultEffect(sub.check);
  if (!effect) return null;
  const steps = effect.onset.map(({ status, after_sec }): FaultStep => {
    const severity = severityForStatus(status);
    const policy = policyForSubsystem(status, sub.criticality);
    if (!severity) return { after_sec, status, policy, action: null, mode: null };
    const { action, can_auto_execute } = selectAction({ subsystem: sub.name, severity }, config);
    const mode = can_auto_execute ? 'runs' : config.recovery.require_approval.includes(action) ? 'needs approval' : null;
    return { after_sec, status, policy, action: mode ? action : null, mode };
  });
  const last = steps.at(-1)?.action ?? null;
  return { subsystem: sub.name, broken: effect.broken, steps, repaired: last !== null && SIMULATED_SUPERVISOR.includes(last) };
}

/** What an action does by default, in words (its floor, or its flag for the platform's supervisor). */
function effectOf(config: Config, action: RecoveryAction, subsystem: string, status: HealthStatus): string {
  const info = ACTIONS[action];
  const handler = config.recovery.handlers.some((h) => h.action === action && (h.subsystem === null || h.subsystem === subsystem));
  const does = handler
    ? 'runs its configured handler'
    : info.policy_floor
      ? `holds a ${info.policy_floor} floor while ${subsystem} is ${status}`
      : `writes ${flagFile(action, subsystem)} for the platform's supervisor`;
  const verify = info.verify === 'recheck' ? `, then checks ${subsystem} again ${config.recovery.settle_sec} s later` : '';
  return `${does}${verify}`;
}

/** The text `selfheal demo fault` prints. */
export function formatFault(config: Config, plan: FaultPlan, o: { stubborn: boolean; otherFaults: string[]; url: string }): string {
  const name = plan.subsystem;
  const lines = [`${name}: ${plan.broken}.`, 'What selfheal does:'];
  for (const s of plan.steps) {
    const at = s.after_sec > 0 ? `after ${s.after_sec} s` : 'at once';
    let line = `  ${at.padEnd(12)} ${s.status} → policy ${s.policy}`;
    if (s.action)
      line += `; ${s.mode === 'runs' ? 'runs' : 'asks for approval of'} ${s.action}: ${effectOf(config, s.action, name, s.status)}`;
    lines.push(line);
  }
  const last = plan.steps.at(-1)?.action ?? null;
  if (plan.repaired && last && o.stubborn) {
    lines.push(
      `--stubborn: the simulated supervisor obeys each ${flagFile(last, name)} but ${name} stays broken, so each ${last} fails ` +
        `verification; after ${config.max_consecutive_failures} failures in a row (max_consecutive_failures) ${name} is failed → ` +
        'emergency_shutdown, latched until "selfheal policy reset" (after "selfheal demo heal").',
    );
  } else if (plan.repaired && last) {
    lines.push(
      `The simulated supervisor obeys ${flagFile(last, name)}: ${name} comes back, selfheal verifies it, and the policy returns ` +
        `to allow_all after the hold-down (${config.policy.hold_down_sec} s, policy.hold_down_sec).`,
    );
  } else {
    const why = last ? `the simulated supervisor only restarts, and ${name}'s action is ${last}` : `no action repairs ${name}`;
    lines.push(`Nothing in the demo repairs ${name} (${why}): it stays broken until "selfheal demo heal ${name}".`);
    if (o.stubborn) lines.push(`--stubborn changes nothing here: ${name} is not restarted.`);
  }
  if (o.otherFaults.length)
    lines.push(
      `Still faulted: ${o.otherFaults.join(', ')}. /policy serves the strictest of all faults; "selfheal demo heal" heals everything.`,
    );
  lines.push(`Watch ${o.url}/ (the console), /policy and /recovery/history; heal with: selfheal demo heal ${name}`);
  return lines.join('\n') + '\n';
}
