// Every decision and outcome, durably. The store interface lets a shared database replace the
// embedded SQLite later; SQLite in WAL mode survives a killed process with nothing lost.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { RecoveryAction } from '../types';

export type ActionState =
  | 'recorded' // decided, waiting to run (possibly until not_before)
  | 'pending_approval'
  | 'running' // execution started (never restarted blindly after a crash)
  | 'verifying' // executed, waiting for the settle time before the re-check
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'dry_run'
  | 'ignored' // recorded only: nothing to remediate
  | 'resolved'; // a resolved delivery (clean-up, if any, is in `detail`)

export const TERMINAL: ActionState[] = ['succeeded', 'failed', 'rejected', 'expired', 'cancelled', 'dry_run', 'ignored', 'resolved'];

export interface ActionRecord {
  id: string;
  dedup_key: string;
  alertname: string;
  fingerprint: string;
  starts_at: string;
  status: 'firing' | 'resolved';
  subsystem: string | null;
  action: RecoveryAction | null;
  issue_severity: string | null;
  labels: Record<string, string>;
  state: ActionState;
  reason: string;
  not_before: number | null;
  expires_at: number | null;
  verify_at: number | null;
  before_status: string | null;
  approved: boolean;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  outcome: string | null;
  detail: string | null;
}

export interface JournalStore {
  /** One transaction; duplicates (same dedup_key) are ignored and counted. */
  insertMany(recs: ActionRecord[]): { inserted: ActionRecord[]; duplicates: number };
  /** Runs fn in one transaction (transactions inside it become savepoints): all of it is durable, or none. */
  inTransaction<T>(fn: () => T): T;
  update(id: string, patch: Partial<ActionRecord>): void;
  get(id: string): ActionRecord | null;
  byState(states: ActionState[]): ActionRecord[];
  countByState(state: ActionState): number;
  /** Firing records of one alert instance (fingerprint + startsAt). */
  firingOf(fingerprint: string, startsAt: string): ActionRecord[];
  /** Executions started since `since` for (subsystem, action). */
  startedSince(subsystem: string, action: string, since: number): ActionRecord[];
  /** The latest finished executions for (subsystem, action), newest first. */
  lastFinished(subsystem: string, action: string, limit: number): ActionRecord[];
  history(limit: number, offset?: number): ActionRecord[];
  /** Whether a resolved delivery of this alert instance has been recorded. */
  isResolved(fingerprint: string, startsAt: string): boolean;
  /** The first firing record for (subsystem, action) created since `since` that did something (not `ignored`). */
  handledSince(subsystem: string, action: string, since: number): ActionRecord | null;
  /** Firing records whose fingerprint starts with `prefix` and whose alert has not resolved, one per alert instance. */
  openAlerts(prefix: string): ActionRecord[];
  /** The newest record about a subsystem that did something (not `ignored` or `resolved`). */
  latestFor(subsystem: string): ActionRecord | null;
  close(): void;
}

const COLUMNS = [
  'id', 'dedup_key', 'alertname', 'fingerprint', 'starts_at', 'status', 'subsystem', 'action', 'issue_severity', 'labels', 'state',
  'reason', 'not_before', 'expires_at', 'verify_at', 'before_status', 'approved', 'created_at', 'updated_at', 'started_at',
  'finished_at', 'outcome', 'detail',
] as const;

type Row = Record<(typeof COLUMNS)[number], unknown>;

function toRow(r: ActionRecord): Row {
  return { ...r, labels: JSON.stringify(r.labels), approved: r.approved ? 1 : 0 } as Row;
}

function fromRow(row: Row): ActionRecord {
  return { ...(row as unknown as ActionRecord), labels: JSON.parse(row.labels as string) as Record<string, string>, approved: row.approved === 1 };
}

export class SqliteJournal implements JournalStore {
  private readonly db: Database.Database;
  private readonly stmts: Record<string, Database.Statement>;

