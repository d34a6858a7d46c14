// Age of the newest file matching a pattern in a directory (the guide's logging check).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NewestFileSpec } from '../../config/types';
import type { Checker } from '../check';
import { evidenceAge, nextAgeTransition, statusForAge } from '../thresholds';
import { round, statOrNull } from './fsutil';

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export const newestFile: Checker<NewestFileSpec> = async (spec, ctx) => {
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
    return { status: spec.missing_status, details: { dir: spec.dir, warning: `No files matching ${spec.pattern}` }, root_cause: 'No log files' };
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
