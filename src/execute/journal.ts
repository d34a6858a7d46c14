// Every decision and outcome, durably. The store interface lets a shared database replace the
// embedded SQLite later; SQLite in WAL mode survives a killed process with nothing lost.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../config/load';
import type { SupervisorEvidence } from '../handlers/handler';
import { ACTIONS } from '../recommend/actions';
import { RECOVERY_ACTIONS, type RecoveryAction } from '../types';
import { BACKSTOP_PAGES, Checkpointer } from './checkpointer';
import {
  checkIdentity,
  checkJournalFile,
  JournalFiles,
  RECHECK_MS,
  refuseEmptyJournalOverTraces,
  refuseNewJournalOverTraces,
} from './journal_files';
import { actRow, actRows, COLUMNS, fromRow, toRow, type Row } from './journal_rows';

/** The states of an action decided for a subsystem: waiting, running, verified, or ended without running. */
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
  | 'dry_run';

export type RecordState =
  | ActionState
  | 'ignored' // recorded only: nothing to remediate
  | 'resolved'; // a resolved delivery (clean-up, if any, is in `detail`)

export const TERMINAL: RecordState[] = ['succeeded', 'failed', 'rejected', 'expired', 'cancelled', 'dry_run', 'ignored', 'resolved'];

/** The columns every journal record has, whatever it is. */
interface RecordBase {
  id: string;
  dedup_key: string;
  alertname: string;
  fingerprint: string;
  starts_at: string;
  labels: Record<string, string>;
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
  /** When an operator lifted the policy floor this action imposed (it is not re-imposed after a restart). */
  floor_cleared_at?: number | null;
  /** When this record's protective floor went in (ms), or null: what a restart re-imposes. */
  floor_at?: number | null;
  /** The process group of the exec handler running this action, and its start (ticks since boot): found again after a crash. */
  handler_pgid?: number | null;
  handler_start?: number | null;
  /** A supervisor's account of the action (docker, systemd handlers): the target before and after. */
  evidence?: SupervisorEvidence | null;
}

/** A firing alert that decided an action for a subsystem, whatever became of it since. */
export interface ActionRecord extends RecordBase {
  status: 'firing';
  state: ActionState;
  subsystem: string;
  action: RecoveryAction;
  issue_severity: string;
}

/**
 * A delivery recorded and nothing more: another host's alert, nothing to remediate, or an action
 * skipped (a maintenance window, already handled in this episode) — then with that action.
 */
export interface IgnoredRecord extends RecordBase {
  status: 'firing' | 'resolved';
  state: 'ignored';
  subsystem: string | null;
  action: RecoveryAction | null;
  issue_severity: string | null;
}

/** A resolved delivery: never a remediation; what it cancelled or lifted is in `detail`. */
export interface ResolvedRecord extends RecordBase {
  status: 'resolved';
  state: 'resolved';
  subsystem: string | null;
  action: null;
  issue_severity: null;
}

/** A journal record, by what it is: an action, a delivery only recorded, or a resolve (one SQLite row each alike). */
export type JournalRecord = ActionRecord | IgnoredRecord | ResolvedRecord;

/** Whether a record is an action (it has a subsystem and an action), not a record-only delivery or a resolve. */
export function isAct(r: JournalRecord): r is ActionRecord {
  return r.state !== 'ignored' && r.state !== 'resolved';
}

