// Age of the newest file matching a pattern in a directory (the guide's logging check).
import { appendFileSync, mkdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readKeys, str } from '../../schema/keys';
import type { Section } from '../../schema/reader';
import type { HealthStatus } from '../../types';
import type { Checker, CheckModule } from '../check';
import { ageOnset, evidenceAge, nextAgeTransition, statusForAge } from '../thresholds';
import { round, statOrNull } from './fsutil';
import { ageKeys, checkAges, pathKey, resolvePath, statusKey } from './params';

/** A newest_file check as configured: the directory, the name pattern and the age limits. */
export interface NewestFileSpec {
  type: 'newest_file';
  dir: string;
  pattern: string;
  degraded_after_sec: number;
  critical_after_sec: number;
  missing_status: HealthStatus;
}

/** Its keys, declared once (docs, JSON Schema, validation). */
const KEYS = {
  dir: pathKey('The directory'),
  pattern: str({ default: '*', reload: 'live', description: 'File name pattern (`*` and `?`).' }),
  ...ageKeys(300, 3600),
  missing_status: statusKey('degraded', 'Status when the directory or every match is missing.'),
};

function parse(m: Section, dataDir: string): NewestFileSpec {
  const v = readKeys(m, KEYS);
  return {
    type: 'newest_file',
    dir: resolvePath(dataDir, v.dir),
    pattern: v.pattern,
    ...checkAges(m, v),
    missing_status: v.missing_status,
  };
}

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const run: Checker<NewestFileSpec> = async (spec, ctx) => {
  let names: string[];
  try {
    names = await readdir(spec.dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { status: spec.missing_status, details: { dir: spec.dir, warning: 'Directory missing' }, root_cause: 'No log directory' };
    }
    throw err;
  }
  const re = globToRegExp(spec.pattern);
  const matches = names.filter((n) => re.test(n));
  const stats = await Promise.all(matches.map((n) => statOrNull(join(spec.dir, n))));
  let newest: { name: string; mtime: number } | null = null;
  matches.forEach((name, i) => {
    const st = stats[i];
    if (st?.isFile() && (!newest || st.mtimeMs > newest.mtime)) newest = { name, mtime: st.mtimeMs };
  });
  const found = newest as { name: string; mtime: number } | null;
  if (!found) {
    return {
      status: spec.missing_status,
      details: { dir: spec.dir, warning: `No files matching ${spec.pattern}` },
      root_cause: 'No log files',
    };
  }
  const age = evidenceAge(found.mtime, ctx.now, ctx.maxSkewMs);
  const status = statusForAge(age, spec);
  return {
    status,
    details: { dir: spec.dir, latest: found.name, age_seconds: round(age) },
    root_cause: status === 'healthy' ? undefined : `Newest log ${Math.round(age)}s old`,
    evidence_ms: found.mtime,
    next_transition_ms: nextAgeTransition(found.mtime, ctx.now, spec),
  };
};

/** The newest_file check type: the age of the newest matching file in a directory. */
export const newestFile: CheckModule<NewestFileSpec> = {
  type: 'newest_file',
  keys: KEYS,
  parse,
  run,
  watches: (spec) => ({ dir: spec.dir, file: null }),
  thresholds: (spec) => ({ degraded_after_sec: spec.degraded_after_sec, critical_after_sec: spec.critical_after_sec }),
  simulate(spec, faulted, now) {
    if (faulted) return;
    mkdirSync(spec.dir, { recursive: true });
    appendFileSync(join(spec.dir, 'trader.log'), `${new Date(now).toISOString()} demo heartbeat\n`);
  },
  fault: (spec) => ({ broken: `nothing new is written to ${basename(spec.dir)}/${spec.pattern}`, onset: ageOnset(spec) }),
};
