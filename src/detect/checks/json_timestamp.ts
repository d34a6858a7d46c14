// A heartbeat timestamp inside a JSON state file (the guide's event executor `last_cycle_timestamp`).
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { readKeys, str } from '../../schema/keys';
import type { Section } from '../../schema/reader';
import type { HealthStatus } from '../../types';
import { EvidenceError, type Checker, type CheckModule } from '../check';
import { ageOnset, evidenceAge, nextAgeTransition, statusForAge } from '../thresholds';
import { parseObject, round, writeWithDir } from './fsutil';
import { ageKeys, checkAges, pathKey, resolvePath, statusKey } from './params';

/** A json_timestamp check as configured: the JSON file, its timestamp field and the age limits. */
export interface JsonTimestampSpec {
  type: 'json_timestamp';
  path: string;
  field: string;
  degraded_after_sec: number;
  critical_after_sec: number;
  missing_status: HealthStatus;
}

/** Its keys, declared once (docs, JSON Schema, validation). */
const KEYS = {
  path: pathKey('The JSON file'),
  field: str({ required: true, reload: 'live', description: 'The timestamp field: ISO-8601 (no offset = UTC) or epoch seconds/ms.' }),
  ...ageKeys(300, 3600),
  missing_status: statusKey('unknown', 'Status when the file or the field is missing.'),
};

function parse(m: Section, dataDir: string): JsonTimestampSpec {
  const v = readKeys(m, KEYS);
  return {
    type: 'json_timestamp',
    path: resolvePath(dataDir, v.path),
    field: v.field,
    ...checkAges(m, v),
    missing_status: v.missing_status,
  };
}

/** ISO-8601; a timestamp without an offset is UTC (the original platform wrote naive UTC). */
export function parseTimestamp(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v > 1e11 ? v : v * 1000;
  if (typeof v !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(v.trim());
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(ms) ? null : ms;
}

const run: Checker<JsonTimestampSpec> = async (spec, ctx) => {
  let text: string;
  try {
    text = await readFile(spec.path, { encoding: 'utf8', signal: ctx.signal });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { status: spec.missing_status, details: { path: spec.path, warning: 'State file missing' }, root_cause: 'State file missing' };
    }
    throw err;
  }
  const data = parseObject(text);
  const raw = data[spec.field];
  if (raw === undefined || raw === null) {
    return {
      status: spec.missing_status,
      details: { path: spec.path, warning: `No ${spec.field} in state file` },
      root_cause: `No ${spec.field} in state file`,
    };
  }
  const ts = parseTimestamp(raw);
  if (ts === null) throw new EvidenceError('bad_date', `${spec.field} is not an ISO-8601 timestamp: ${JSON.stringify(raw).slice(0, 64)}`);
  const age = evidenceAge(ts, ctx.now, ctx.maxSkewMs);
  const status = statusForAge(age, spec);
  return {
    status,
    details: { path: spec.path, [spec.field]: new Date(ts).toISOString(), age_seconds: round(age) },
    root_cause: status === 'healthy' ? undefined : `Last cycle ${Math.round(age)}s ago`,
    evidence_ms: ts,
    next_transition_ms: nextAgeTransition(ts, ctx.now, spec),
  };
};

/** The json_timestamp check type: the age of a timestamp field in a JSON file. */
export const jsonTimestamp: CheckModule<JsonTimestampSpec> = {
  type: 'json_timestamp',
  keys: KEYS,
  parse,
  run,
  watches: (spec) => ({ dir: dirname(spec.path), file: basename(spec.path) }),
  thresholds: (spec) => ({ degraded_after_sec: spec.degraded_after_sec, critical_after_sec: spec.critical_after_sec }),
  simulate(spec, faulted, now) {
    if (!faulted) writeWithDir(spec.path, JSON.stringify({ [spec.field]: new Date(now).toISOString() }));
  },
  fault: (spec) => ({ broken: `heartbeat stopped: ${basename(spec.path)}'s ${spec.field} no longer advances`, onset: ageOnset(spec) }),
};
