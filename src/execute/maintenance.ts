// Maintenance windows: an operator suspends automatic recovery (local and Alertmanager-driven) for
// one subsystem or for all, for a time. Alertmanager silences cannot reach the local path, so this
// is the switch for both. Windows survive a restart (a small JSON file beside the journal): an
// operator mid-maintenance must not get a restart the moment selfheal comes back.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic_file';

/** A maintenance window; `subsystem: null` covers every subsystem. Times in ms since the epoch. */
export interface Window {
  subsystem: string | null;
  reason: string;
  started_at: number;
  until: number;
}

/** The JSON shape of a window (GET /recovery/maintenance, /recovery/status). */
export interface WindowView {
  subsystem: string | null;
  reason: string;
  started_at: string;
  until: string;
}

/** Where maintenance windows are kept: beside the journal (nowhere for an in-memory one). */
export function maintenancePath(journalPath: string): string | null {
  return journalPath === ':memory:' ? null : join(dirname(journalPath), 'selfheal_maintenance.json');
}

export function windowView(w: Window): WindowView {
  return {
    subsystem: w.subsystem,
    reason: w.reason,
    started_at: new Date(w.started_at).toISOString(),
    until: new Date(w.until).toISOString(),
  };
}

export class Maintenance {
  private windows: Window[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** `path` null keeps windows in memory only (tests). `changed` runs on every start, end and expiry. */
  constructor(
    private readonly path: string | null,
    private readonly clock: () => number,
    private readonly changed: () => void = () => {},
  ) {
    this.windows = path ? load(path) : [];
    this.prune();
    this.arm();
  }

  /** Starts (or replaces) the window for `subsystem` (null: all). */
  start(subsystem: string | null, durationSec: number, reason: string): Window {
    const now = this.clock();
    const w: Window = { subsystem, reason, started_at: now, until: now + durationSec * 1000 };
    this.windows = [...this.windows.filter((x) => x.subsystem !== subsystem), w];
    this.commit();
    return w;
  }

  /** Ends the window of `subsystem` (null: the all-subsystems window); undefined ends every window. */
  end(subsystem?: string | null): number {
    const before = this.windows.length;
    this.windows = subsystem === undefined ? [] : this.windows.filter((x) => x.subsystem !== subsystem);
    const ended = before - this.windows.length;
    if (ended) this.commit();
    return ended;
  }

  /** The window that covers `subsystem` now, if any (its own, or the all-subsystems one). */
  active(subsystem: string): Window | null {
    const now = this.clock();
    return this.windows.find((w) => w.until > now && (w.subsystem === null || w.subsystem === subsystem)) ?? null;
  }

  list(): Window[] {
    this.prune();
    return [...this.windows];
  }

  /** One line per window, for the /policy reasons. */
  reasons(): string[] {
    return this.list().map(
      (w) =>
        `maintenance: auto-recovery suspended for ${w.subsystem ?? 'all subsystems'} until ${new Date(w.until).toISOString()} (${w.reason})`,
    );
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private prune(): boolean {
    const now = this.clock();
    const kept = this.windows.filter((w) => w.until > now);
    const pruned = kept.length !== this.windows.length;
    this.windows = kept;
    return pruned;
  }

  private commit(): void {
    this.prune();
    if (this.path) save(this.path, this.windows);
    this.arm();
    this.changed();
  }

  /** Expiry is a change too (the gauge, the reasons): wake at the next one. */
  private arm(): void {
    this.stop();
    if (!this.windows.length) return;
    const next = Math.min(...this.windows.map((w) => w.until));
    this.timer = setTimeout(() => this.commit(), Math.min(Math.max(0, next - this.clock()), 2 ** 31 - 1));
    this.timer.unref();
  }
}

function load(path: string): Window[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const v = JSON.parse(text) as { windows?: unknown };
  if (!Array.isArray(v.windows)) throw new Error(`${path}: expected {"windows": [...]}`);
  return v.windows.filter(
    (w): w is Window =>
      typeof w === 'object' && w !== null && typeof (w as Window).until === 'number' && typeof (w as Window).reason === 'string',
  );
}

function save(path: string, windows: Window[]): void {
  writeFileAtomic(path, JSON.stringify({ windows }) + '\n');
}
