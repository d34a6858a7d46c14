// The journal's files on disk, watched while running and checked at start (issue 25).
//
// While running: the database and its write-ahead log are held open by file descriptor; fstat says
// when either was unlinked (link count 0) and stat of the path when another file took its place.
// A removed WAL holds every commit since the last checkpoint, and SQLite would go on writing into
// the unlinked file: everything "recorded" from then on would vanish with the process. On the first
// sight of it, what was committed is checkpointed into the database file (still readable through our
// descriptor), and the journal refuses to record until a restart.
//
// At start: a journal identity, written into the database (table journal_meta) and into a file beside
// it (selfheal_identity.json). A journal that opens empty while that file, the emergency_shutdown latch
// or maintenance windows say selfheal ran here before is refused — as PostgreSQL refuses a data
// directory that does not match — and so is a journal whose identity is not the one on record.
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { ConfigError } from '../config/load';
import { writeFileAtomic } from '../util/atomic_file';

/** The file beside the journal that names it (its identity and when it was created). */
export const IDENTITY_FILE = 'selfheal_identity.json';
/**
 * Other state beside the journal that only a previous run leaves behind: the emergency_shutdown latch and the
 * operator's override (serve/latch.ts), maintenance windows (maintenance.ts).
 */
const PREVIOUS_LIFE = ['selfheal_latch.json', 'selfheal_override.json', 'selfheal_maintenance.json'];
/** How long a check of the files is trusted by the journal's writes (the intake always checks afresh). */
export const RECHECK_MS = 250;

interface Held {
  path: string;
  fd: number;
  ino: number;
  dev: number;
}

/** The database file and its WAL, held open to notice their removal or replacement. */
export class JournalFiles {
  private readonly held: Held[] = [];
  private checkedAt = -Infinity;
  /** The first problem seen; it stays until a restart. */
  private sticky: string | null = null;

  /** `checkpoint` copies what the WAL holds into the database file (run once, when the WAL is lost). */
  constructor(
    readonly path: string,
    private readonly checkpoint: () => void,
    private readonly onProblem: (problem: string, rescued: boolean) => void,
  ) {
    for (const p of [path, `${path}-wal`]) {
      try {
        const fd = openSync(p, 'r');
        const st = fstatSync(fd);
        this.held.push({ path: p, fd, ino: st.ino, dev: st.dev });
      } catch {
        /* no WAL yet (nothing written since it was opened): only the database is watched */
      }
    }
  }

  /** Why the journal cannot be trusted to record now, or null; `maxAgeMs` lets a recent answer stand. */
  problem(maxAgeMs = 0): string | null {
    if (this.sticky) return this.sticky;
    const now = performance.now();
    if (now - this.checkedAt < maxAgeMs) return null;
    this.checkedAt = now;
    for (const h of this.held) {
      const why = changed(h);
      if (!why) continue;
      this.sticky = `${h.path === this.path ? 'journal' : 'journal write-ahead log'} ${h.path} was ${why} while running`;
      // A lost WAL with the database file still in place: everything committed so far goes into it now.
      this.rescue(h.path !== this.path && this.held[0].path === this.path && changed(this.held[0]) === null);
      return this.sticky;
    }
    return null;
  }

  /** Closes the descriptors (after the database: closing one earlier would drop SQLite's locks on the file). */
  close(): void {
    for (const h of this.held.splice(0)) closeSync(h.fd);
  }

  private rescue(possible: boolean, again = true): void {
    const problem = this.sticky ?? '';
    if (!possible) return this.onProblem(problem, false);
    try {
      this.checkpoint();
      this.onProblem(problem, true);
    } catch {
      // Inside a transaction (a write noticed it): once the transaction is over.
      if (again) setImmediate(() => this.rescue(true, false));
      else this.onProblem(problem, false);
    }
  }
}

/** Why a held file is no longer the journal's: removed (nothing at its path, or ours unlinked), replaced (another file there), or null. */
function changed(h: Held): 'removed' | 'replaced' | null {
  let at: { ino: number; dev: number };
  try {
    at = statSync(h.path);
  } catch {
    return 'removed';
  }
  if (at.ino !== h.ino || at.dev !== h.dev) return 'replaced';
  return fstatSync(h.fd).nlink === 0 ? 'removed' : null;
}

/** The previous run's traces beside the journal: the identity file, the latch, maintenance windows. */
function tracesBeside(path: string): string[] {
  const dir = dirname(path);
  return [IDENTITY_FILE, ...PREVIOUS_LIFE].map((f) => join(dir, f)).filter((p) => existsSync(p));
}

