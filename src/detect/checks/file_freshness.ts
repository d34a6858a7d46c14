// File freshness by mtime (the guide's data feed, exchange connection and state-file checks).
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { num, optStr, readKeys } from '../../schema/keys';
import type { Section } from '../../schema/reader';
import { worseStatus, type HealthStatus } from '../../types';
import { EvidenceError, type Checker, type CheckModule, type CheckOutcome } from '../check';
import { ageOnset, evidenceAge, nextAgeTransition, statusForAge } from '../thresholds';
import { parseObject, round, statOrNull, writeWithDir } from './fsutil';
import { ageKeys, checkAges, pathKey, resolvePath, statusKey } from './params';

/** A file_freshness check as configured: the file, its age limits, and the statuses for a missing or empty one. */
export interface FileFreshnessSpec {
  type: 'file_freshness';
  path: string;
  degraded_after_sec: number;
  critical_after_sec: number;
  missing_status: HealthStatus;
  /** When set, the file is JSON and this field must be a non-empty array (data_feed's `symbols`). */
  nonempty_field?: string;
  /** The most of the file read for nonempty_field; a larger file is an error naming the limit. */
  max_evidence_bytes: number;
  empty_status: HealthStatus;
}

/** Its keys, declared once (docs, JSON Schema, validation). */
const KEYS = {
  path: pathKey('The file'),
  ...ageKeys(300, 3600),
  missing_status: statusKey('unknown', 'Status when the file is missing.'),
  nonempty_field: optStr({ reload: 'live', description: 'The file is JSON and this field must be a non-empty list.' }),
  max_evidence_bytes: num({
    default: 16 * 1024 * 1024,
    min: 1,
    int: true,
    unit: 'bytes',
    reload: 'live',
    description: 'The most of the file read for `nonempty_field`; a larger file is an error naming the limit.',
  }),
  empty_status: statusKey('critical', 'Status when `nonempty_field` is empty.'),
};

function parse(m: Section, dataDir: string): FileFreshnessSpec {
  const v = readKeys(m, KEYS);
  return {
    type: 'file_freshness',
    path: resolvePath(dataDir, v.path),
    ...checkAges(m, v),
    missing_status: v.missing_status,
    nonempty_field: v.nonempty_field ?? undefined,
    max_evidence_bytes: v.max_evidence_bytes,
    empty_status: v.empty_status,
  };
}

const run: Checker<FileFreshnessSpec> = async (spec, ctx) => {
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
    // Bounded: a runaway snapshot must not take the event loop (and /policy) for seconds.
    if (st.size > spec.max_evidence_bytes) {
      throw new EvidenceError(
        'oversize',
        `${spec.path} is ${st.size} bytes, more than max_evidence_bytes (${spec.max_evidence_bytes}): not read`,
      );
    }
    const text = await readFile(spec.path, { encoding: 'utf8', signal: ctx.signal });
    const field = parseObject(text)[spec.nonempty_field];
    if (field !== undefined && field !== null && !Array.isArray(field)) {
      throw new EvidenceError('torn', `field "${spec.nonempty_field}" is not a list`);
    }
    const count = Array.isArray(field) ? field.length : 0;
    out.details[`${spec.nonempty_field}_count`] = count;
    if (count === 0) {
      out.status = worseStatus(out.status, spec.empty_status);
      out.details.error = `No ${spec.nonempty_field}`;
      out.root_cause = `No ${spec.nonempty_field} in ${spec.path}`;
    }
  }
  return out;
};

/** The file_freshness check type: a file's age by mtime, optionally a non-empty JSON list in it. */
export const fileFreshness: CheckModule<FileFreshnessSpec> = {
  type: 'file_freshness',
  keys: KEYS,
  parse,
  run,
  watches: (spec) => ({ dir: dirname(spec.path), file: basename(spec.path) }),
  thresholds: (spec) => ({ degraded_after_sec: spec.degraded_after_sec, critical_after_sec: spec.critical_after_sec }),
  simulate(spec, faulted, now) {
    if (faulted) return;
    const field = spec.nonempty_field;
    const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
    writeWithDir(spec.path, field ? JSON.stringify({ [field]: symbols, updated: new Date(now).toISOString() }) : '{}');
  },
  fault: (spec) => ({ broken: `${basename(spec.path)} is no longer written (it goes stale)`, onset: ageOnset(spec) }),
};
