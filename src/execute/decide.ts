// The guide's action selection applied to an alert as if it were an issue. Pure.
import { ACTIONS, type AutoFlags } from '../recommend/actions';
import { selectAction } from '../recommend/recommendations';
import { ISSUE_SEVERITIES, RECOVERY_ACTIONS, SYSTEM_SUBSYSTEM, type IssueSeverity, type RecoveryAction } from '../types';
import type { AlertIn } from './webhook';

export type Decision =
  | {
      kind: 'act';
      action: RecoveryAction;
      subsystem: string;
      issue_severity: IssueSeverity;
      can_auto_execute: boolean;
      requires_approval: boolean;
    }
  | { kind: 'record'; reason: string; subsystem: string | null };

export interface DecideOptions extends AutoFlags {
  knownSubsystems: ReadonlySet<string>;
  /** Actions that always need a human, whatever the guide's auto flag says. */
  requireApproval: readonly RecoveryAction[];
}

/** Where an alert has no issue_severity label, its page severity stands in. */
const FROM_SEVERITY: Record<string, IssueSeverity> = { critical: 'critical', warning: 'high', info: 'low' };

export function decide(alert: AlertIn, o: DecideOptions): Decision {
  const l = alert.labels;
  const subsystem = l.subsystem ?? null;
  if (l.issue_severity === 'none') return { kind: 'record', reason: 'issue_severity none: record only', subsystem };
  const explicit = l.action;
  if (explicit !== undefined && !(RECOVERY_ACTIONS as readonly string[]).includes(explicit)) {
    return { kind: 'record', reason: `unknown action label "${explicit.slice(0, 64)}"`, subsystem };
  }
  if (!subsystem && explicit === undefined)
    return { kind: 'record', reason: 'no subsystem or action label: nothing to remediate', subsystem };
  const target = subsystem ?? SYSTEM_SUBSYSTEM;
  if (target !== SYSTEM_SUBSYSTEM && !o.knownSubsystems.has(target)) {
    return { kind: 'record', reason: `unknown subsystem "${target.slice(0, 64)}"`, subsystem: null };
  }
  const sevLabel = l.issue_severity;
  let severity: IssueSeverity | undefined;
  if (sevLabel !== undefined) {
    if (!(ISSUE_SEVERITIES as readonly string[]).includes(sevLabel))
      return { kind: 'record', reason: `unknown issue_severity "${sevLabel.slice(0, 32)}"`, subsystem: target };
    severity = sevLabel as IssueSeverity;
  } else {
    severity = FROM_SEVERITY[l.severity ?? ''];
    if (!severity) return { kind: 'record', reason: 'no issue_severity and no known severity label', subsystem: target };
  }
  // An explicitly requested action may run unattended where the guide allows that action to.
  const chosen =
    explicit !== undefined
      ? { action: explicit as RecoveryAction, can_auto_execute: ACTIONS[explicit as RecoveryAction].auto(o) }
      : selectAction({ subsystem: target, severity }, o);
  const forced = o.requireApproval.includes(chosen.action);
  return {
    kind: 'act',
    action: chosen.action,
    subsystem: target,
    issue_severity: severity,
    can_auto_execute: chosen.can_auto_execute && !forced,
    requires_approval: !chosen.can_auto_execute || forced,
  };
}

/**
 * Fleet identity: with `instance` configured, an alert acts here only if its `instance` label names
 * this host. Returns the reason it is foreign, or null when it is ours. Without `instance`
 * (single-host mode) every alert is ours; with it, an alert without an `instance` label is foreign
 * too: it cannot be attributed to this host, so it must not change it.
 */
export function foreignReason(labels: Readonly<Record<string, string>>, instance: string | null): string | null {
  if (instance === null) return null;
  const named = labels.instance;
  if (named === instance) return null;
  return named === undefined || named === '' ? 'foreign: no instance label' : `foreign: instance ${named.slice(0, 200)}`;
}
