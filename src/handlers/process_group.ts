// An exec handler's process group, found again after selfheal died while it ran: a re-run waits for
// the old group or ends it, so two copies of a handler (two close-all scripts) never run at once.
import { readFileSync } from 'node:fs';

/** A process's start time in clock ticks since boot (/proc/PID/stat field 22), or null if it is gone. */
export function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * Whether the process group a handler ran in is still alive. The group's leader is the handler
 * itself; if it still exists and started at another time, its pid was reused: not our group.
 */
function groupAlive(pgid: number, start: number | null): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const leader = startTicks(pgid);
  return leader === null || start === null || leader === start;
}

/** Ends a process group: SIGTERM, then SIGKILL after `graceMs` if it is still there. */
export function endGroup(pgid: number, graceMs = 2000): void {
  const send = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      /* gone */
    }
  };
  send('SIGTERM');
  setTimeout(() => send('SIGKILL'), graceMs).unref();
}

/**
 * Waits for an old handler's group to finish until `deadline` (ms since the epoch), then ends it.
 * Resolves with what happened, for the record's reason.
 */
export async function settleGroup(
  pgid: number,
  start: number | null,
  deadline: number,
  clock: () => number,
  pollMs = 100,
): Promise<'gone' | 'finished' | 'ended'> {
  if (!groupAlive(pgid, start)) return 'gone';
  while (clock() < deadline) {
    await new Promise((r) => setTimeout(r, pollMs));
    if (!groupAlive(pgid, start)) return 'finished';
  }
  endGroup(pgid);
  for (let i = 0; i < 40 && groupAlive(pgid, start); i++) await new Promise((r) => setTimeout(r, pollMs));
  return 'ended';
}