export interface JournalStore {
  /** One transaction; duplicates (same dedup_key) are ignored and counted. */
  insertMany(recs: JournalRecord[]): { inserted: JournalRecord[]; duplicates: number };
  /** Runs fn in one transaction (transactions inside it become savepoints): all of it is durable, or none. */
  inTransaction<T>(fn: () => T): T;
  /**
   * Writes `patch` to record `id`; with `from`, only while the record is still in that state
   * (compare-and-set). Whether a row changed.
   */
  update(id: string, patch: Partial<JournalRecord>, from?: RecordState): boolean;
  get(id: string): JournalRecord | null;
  byState(states: ActionState[]): ActionRecord[];
  countByState(state: RecordState): number;
  /** Firing records whose protective floor went in, was not lifted by an operator, and whose alert has not resolved. */
  floored(): (ActionRecord | IgnoredRecord)[];
  /** Firing records of one alert instance (fingerprint + startsAt). */
  firingOf(fingerprint: string, startsAt: string): (ActionRecord | IgnoredRecord)[];
  /** Executions started since `since` for (subsystem, action). */
  startedSince(subsystem: string, action: string, since: number): ActionRecord[];
  /** The latest finished executions for (subsystem, action), newest first; own faults (nothing ran) are not among them. */
  lastFinished(subsystem: string, action: string, limit: number): ActionRecord[];
  history(limit: number, offset?: number): JournalRecord[];
  /** Whether a resolved delivery of this alert instance has been recorded. */
  isResolved(fingerprint: string, startsAt: string): boolean;
  /** The first firing record for (subsystem, action) created since `since` that did something (not `ignored`). */
  handledSince(subsystem: string, action: string, since: number): ActionRecord | null;
  /** Firing records whose fingerprint starts with `prefix` and whose alert has not resolved, one per alert instance. */
  openAlerts(prefix: string): ActionRecord[];
  /** The newest record about a subsystem that did something (not `ignored` or `resolved`). */
  latestFor(subsystem: string): ActionRecord | null;
  /**
   * Recorded actions whose not_before has passed, oldest first, a page at a time: the page after
   * `after` (the `next` of the page before; null for the first). A cursor, not an OFFSET: a pass
   * that skips thousands of rows of busy lanes must not re-read them for every page (issue 25).
   */
  dueRecorded(now: number, limit: number, after: DueCursor | null): { rows: ActionRecord[]; next: DueCursor | null };
  /** Records of one state whose deadline column (expires_at / verify_at) has passed, at most `limit`. */
  due(state: 'pending_approval' | 'verifying', now: number, limit?: number): ActionRecord[];
  /** The earliest deadline of anything waiting (not_before, verify_at, expires_at), or null. */
  nextDue(): number | null;
  /** Pending approvals, oldest first, a page at a time. */
  pendingPage(limit: number, offset: number): ActionRecord[];
  /**
   * Retention: deletes terminal records last updated before `cutoff`, but only whole alert
   * instances that have resolved and are entirely terminal — an unresolved alert keeps its records.
   */
  compact(cutoff: number, batch?: number): number;
  /** Why the journal cannot record right now (file removed or replaced under us), or null. */
  problem(): string | null;
  close(): void;
}

/** Where a page of due records ended: the last row's created_at and rowid. */
export interface DueCursor {
  created_at: number;
  rowid: number;
}

export class SqliteJournal implements JournalStore {
  private readonly db: Database.Database;
  private readonly stmts: Record<string, Database.Statement>;
  private readonly updates = new Map<string, Database.Statement>();
  /** The database and WAL files as opened (removed or replaced under us: see journal_files.ts); null in memory. */
  private readonly files: JournalFiles | null;
  /** Checkpoints the WAL in a worker thread (none for an in-memory journal). */
  private readonly checkpointer: Checkpointer | null;
  /** Told once when the files are lost (the receiver logs and pages), with whether what was committed was saved. */
  onLost: (problem: string, rescued: boolean) => void = () => undefined;

