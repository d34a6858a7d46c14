// Fail closed across crashes: a latched emergency_shutdown is written down, so a restarted selfheal
// serves it again until an operator resets it (a crash must not release what only a human may).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface LatchRecord {
  since: string;
  reasons: string[];
}

export class LatchFile {
  constructor(readonly path: string | null) {}

  /** Beside the journal (like the maintenance windows); none for an in-memory journal. */
  static beside(journalPath: string): LatchFile {
    return new LatchFile(journalPath === ':memory:' ? null : join(dirname(journalPath), 'selfheal_latch.json'));
  }

  /** The latch left by a previous process, if any. An unreadable file counts as latched: fail closed. */
  read(): LatchRecord | null {
    if (!this.path) return null;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return null;
    }
    try {
      const v = JSON.parse(text) as Partial<LatchRecord>;
      return { since: String(v.since ?? 'unknown'), reasons: Array.isArray(v.reasons) ? v.reasons.map(String) : [] };
    } catch {
      return { since: 'unknown', reasons: [`${this.path} is unreadable`] };
    }
  }

  write(at: number, reasons: string[]): void {
    if (!this.path) return;
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(`${this.path}.tmp`, JSON.stringify({ since: new Date(at).toISOString(), reasons }) + '\n');
    renameSync(`${this.path}.tmp`, this.path);
  }

  clear(): void {
    if (this.path) rmSync(this.path, { force: true });
  }
}
