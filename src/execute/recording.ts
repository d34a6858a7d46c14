// A delivery's alerts as journal records: the decision on each alert (the guide's selection), the
// state it starts in, and whether its protective floor goes in at once. Pure but for the journal
// and pipeline reads it is handed.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/types';
import type { RecoveryAction } from '../types';
import { decide, foreignReason, type DecideOptions } from './decide';
import { protectiveFloor } from './floors';
import type { ActionRecord, ActionState, JournalRecord, JournalStore } from './journal';
import type { Maintenance } from './maintenance';
import type { Pipeline } from './pipeline';
import { isTerminal } from './record';
import type { AlertIn } from './webhook';

/** What deciding an alert reads. */
export interface RecordingDeps {
  config: Config;
  decideOpts: DecideOptions;
  store: Pick<JournalStore, 'handledSince' | 'isResolved'>;
  pipeline: Pick<Pipeline, 'state'>;
  maintenance: Maintenance | null;
}

/** The journal records of a delivery, decided at `now`; a firing whose resolve came first is cancelled. */
export function recordsOf(d: RecordingDeps, alerts: readonly AlertIn[], now: number): JournalRecord[] {
  const recs = alerts.map((a) => toRecord(d, a, now));
  const inDelivery = new Set(recs.filter((r) => r.status === 'resolved').map((r) => `${r.fingerprint}|${r.starts_at}`));
  return recs.map((r) => {
    // A firing that arrives after its own resolve (Alertmanager HA or retries reorder them) must not act:
    // its floor would never lift.
    if (r.state === 'ignored' || r.state === 'resolved' || isTerminal(r.state)) return r;
    if (!inDelivery.has(`${r.fingerprint}|${r.starts_at}`) && !d.store.isResolved(r.fingerprint, r.starts_at)) return r;
    return {
      ...r,
      state: 'cancelled',
      outcome: 'cancelled',
      expires_at: null,
      floor_at: null,
      finished_at: now,
      reason: `${r.reason}; the alert had already resolved: not executed`,
    };
  });
}

/** What a record has before anything waits for it, runs it or ends it. */
const UNSTARTED = {
  approved: false,
  not_before: null,
  expires_at: null,
  verify_at: null,
  started_at: null,
  finished_at: null,
  outcome: null,
  detail: null,
  handler_pgid: null,
  handler_start: null,
  evidence: null,
} as const;

function base(a: AlertIn, now: number) {
  return {
    id: randomUUID(),
    dedup_key: `${a.fingerprint}|${a.startsAt}|${a.status}`,
    alertname: a.labels.alertname ?? '',
    fingerprint: a.fingerprint,
    starts_at: a.startsAt,
    labels: a.labels,
    ...UNSTARTED,
    before_status: null,
    created_at: now,
    updated_at: now,
    floor_at: null,
  };
}

function toRecord(d: RecordingDeps, a: AlertIn, now: number): JournalRecord {
  const b = base(a, now);
  const subsystem = a.labels.subsystem ?? null;
  // Another host's alert (fleet mode): recorded, never executed, never floored.
  const foreign = foreignReason(a.labels, d.config.instance);
  if (foreign) return { ...b, status: a.status, subsystem, action: null, issue_severity: null, state: 'ignored', reason: foreign };
  if (a.status === 'resolved')
    return { ...b, status: 'resolved', subsystem, action: null, issue_severity: null, state: 'resolved', reason: 'alert resolved' };
  const dec = decide(a, d.decideOpts);
  if (dec.kind === 'record')
    return { ...b, status: 'firing', subsystem: dec.subsystem, action: null, issue_severity: null, state: 'ignored', reason: dec.reason };
  const rc = d.config.recovery;
  const dry = rc.dry_run || rc.dry_run_actions.includes(dec.action);
  // Protection is never gated: the floor goes in now, whatever later gates say about the handler —
  // unless the action itself needs a human (its floor is then the destructive part) or nothing may be done.
  const floor_at = protectiveFloor(dec.action) && !dry && !dec.requires_approval ? now : null;
  const what = `${dec.issue_severity} issue on ${dec.subsystem}${summaryOf(a)} → ${dec.action}`;
  const decided = { ...b, status: 'firing' as const, subsystem: dec.subsystem, action: dec.action, issue_severity: dec.issue_severity };
  const skip = skipReason(d, dec.subsystem, dec.action, a.fingerprint);
  if (skip) return { ...decided, state: 'ignored', reason: `${what}; ${skip}`, floor_at };
  let state: ActionState = 'recorded';
  let reason = `${what} (auto ${dec.can_auto_execute})`;
  let expires_at: number | null = null;
  if (dry) {
    state = 'dry_run';
    reason += '; dry run: decided and recorded, nothing done';
  } else if (dec.requires_approval) {
    state = 'pending_approval';
    reason += '; requires approval';
    expires_at = now + rc.approval_ttl_sec * 1000;
  }
  const before = d.pipeline.state.get(dec.subsystem)?.result.health.status ?? null;
  return { ...decided, state, reason, expires_at, before_status: before, floor_at };
}

/** What the alert says of itself (the local path's figure and threshold, an Alertmanager summary), for history rows. */
function summaryOf(a: AlertIn): string {
  const s = a.annotations.summary ?? a.annotations.description;
  return s ? ` (${s.slice(0, 200)})` : '';
}

/**
 * Why a firing alert must not run its handler: a maintenance window, or the same (subsystem, action)
 * already handled in this unhealthy episode by another alert — the local path and Alertmanager (and
 * both members of an HA pair) run an action once per episode between them. Its floor still goes in.
 */
function skipReason(d: RecordingDeps, subsystem: string, action: RecoveryAction, fingerprint: string): string | null {
  const w = d.maintenance?.active(subsystem);
  if (w)
    return `maintenance window for ${w.subsystem ?? 'all subsystems'} until ${new Date(w.until).toISOString()} (${w.reason}): recorded, handler not run`;
  const episode = d.pipeline.state.get(subsystem)?.lastEpisodeStart ?? null;
  if (episode === null) return null;
  const done = d.store.handledSince(subsystem, action, episode);
  if (done && done.fingerprint !== fingerprint)
    return `${action} for ${subsystem} already handled in this episode by ${done.id} (${done.alertname}): recorded, handler not run`;
  return null;
}

/**
 * The next attempt of a restart that did not help (its alert still fires): a new record in the same
 * alert instance, keyed `…#N`, that passes the gates again (backoff from this failure, escalation, breaker).
 */
export function retryOf(r: ActionRecord, now: number): ActionRecord {
  const attempt = Number(/#(\d+)$/.exec(r.dedup_key)?.[1] ?? 1) + 1;
  return {
    ...r,
    id: randomUUID(),
    dedup_key: `${r.dedup_key.replace(/#\d+$/, '')}#${attempt}`,
    ...UNSTARTED,
    state: 'recorded',
    reason: `retry ${attempt} of ${r.action} for ${r.subsystem}: the last attempt did not help`,
    created_at: now,
    updated_at: now,
  };
}