  constructor(
    private readonly path: string,
    synchronous: 'normal' | 'full' = 'normal',
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    checkJournalFile(path);
    refuseNewJournalOverTraces(path);
    let db: Database.Database | null = null;
    try {
      db = this.db = new Database(path);
      const fresh = !db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'actions'").get();
      refuseEmptyJournalOverTraces(path, fresh);
      this.init(synchronous);
      checkIdentity(db, path);
    } catch (err) {
      db?.close();
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`recovery.journal_path: ${path}: cannot open the journal: ${(err as Error).message}`);
    }
    this.files =
      path === ':memory:'
        ? null
        : new JournalFiles(
            path,
            () => this.db.pragma('wal_checkpoint(TRUNCATE)'),
            (p, rescued) => this.onLost(p, rescued),
          );
    if (path !== ':memory:') this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.checkpointer = path === ':memory:' ? null : new Checkpointer(path);
    this.stmts = this.prepare();
  }

  problem(): string | null {
    return this.files?.problem() ?? null;
  }

  /** Writes are refused once the files are lost: nothing may look recorded that a restart would not find. */
  private writable(): void {
    const p = this.files?.problem(RECHECK_MS);
    if (p) throw new Error(`the journal cannot record: ${p}`);
    this.checkpointer?.written();
  }

  private init(synchronous: 'normal' | 'full'): void {
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
    const cols = (this.db.prepare('PRAGMA table_info(actions)').all() as { name: string }[]).map((c) => c.name);
    // Columns added since the first release: a journal written by an older selfheal gains them.
    for (const col of ['floor_cleared_at', 'floor_at', 'handler_pgid', 'handler_start'])
      if (!cols.includes(col)) this.db.exec(`ALTER TABLE actions ADD COLUMN ${col} INTEGER`);
    if (!cols.includes('floor_at')) this.backfillFloors();
    if (!cols.includes('evidence')) this.db.exec('ALTER TABLE actions ADD COLUMN evidence TEXT');
    // Indexes that match the hot queries, so an alert storm costs O(alerts), not O(alerts × history).
    this.db.exec(`
      -- Partial: an insert or update touches them only for rows in that state (intake stays lean).
      CREATE INDEX IF NOT EXISTS actions_finished ON actions(subsystem, action, finished_at) WHERE state IN ('succeeded','failed');
      CREATE INDEX IF NOT EXISTS actions_not_before ON actions(not_before) WHERE state = 'recorded';
      CREATE INDEX IF NOT EXISTS actions_recorded ON actions(created_at) WHERE state = 'recorded';
      CREATE INDEX IF NOT EXISTS actions_expires ON actions(expires_at) WHERE state = 'pending_approval';
      CREATE INDEX IF NOT EXISTS actions_verify ON actions(verify_at) WHERE state = 'verifying';
      -- Retention walks from the oldest; created_at never changes, so updates never touch this one.
      CREATE INDEX IF NOT EXISTS actions_created ON actions(created_at);
      -- The floors a restart re-imposes: few rows, read once at start.
      CREATE INDEX IF NOT EXISTS actions_floored ON actions(created_at) WHERE floor_at IS NOT NULL AND floor_cleared_at IS NULL;
    `);
  }

  private prepare(): Record<string, Database.Statement> {
    const terminal = TERMINAL.map((t) => `'${t}'`).join(',');
    return {
      insert: this.db.prepare(`INSERT OR IGNORE INTO actions (${COLUMNS.join(',')}) VALUES (${COLUMNS.map((c) => '@' + c).join(',')})`),
      get: this.db.prepare('SELECT * FROM actions WHERE id = ?'),
      firing: this.db.prepare("SELECT * FROM actions WHERE fingerprint = ? AND starts_at = ? AND status = 'firing'"),
      floored: this.db.prepare(
        `SELECT * FROM actions a INDEXED BY actions_floored WHERE a.floor_at IS NOT NULL AND a.floor_cleared_at IS NULL AND a.status = 'firing'
           AND NOT EXISTS (SELECT 1 FROM actions b WHERE b.fingerprint = a.fingerprint AND b.starts_at = a.starts_at AND b.status = 'resolved')
         ORDER BY a.created_at`,
      ),
      started: this.db.prepare('SELECT * FROM actions WHERE subsystem = ? AND action = ? AND started_at >= ? ORDER BY started_at'),
      finished: this.db.prepare(
        // A handler that never reached its supervisor (outcome own_fault) ran nothing: not a verified outcome.
        "SELECT * FROM actions WHERE subsystem = ? AND action = ? AND state IN ('succeeded','failed') AND coalesce(outcome, '') != 'own_fault' ORDER BY finished_at DESC LIMIT ?",
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
      latest: this.db.prepare(
        "SELECT * FROM actions WHERE subsystem = ? AND state NOT IN ('ignored','resolved') ORDER BY updated_at DESC, rowid DESC LIMIT 1",
      ),
      dueRecorded: this.db.prepare(
        `SELECT rowid AS cursor_rowid, * FROM actions INDEXED BY actions_recorded WHERE state = 'recorded' AND coalesce(not_before, 0) <= @now
           AND (created_at, rowid) > (@created_at, @rowid) ORDER BY created_at, rowid LIMIT @limit`,
      ),
      duePending: this.db.prepare(
        "SELECT * FROM actions INDEXED BY actions_expires WHERE state = 'pending_approval' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
      ),
      dueVerifying: this.db.prepare(
        "SELECT * FROM actions INDEXED BY actions_verify WHERE state = 'verifying' AND verify_at <= ? ORDER BY verify_at LIMIT ?",
      ),
      nextDue: this.db.prepare(`SELECT min(t) AS t FROM (
        SELECT min(not_before) AS t FROM actions INDEXED BY actions_not_before WHERE state = 'recorded'
        UNION ALL SELECT min(verify_at) FROM actions INDEXED BY actions_verify WHERE state = 'verifying'
        UNION ALL SELECT min(expires_at) FROM actions INDEXED BY actions_expires WHERE state = 'pending_approval')`),
      pending: this.db.prepare("SELECT * FROM actions WHERE state = 'pending_approval' ORDER BY created_at, rowid LIMIT ? OFFSET ?"),
      compact: this.db.prepare(`DELETE FROM actions WHERE rowid IN (
        SELECT a.rowid FROM actions a INDEXED BY actions_created WHERE a.created_at < @cutoff AND a.updated_at < @cutoff AND a.state IN (${terminal})
          AND EXISTS (SELECT 1 FROM actions r WHERE r.fingerprint = a.fingerprint AND r.starts_at = a.starts_at AND r.status = 'resolved')
          AND NOT EXISTS (SELECT 1 FROM actions n WHERE n.fingerprint = a.fingerprint AND n.starts_at = a.starts_at
            AND (n.state NOT IN (${terminal}) OR n.updated_at >= @cutoff))
        LIMIT @batch)`),
    };
  }

  insertMany(recs: JournalRecord[]): { inserted: JournalRecord[]; duplicates: number } {
    this.writable();
    const inserted: JournalRecord[] = [];
    this.db.transaction(() => {
      for (const r of recs) if (this.stmts.insert.run(toRow(r)).changes === 1) inserted.push(r);
    })();
    return { inserted, duplicates: recs.length - inserted.length };
  }

  inTransaction<T>(fn: () => T): T {
    this.writable();
    return this.db.transaction(fn)();
  }

  /**
   * A journal from before `floor_at`: its protective actions that ran held their floor while their
   * alert fired (the old restart re-imposed those). Marked here, so an upgrade mid-incident keeps them.
   */
  private backfillFloors(): void {
    const protective = RECOVERY_ACTIONS.filter((a) => ACTIONS[a].policy_floor);
    this.db
      .prepare(
        `UPDATE actions SET floor_at = coalesce(started_at, created_at) WHERE floor_at IS NULL AND status = 'firing'
           AND state IN ('running','verifying','succeeded','failed') AND action IN (${protective.map(() => '?').join(',')})`,
      )
      .run(...protective);
  }

  update(id: string, patch: Partial<JournalRecord>, from?: RecordState): boolean {
    this.writable();
    const keys = Object.keys(patch).filter((k) => k !== 'id');
    if (keys.length === 0) return true;
    const row = toRow({ ...({} as JournalRecord), ...patch } as JournalRecord);
    const params: Record<string, unknown> = { id };
    for (const k of keys)
      params[k] = k === 'labels' || k === 'approved' || k === 'evidence' ? row[k as keyof Row] : (patch as Record<string, unknown>)[k];
    if (from !== undefined) params.from_state = from;
    const sig = `${keys.join(',')}${from === undefined ? '' : '?'}`;
    let stmt = this.updates.get(sig);
    if (!stmt) {
      const where = from === undefined ? 'id = @id' : 'id = @id AND state = @from_state';
      stmt = this.db.prepare(`UPDATE actions SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE ${where}`);
      this.updates.set(sig, stmt);
    }
    return stmt.run(params).changes > 0;
  }

  get(id: string): JournalRecord | null {
    const row = this.stmts.get.get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  byState(states: ActionState[]): ActionRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM actions WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY created_at, rowid`)
      .all(...states) as Row[];
    return actRows(rows);
  }

  countByState(state: RecordState): number {
    return (this.stmts.count.get(state) as { n: number }).n;
  }

  floored(): (ActionRecord | IgnoredRecord)[] {
    return (this.stmts.floored.all() as Row[]).map(fromRow) as (ActionRecord | IgnoredRecord)[];
  }

  firingOf(fingerprint: string, startsAt: string): (ActionRecord | IgnoredRecord)[] {
    return (this.stmts.firing.all(fingerprint, startsAt) as Row[]).map(fromRow) as (ActionRecord | IgnoredRecord)[];
  }

  startedSince(subsystem: string, action: string, since: number): ActionRecord[] {
    return actRows(this.stmts.started.all(subsystem, action, since) as Row[]);
  }

  lastFinished(subsystem: string, action: string, limit: number): ActionRecord[] {
    return actRows(this.stmts.finished.all(subsystem, action, limit) as Row[]);
  }

  history(limit: number, offset = 0): JournalRecord[] {
    return (this.stmts.history.all(limit, offset) as Row[]).map(fromRow);
  }

  isResolved(fingerprint: string, startsAt: string): boolean {
    return this.stmts.resolved.get(fingerprint, startsAt) !== undefined;
  }

  handledSince(subsystem: string, action: string, since: number): ActionRecord | null {
    return actRow(this.stmts.handled.get(subsystem, action, since) as Row | undefined);
  }

  openAlerts(prefix: string): ActionRecord[] {
    // A range on the fingerprint index rather than LIKE (which SQLite will not index case-sensitively).
    return actRows(this.stmts.open.all(prefix, prefix + '\uffff') as Row[]);
  }

  latestFor(subsystem: string): ActionRecord | null {
    return actRow(this.stmts.latest.get(subsystem) as Row | undefined);
  }

  dueRecorded(now: number, limit: number, after: DueCursor | null): { rows: ActionRecord[]; next: DueCursor | null } {
    const from = after ?? { created_at: -Infinity, rowid: 0 };
    const raw = this.stmts.dueRecorded.all({ now, limit, ...from }) as (Row & { cursor_rowid: number })[];
    const last = raw[raw.length - 1];
    const rows = raw.map(({ cursor_rowid: _, ...row }) => row);
    return { rows: actRows(rows), next: last ? { created_at: last.created_at as number, rowid: last.cursor_rowid } : after };
  }

  due(state: 'pending_approval' | 'verifying', now: number, limit = -1): ActionRecord[] {
    return actRows((state === 'verifying' ? this.stmts.dueVerifying : this.stmts.duePending).all(now, limit) as Row[]);
  }

  nextDue(): number | null {
    return (this.stmts.nextDue.get() as { t: number | null }).t;
  }

  pendingPage(limit: number, offset: number): ActionRecord[] {
    return actRows(this.stmts.pending.all(limit, offset) as Row[]);
  }

  compact(cutoff: number, batch = 1000): number {
    return this.stmts.compact.run({ cutoff, batch }).changes;
  }

  close(): void {
    this.checkpointer?.stop();
    this.db.close();
    this.files?.close();
  }
}
