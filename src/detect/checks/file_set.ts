// How many of a set of files exist (the guide's AI model files).
import { join } from 'node:path';
import type { FileSetSpec } from '../../config/types';
import type { Checker } from '../check';
import type { HealthStatus } from '../../types';
import { statOrNull } from './fsutil';

export function statusForCount(present: number, spec: Pick<FileSetSpec, 'healthy_min' | 'degraded_min'>): HealthStatus {
  if (present >= spec.healthy_min) return 'healthy';
  if (present >= spec.degraded_min) return 'degraded';
  return 'critical';
}

export const fileSet: Checker<FileSetSpec> = async (spec) => {
  const stats = await Promise.all(spec.files.map((f) => statOrNull(join(spec.dir, f))));
  const existing = spec.files.filter((_, i) => stats[i]?.isFile());
  const status = statusForCount(existing.length, spec);
  return {
    status,
    details: { existing_models: existing, total: existing.length, expected: spec.files.length },
    root_cause: status === 'healthy' ? undefined : 'Missing model files',
  };
};
