// Operator state survives restarts: a latched emergency_shutdown and an operator's override are
// written down beside the journal, so a restarted selfheal (SIGTERM or kill -9) serves them again
// before it is ready (a crash must not release what only a human may).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../config/load';
import { SAFETY_POLICIES, type SafetyPolicy } from '../types';

/** Written whole or not at all: a crash mid-write leaves the old file. */
function writeAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(value) + '\n');
  renameSync(`${path}.tmp`, path);
}

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
    if (this.path) writeAtomic(this.path, { since: new Date(at).toISOString(), reasons });
  }

  clear(): void {
    if (this.path) rmSync(this.path, { force: true });
  }
}

/** An operator's override as written down: the policy, why, and until when (ms since the epoch). */
export interface OverrideRecord {
  policy: SafetyPolicy;
  reason: string;
  until: number;
}

/** The operator's override, beside the journal (none for an in-memory journal). */
export class OverrideFile {
  constructor(readonly path: string | null) {}

  static beside(journalPath: string): OverrideFile {
    return new OverrideFile(journalPath === ':memory:' ? null : join(dirname(journalPath), 'selfheal_override.json'));
  }

  /**
   * The override a previous process left, if any (expired ones included: the caller drops them). A file
   * that cannot be read as one refuses the start (exit 3): selfheal will not guess what an operator set.
   */
  read(): OverrideRecord | null {
    if (!this.path) return null;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return null;
    }
    let v: Partial<OverrideRecord>;
    try {
      v = JSON.parse(text) as Partial<OverrideRecord>;
    } catch {
      v = {};
    }
    if (!SAFETY_POLICIES.includes(v.policy as SafetyPolicy) || typeof v.until !== 'number' || typeof v.reason !== 'string')
      throw new ConfigError(`${this.path}: not an operator override (policy, reason, until); fix it or remove it to start without one`);
    return { policy: v.policy as SafetyPolicy, reason: v.reason, until: v.until };
  }

  write(o: OverrideRecord): void {
    if (this.path) writeAtomic(this.path, o);
  }

  clear(): void {
    if (this.path) rmSync(this.path, { force: true });
  }
}
