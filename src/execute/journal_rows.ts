// The journal's records as SQLite rows and back: the columns, and how each JSON or boolean column is kept.
import type { SupervisorEvidence } from '../handlers/handler';
import type { ActionRecord, JournalRecord } from './journal';

/** The journal table's columns, in insert order. */
export const COLUMNS = [
  'id',
  'dedup_key',
  'alertname',
  'fingerprint',
  'starts_at',
  'status',
  'subsystem',
  'action',
  'issue_severity',
  'labels',
  'state',
  'reason',
  'not_before',
  'expires_at',
  'verify_at',
  'before_status',
  'approved',
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
  'outcome',
  'detail',
  'floor_cleared_at',
  'floor_at',
  'handler_pgid',
  'handler_start',
  'evidence',
] as const;

/** A row as SQLite holds it (labels and evidence as JSON text, approved as 0/1). */
export type Row = Record<(typeof COLUMNS)[number], unknown>;

/** A record as a row. */
export function toRow(r: JournalRecord): Row {
  return {
    ...r,
    labels: JSON.stringify(r.labels),
    approved: r.approved ? 1 : 0,
    floor_cleared_at: r.floor_cleared_at ?? null,
    floor_at: r.floor_at ?? null,
    handler_pgid: r.handler_pgid ?? null,
    handler_start: r.handler_start ?? null,
    evidence: r.evidence ? JSON.stringify(r.evidence) : null,
  } as Row;
}

/** A row as a record. */
export function fromRow(row: Row): JournalRecord {
  return {
    ...(row as unknown as JournalRecord),
    labels: JSON.parse(row.labels as string) as Record<string, string>,
    approved: row.approved === 1,
    evidence: typeof row.evidence === 'string' ? (JSON.parse(row.evidence) as SupervisorEvidence) : null,
  };
}

/** Rows of a query whose WHERE selects actions only (an action state, or not ignored/resolved). */
export function actRows(rows: Row[]): ActionRecord[] {
  return rows.map(fromRow) as ActionRecord[];
}

/** One row of such a query, or null. */
export function actRow(row: Row | undefined): ActionRecord | null {
  return row ? (fromRow(row) as ActionRecord) : null;
}
