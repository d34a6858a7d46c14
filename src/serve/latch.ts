// Operator state survives restarts: a latched emergency_shutdown and an operator's override are
// written down beside the journal, so a restarted selfheal (SIGTERM or kill -9) serves them again
// before it is ready (a crash must not release what only a human may).
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../config/load';
import type { Flaps } from '../analyze/flapping';
import { HEALTH_STATUSES, SAFETY_POLICIES, type HealthStatus, type SafetyPolicy } from '../types';
import { writeFileAtomic } from '../util/atomic_file';

/** Written whole or not at all, and durable before the operator's request is answered. */
function writeAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value) + '\n');
}

/**
 * One piece of operator state in a small JSON file beside the journal (none for an in-memory journal):
 * written whole or not at all, read back as what it was (undefined: no file; null: not JSON).
 */
class StateFile {
  readonly path: string | null;

  constructor(journalPath: string, name: string) {
    this.path = journalPath === ':memory:' ? null : join(dirname(journalPath), name);
  }

  /** The parsed file: undefined when there is none, null when it is not JSON. */
  protected load(): unknown {
    if (!this.path) return undefined;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  }

  protected save(value: unknown): void {
    if (this.path) writeAtomic(this.path, value);
  }

  clear(): void {
    if (this.path) rmSync(this.path, { force: true });
  }
}

export interface LatchRecord {
  since: string;
  reasons: string[];
}

/** A latched emergency_shutdown (`selfheal_latch.json`). */
export class LatchFile extends StateFile {
  /** Beside the journal (like the maintenance windows). */
  static beside(journalPath: string): LatchFile {
    return new LatchFile(journalPath, 'selfheal_latch.json');
  }

  /** The latch left by a previous process, if any. An unreadable file counts as latched: fail closed. */
  read(): LatchRecord | null {
    const v = this.load() as Partial<LatchRecord> | null | undefined;
    if (v === undefined) return null;
    if (v === null || typeof v !== 'object') return { since: 'unknown', reasons: [`${this.path ?? 'the latch file'} is unreadable`] };
    return { since: String(v.since ?? 'unknown'), reasons: Array.isArray(v.reasons) ? v.reasons.map(String) : [] };
  }

  write(at: number, reasons: string[]): void {
    this.save({ since: new Date(at).toISOString(), reasons });
  }
}

/** An operator's override as written down: the policy, why, and until when (ms since the epoch). */
export interface OverrideRecord {
  policy: SafetyPolicy;
  reason: string;
  until: number;
}

/** The operator's override (`selfheal_override.json`). */
export class OverrideFile extends StateFile {
  static beside(journalPath: string): OverrideFile {
    return new OverrideFile(journalPath, 'selfheal_override.json');
  }

  /**
   * The override a previous process left, if any (expired ones included: the caller drops them). A file
   * that cannot be read as one refuses the start (exit 3): selfheal will not guess what an operator set.
   */
  read(): OverrideRecord | null {
    const raw = this.load();
    if (raw === undefined) return null;
    const v = (raw ?? {}) as Partial<OverrideRecord>;
    if (!SAFETY_POLICIES.includes(v.policy as SafetyPolicy) || typeof v.until !== 'number' || typeof v.reason !== 'string')
      throw new ConfigError(`${this.path}: not an operator override (policy, reason, until); fix it or remove it to start without one`);
    return { policy: v.policy as SafetyPolicy, reason: v.reason, until: v.until };
  }

  write(o: OverrideRecord): void {
    this.save(o);
  }
}

/**
 * Flapping subsystems (`selfheal_flapping.json`): their flap floors hold across a restart of selfheal
 * (a restart must not let the policy swing again until three new episodes are seen).
 */
export class FlapFile extends StateFile {
  static beside(journalPath: string): FlapFile {
    return new FlapFile(journalPath, 'selfheal_flapping.json');
  }

  /** What a previous process left; entries that are not flap states are skipped (null: the file is unreadable). */
  read(): Map<string, Flaps> | null {
    const raw = this.load();
    if (raw === undefined) return new Map();
    if (raw === null || typeof raw !== 'object') return null;
    const out = new Map<string, Flaps>();
    for (const [name, v] of Object.entries(raw as Record<string, Partial<Flaps>>)) {
      const starts = Array.isArray(v?.starts) ? v.starts.filter((t): t is number => typeof t === 'number') : [];
      if (!HEALTH_STATUSES.includes(v?.worst as HealthStatus) || (v.since !== null && typeof v.since !== 'number')) continue;
      out.set(name, { starts, worst: v.worst as HealthStatus, since: v.since ?? null });
    }
    return out;
  }

  write(flaps: ReadonlyMap<string, Flaps>): void {
    if (flaps.size === 0) return this.clear();
    this.save(Object.fromEntries(flaps));
  }
}