function readIdentity(file: string): { journal_id: string; created_at?: string } | null {
  if (!existsSync(file)) return null;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { journal_id?: unknown; created_at?: unknown };
    if (typeof v.journal_id === 'string' && v.journal_id) return { journal_id: v.journal_id, created_at: String(v.created_at ?? '') };
  } catch {
    /* unreadable: below */
  }
  throw new ConfigError(`recovery.journal_path: ${file} is unreadable: it should name the journal beside it; restore it or move it away`);
}

function writeIdentity(file: string, id: string, createdAt: string): void {
  writeFileAtomic(file, JSON.stringify({ journal_id: id, created_at: createdAt }) + '\n');
}

const afresh = (path: string, traces: string[]) =>
  `If the journal was lost, restore it (with its -wal file) from a backup. To start afresh on purpose, stop selfheal and move away ${[
    `${path}*`,
    ...traces,
  ].join(', ')} (the latch keeps emergency_shutdown only while it exists: move it only if you mean to release it)`;

/**
 * Before a journal file is created: refused if selfheal ran here before (a new journal would forget
 * every floor, approval and execution). Throws ConfigError (exit 3) naming what says so.
 */
export function refuseNewJournalOverTraces(path: string): void {
  if (path === ':memory:' || existsSync(path)) return;
  const traces = tracesBeside(path);
  if (traces.length)
    throw new ConfigError(
      `recovery.journal_path: ${path} does not exist, but ${traces.join(', ')} say selfheal ran here before. ${afresh(path, traces)}`,
    );
}

/**
 * Before the tables are created: a journal that opened empty (`fresh`: no tables) where selfheal ran
 * before is refused, and nothing is written to it — the next start refuses the same way.
 */
export function refuseEmptyJournalOverTraces(path: string, fresh: boolean): void {
  if (path === ':memory:' || !fresh) return;
  const traces = tracesBeside(path);
  if (traces.length)
    throw new ConfigError(
      `recovery.journal_path: ${path} holds no journal (it opened empty), but ${traces.join(', ')} say selfheal ran here before — was its -wal file removed? ${afresh(path, traces)}`,
    );
}

/**
 * After the tables exist: the journal's identity against the one on record. A new journal gets an
 * identity, checkpointed into the database file before the identity file names it; a journal from
 * before identities (no identity file either) is adopted the same way.
 */
export function checkIdentity(db: Database.Database, path: string): void {
  if (path === ':memory:') return;
  const file = join(dirname(path), IDENTITY_FILE);
  db.exec('CREATE TABLE IF NOT EXISTS journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = db.prepare("SELECT value FROM journal_meta WHERE key = 'journal_id'").get() as { value: string } | undefined;
  const recorded = readIdentity(file);
  if (row && recorded && row.value !== recorded.journal_id)
    throw new ConfigError(
      `recovery.journal_path: ${path} is journal ${row.value}, but ${file} names journal ${recorded.journal_id} (created ${recorded.created_at}): the file was replaced by another journal. Restore the right one, or move ${file} away to adopt this one`,
    );
  if (!row && recorded)
    throw new ConfigError(
      `recovery.journal_path: ${path} has no identity, but ${file} names journal ${recorded.journal_id} (created ${recorded.created_at}): this is not that journal. Restore the right one, or move ${file} away to adopt this one`,
    );
  const id = row?.value ?? randomUUID();
  const createdAt = new Date().toISOString();
  if (!row) {
    db.prepare("INSERT INTO journal_meta (key, value) VALUES ('journal_id', ?), ('created_at', ?)").run(id, createdAt);
    // In the database file itself, not only its WAL, before anything names it.
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  if (!recorded) writeIdentity(file, id, createdAt);
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Refuses what is not a journal, naming the path: a garbage header would otherwise surface as a
 * raw SqliteError, and a file truncated to 0 bytes would silently start an empty journal (every
 * record lost, floors and pending approvals forgotten). A new journal is a path that does not exist.
 */
export function checkJournalFile(path: string): void {
  if (path === ':memory:' || !existsSync(path)) return;
  const st = statSync(path);
  const where = `recovery.journal_path: ${path}`;
  if (!st.isFile()) throw new ConfigError(`${where}: not a regular file`);
  if (st.size === 0) {
    throw new ConfigError(
      `${where}: the file is empty (0 bytes) — truncated? Refusing to start a new journal over it; move it away to start afresh`,
    );
  }
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) throw new ConfigError(`${where}: not a SQLite database (bad header)`);
}
