// How many of a set of files exist (the guide's AI model files).
import { existsSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { num, strings, take } from '../../schema/keys';
import type { Section } from '../../schema/reader';
import type { Checker, CheckModule } from '../check';
import type { HealthStatus } from '../../types';
import { statOrNull, writeWithDir } from './fsutil';
import { pathKey, resolvePath } from './params';

/** A file_set check as configured: the directory, the expected files and how many must be present. */
export interface FileSetSpec {
  type: 'file_set';
  dir: string;
  files: string[];
  /** At least this many present → healthy. */
  healthy_min: number;
  /** At least this many present → degraded; fewer → critical. */
  degraded_min: number;
}

/** Its keys, declared once (docs, JSON Schema, validation). */
const KEYS = {
  dir: pathKey('The directory'),
  files: strings({
    required: true,
    nonEmpty: 'expected a non-empty list of file names',
    reload: 'live',
    description: 'The expected files.',
  }),
  healthy_min: num({
    min: 0,
    int: true,
    unit: 'files',
    defaultText: 'all of `files`',
    reload: 'live',
    description: 'At least this many present: healthy (at most the number of `files`).',
  }),
  degraded_min: num({
    min: 0,
    int: true,
    unit: 'files',
    defaultText: '`healthy_min`',
    reload: 'live',
    description: 'At least this many present: degraded; fewer: critical (at most `healthy_min`).',
  }),
};

function parse(m: Section, dataDir: string): FileSetSpec {
  const dir = resolvePath(dataDir, take(m, KEYS, 'dir'));
  const files = take(m, KEYS, 'files');
  const healthy_min = take(m, KEYS, 'healthy_min', files.length);
  if (healthy_min > files.length) m.fail('healthy_min', `must be at most ${files.length}, got ${healthy_min}`);
  const degraded_min = take(m, KEYS, 'degraded_min', healthy_min);
  if (degraded_min > healthy_min) m.fail('degraded_min', `must be at most ${healthy_min}, got ${degraded_min}`);
  return { type: 'file_set', dir, files, healthy_min, degraded_min };
}

export function statusForCount(present: number, spec: Pick<FileSetSpec, 'healthy_min' | 'degraded_min'>): HealthStatus {
  if (present >= spec.healthy_min) return 'healthy';
  if (present >= spec.degraded_min) return 'degraded';
  return 'critical';
}

const run: Checker<FileSetSpec> = async (spec) => {
  const stats = await Promise.all(spec.files.map((f) => statOrNull(join(spec.dir, f))));
  const existing = spec.files.filter((_, i) => stats[i]?.isFile());
  const status = statusForCount(existing.length, spec);
  return {
    status,
    details: { existing_models: existing, total: existing.length, expected: spec.files.length },
    root_cause: status === 'healthy' ? undefined : 'Missing model files',
  };
};

/** The file_set check type: how many of a set of files exist. */
export const fileSet: CheckModule<FileSetSpec> = {
  type: 'file_set',
  keys: KEYS,
  parse,
  run,
  watches: (spec) => ({ dir: spec.dir, file: null }),
  thresholds: (spec) => ({ healthy_min: spec.healthy_min, degraded_min: spec.degraded_min, expected: spec.files.length }),
  simulate(spec, faulted) {
    const removed = faulted ? faultRemoves(spec) : [];
    for (const f of spec.files) {
      const p = join(spec.dir, f);
      if (removed.includes(f)) rmSync(p, { force: true });
      else if (!existsSync(p)) writeWithDir(p, 'model');
    }
  },
  fault(spec) {
    const removed = faultRemoves(spec);
    const left = spec.files.length - removed.length;
    return {
      broken: `${removed.length} of ${spec.files.length} files removed from ${basename(spec.dir)}/ (${removed.join(', ')}; ${left} left)`,
      onset: [{ status: statusForCount(left, spec), after_sec: 0 }],
    };
  },
};

/** The demo's fault keeps the first file and removes the rest. */
const faultRemoves = (spec: FileSetSpec): string[] => spec.files.slice(1);
