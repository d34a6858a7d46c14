// File freshness by mtime (the guide's data feed, exchange connection and state-file checks).
import { readFile } from 'node:fs/promises';
import type { FileFreshnessSpec } from '../../config/types';
import type { Checker, CheckOutcome } from '../check';
import { evidenceAge, nextAgeTransition, statusForAge, worse } from '../thresholds';
import { round, statOrNull } from './fsutil';

export const fileFreshness: Checker<FileFreshnessSpec> = async (spec, ctx) => {
  const st = await statOrNull(spec.path);
  if (!st) {
    return { status: spec.missing_status, details: { path: spec.path, warning: 'File missing' }, root_cause: 'File missing' };
  }
  const mtime = st.mtimeMs;
  const age = evidenceAge(mtime, ctx.now, ctx.maxSkewMs);
  const status = statusForAge(age, spec);
  const out: CheckOutcome = {
    status,
    details: { path: spec.path, age_seconds: round(age) },
    evidence_ms: mtime,
    next_transition_ms: nextAgeTransition(mtime, ctx.now, spec),
  };
  if (status !== 'healthy') {
    out.details.warning = `File ${Math.round(age)}s old (stale)`;
    out.root_cause = 'Stale data';
  }
  if (spec.nonempty_field) {
    const text = await readFile(spec.path, { encoding: 'utf8', signal: ctx.signal });
    const data: unknown = JSON.parse(text);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('expected a JSON object');
    const field = (data as Record<string, unknown>)[spec.nonempty_field];
    if (field !== undefined && field !== null && !Array.isArray(field)) {
      throw new Error(`field "${spec.nonempty_field}" is not a list`);
    }
    const count = Array.isArray(field) ? field.length : 0;
    out.details[`${spec.nonempty_field}_count`] = count;
    if (count === 0) {
      out.status = worse(out.status, spec.empty_status);
      out.details.error = `No ${spec.nonempty_field}`;
      out.root_cause = `No ${spec.nonempty_field} in ${spec.path}`;
    }
  }
  return out;
};
