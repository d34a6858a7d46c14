// A file that must exist (the guide's database check); reports its size.
import { existsSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readKeys } from '../../schema/keys';
import type { Section } from '../../schema/reader';
import type { HealthStatus } from '../../types';
import type { Checker, CheckModule } from '../check';
import { round, statOrNull, writeWithDir } from './fsutil';
import { pathKey, resolvePath, statusKey } from './params';

/** A file_presence check as configured: the file and the status when it is missing. */
export interface FilePresenceSpec {
  type: 'file_presence';
  path: string;
  missing_status: HealthStatus;
}

/** Its keys, declared once (docs, JSON Schema, validation). */
const KEYS = { path: pathKey('The file'), missing_status: statusKey('critical', 'Status when the file is missing.') };

function parse(m: Section, dataDir: string): FilePresenceSpec {
  const v = readKeys(m, KEYS);
  return { type: 'file_presence', path: resolvePath(dataDir, v.path), missing_status: v.missing_status };
}

const run: Checker<FilePresenceSpec> = async (spec) => {
  const st = await statOrNull(spec.path);
  if (!st) {
    return { status: spec.missing_status, details: { path: spec.path, error: 'File missing' }, root_cause: 'Database file missing' };
  }
  return { status: 'healthy', details: { path: spec.path, size_mb: round(st.size / 1024 / 1024, 2) }, evidence_ms: st.mtimeMs };
};

/** The file_presence check type: a file that must exist. */
export const filePresence: CheckModule<FilePresenceSpec> = {
  type: 'file_presence',
  keys: KEYS,
  parse,
  run,
  watches: (spec) => ({ dir: dirname(spec.path), file: basename(spec.path) }),
  thresholds: () => ({}),
  simulate(spec, faulted) {
    if (faulted) rmSync(spec.path, { force: true });
    else if (!existsSync(spec.path)) writeWithDir(spec.path, 'SQLite format 3\u0000');
  },
  fault: (spec) => ({ broken: `${basename(spec.path)} removed`, onset: [{ status: spec.missing_status, after_sec: 0 }] }),
};