  constructor(path: string, synchronous: 'normal' | 'full' = 'normal') {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS actions (
        id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL UNIQUE, alertname TEXT NOT NULL, fingerprint TEXT NOT NULL,
        starts_at TEXT NOT NULL, status TEXT NOT NULL, subsystem TEXT, action TEXT, issue_severity TEXT, labels TEXT NOT NULL,
        state TEXT NOT NULL, reason TEXT NOT NULL, not_before INTEGER, expires_at INTEGER, verify_at INTEGER, before_status TEXT,
        approved INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, started_at INTEGER,
        finished_at INTEGER, outcome TEXT, detail TEXT
      );
      CREATE INDEX IF NOT EXISTS actions_state ON actions(state);
      CREATE INDEX IF NOT EXISTS actions_alert ON actions(fingerprint, starts_at);
      CREATE INDEX IF NOT EXISTS actions_target ON actions(subsystem, action, started_at);
    `);
    this.stmts = {
      insert: this.db.prepare(`INSERT OR IGNORE INTO actions (${COLUMNS.join(',')}) VALUES (${COLUMNS.map((c) => '@' + c).join(',')})`),
      get: this.db.prepare('SELECT * FROM actions WHERE id = ?'),
      firing: this.db.prepare("SELECT * FROM actions WHERE fingerprint = ? AND starts_at = ? AND status = 'firing'"),
      started: this.db.prepare('SELECT * FROM actions WHERE subsystem = ? AND action = ? AND started_at >= ? ORDER BY started_at'),
      finished: this.db.prepare(
        "SELECT * FROM actions WHERE subsystem = ? AND action = ? AND state IN ('succeeded','failed') ORDER BY finished_at DESC LIMIT ?",
      ),
      count: this.db.prepare('SELECT COUNT(*) AS n FROM actions WHERE state = ?'),
      resolved: this.db.prepare("SELECT 1 FROM actions WHERE fingerprint = ? AND starts_at = ? AND status = 'resolved' LIMIT 1"),
      history: this.db.prepare('SELECT * FROM actions ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?'),
      handled: this.db.prepare(
        "SELECT * FROM actions WHERE subsystem = ? AND action = ? AND created_at >= ? AND status = 'firing' AND state != 'ignored' ORDER BY created_at LIMIT 1",
      ),
      open: this.db.prepare(
        `SELECT * FROM actions a WHERE a.fingerprint >= ? AND a.fingerprint < ? AND a.status = 'firing' AND a.state != 'ignored'
           AND NOT EXISTS (SELECT 1 FROM actions b WHERE b.fingerprint = a.fingerprint AND b.starts_at = a.starts_at AND b.status = 'resolved')
         GROUP BY a.fingerprint, a.starts_at`,
      ),
      latest: this.db.prepare("SELECT * FROM actions WHERE subsystem = ? AND state NOT IN ('ignored','resolved') ORDER BY updated_at DESC, rowid DESC LIMIT 1"),
    };
  }

  insertMany(recs: ActionRecord[]): { inserted: ActionRecord[]; duplicates: number } {
    const inserted: ActionRecord[] = [];
    this.db.transaction(() => {
      for (const r of recs) if (this.stmts.insert.run(toRow(r)).changes === 1) inserted.push(r);
    })();
    return { inserted, duplicates: recs.length - inserted.length };
  }

  inTransaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  update(id: string, patch: Partial<ActionRecord>): void {
    const keys = Object.keys(patch).filter((k) => k !== 'id');
    if (keys.length === 0) return;
    const row = toRow({ ...({} as ActionRecord), ...patch } as ActionRecord);
    const params: Record<string, unknown> = { id };
    for (const k of keys) params[k] = k === 'labels' || k === 'approved' ? row[k as keyof Row] : (patch as Record<string, unknown>)[k];
    this.db.prepare(`UPDATE actions SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run(params);
  }

  get(id: string): ActionRecord | null {
    const row = this.stmts.get.get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  byState(states: ActionState[]): ActionRecord[] {
    const rows = this.db.prepare(`SELECT * FROM actions WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY created_at, rowid`).all(...states) as Row[];
    return rows.map(fromRow);
  }

  countByState(state: ActionState): number {
    return (this.stmts.count.get(state) as { n: number }).n;
  }

  firingOf(fingerprint: string, startsAt: string): ActionRecord[] {
    return (this.stmts.firing.all(fingerprint, startsAt) as Row[]).map(fromRow);
  }

  startedSince(subsystem: string, action: string, since: number): ActionRecord[] {
    return (this.stmts.started.all(subsystem, action, since) as Row[]).map(fromRow);
  }

  lastFinished(subsystem: string, action: string, limit: number): ActionRecord[] {
    return (this.stmts.finished.all(subsystem, action, limit) as Row[]).map(fromRow);
  }

  history(limit: number, offset = 0): ActionRecord[] {
    return (this.stmts.history.all(limit, offset) as Row[]).map(fromRow);
  }

  isResolved(fingerprint: string, startsAt: string): boolean {
    return this.stmts.resolved.get(fingerprint, startsAt) !== undefined;
  }

  handledSince(subsystem: string, action: string, since: number): ActionRecord | null {
    const row = this.stmts.handled.get(subsystem, action, since) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  openAlerts(prefix: string): ActionRecord[] {
    // A range on the fingerprint index rather than LIKE (which SQLite will not index case-sensitively).
    return (this.stmts.open.all(prefix, prefix + '\uffff') as Row[]).map(fromRow);
  }

  latestFor(subsystem: string): ActionRecord | null {
    const row = this.stmts.latest.get(subsystem) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  close(): void {
    this.db.close();
  }
}
