// A journal record's state in an operator's words: what it is doing and, while it waits, until when
// and why. The one wording for the console, the CLI and the API's `state_words`. Pure: the time to
// judge "waiting" against is passed in.
import type { JournalRecord } from './journal';
import { OWN_FAULT } from './record';

/** What the words are made from: the state, the deadlines and the notes the gates left in the reason. */
export type Worded = Pick<JournalRecord, 'state' | 'reason' | 'not_before' | 'verify_at' | 'expires_at' | 'approved' | 'outcome'>;

/** A time of day in UTC, with the date when it is not today's (a maintenance window may last days). */
export function clockTime(ms: number, now: number): string {
  const iso = new Date(ms).toISOString();
  const day = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10) ? '' : `${iso.slice(0, 10)} `;
  return `${day}${iso.slice(11, 19)} UTC`;
}

/**
 * Why a recorded action waits, from the last gate note in its reason (execute/gates.ts writes
 * "cooldown: runs after …" and "backoff: runs after …", the executor "held by a maintenance window until …").
 */
function deferredBy(reason: string): string | null {
  const notes = [...reason.matchAll(/(cooldown|backoff): runs after|held by a (maintenance window) until/g)];
  const last = notes[notes.length - 1];
  return last ? (last[1] ?? last[2]) : null;
}

/** The record's state in words (e.g. "waiting for approval (expires 12:10:00 UTC)", "done: succeeded"). */
export function stateWords(r: Worded, now: number): string {
  const at = (ms: number) => clockTime(ms, now);
  switch (r.state) {
    case 'recorded': {
      if (r.not_before !== null && r.not_before > now) {
        const why = deferredBy(r.reason);
        return `deferred: runs after ${at(r.not_before)}${why ? ` (${why})` : ''}`;
      }
      return r.approved ? 'approved: runs now' : 'due: runs now';
    }
    case 'pending_approval':
      return r.expires_at === null ? 'waiting for approval' : `waiting for approval (expires ${at(r.expires_at)})`;
    case 'running':
      return 'running';
    case 'verifying':
      return r.verify_at === null ? 'verifying' : `verifying (re-check at ${at(r.verify_at)})`;
    case 'succeeded':
      return 'done: succeeded';
    case 'failed':
      return r.outcome === OWN_FAULT ? "done: failed (selfheal's own fault: nothing ran)" : 'done: failed';
    case 'rejected':
      return 'done: rejected by an operator';
    case 'expired':
      return 'done: approval expired';
    case 'cancelled':
      return 'done: cancelled (its alert resolved)';
    case 'dry_run':
      return 'done: dry run (not executed)';
    case 'ignored':
      return 'noted: no action taken';
    case 'resolved':
      return 'alert resolved';
  }
}
