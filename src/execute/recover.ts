// Crash recovery, run once at start before anything is served: what was mid-execution is never
// re-run blindly, and every protective floor still owed is back in place (fail closed).
import type { Logger } from '../log/logger';
import type { Floors } from './floors';
import { protectiveFloor } from './floors';
import type { ActionRecord, JournalStore } from './journal';
import type { Records } from './record';

/** What crash recovery reads and moves. */
export interface RecoverDeps {
  store: Pick<JournalStore, 'byState' | 'isResolved' | 'floored'>;
  records: Records;
  floors: Floors;
  clock: () => number;
  logger: Logger;
  approvalTtlSec: number;
}

/**
 * After a restart: floors of still-firing alerts return; an action that was running is cancelled
 * (its alert resolved meanwhile), runs again (protective: floors and pause/exit handlers are safe to
 * repeat), or waits for approval (anything else). A re-run keeps the old handler's process group, so
 * it first waits for that group or ends it (`handlers/process_group.ts`): two copies never run at once.
 */
export function recoverAfterCrash(d: RecoverDeps): void {
  for (const r of d.store.floored()) d.floors.impose(r);
  for (const r of d.store.byState(['running'])) interrupted(d, r);
}

function interrupted(d: RecoverDeps, r: ActionRecord): void {
  const ids = { id: r.id, action: r.action, subsystem: r.subsystem };
  if (d.store.isResolved(r.fingerprint, r.starts_at)) {
    d.records.transition(r, 'cancelled', 'interrupted by a restart, alert resolved meanwhile');
    return;
  }
  if (protectiveFloor(r.action)) {
    d.floors.impose(r);
    d.records.transition(r, 'recorded', 'interrupted by a restart: protective, floor re-imposed and re-applied', { approved: true });
    d.logger.warn(ids, 'protective action interrupted by restart; floor re-imposed, running it again');
    return;
  }
  d.records.transition(r, 'pending_approval', 'interrupted by a restart while executing: approve to run it again', {
    expires_at: d.clock() + d.approvalTtlSec * 1000,
  });
  d.logger.warn(ids, 'action interrupted by restart; waiting for approval');
}
