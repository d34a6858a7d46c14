// Config keys several check types share, read the same way (and with the same messages) by each.
import { resolve } from 'node:path';
import type { Section } from '../../schema/reader';
import { HEALTH_STATUSES, type HealthStatus } from '../../types';
import type { AgeThresholds } from '../thresholds';

/** A required path or directory key, resolved against data_dir. */
export function requiredPath(m: Section, key: string, dataDir: string): string {
  const v = m.string(key, '');
  if (!v) m.fail(key, 'required');
  return resolve(dataDir, v);
}

/** A key naming the status reported in some condition (missing file, failed probe). */
export function statusKey(m: Section, key: string, def: HealthStatus): HealthStatus {
  return m.oneOf(key, HEALTH_STATUSES, def);
}

/** degraded_after_sec and critical_after_sec, the second no smaller than the first. */
export function ageThresholds(m: Section, defDegraded: number, defCritical: number): AgeThresholds {
  const degraded_after_sec = m.number('degraded_after_sec', defDegraded, { gt: 0 });
  const critical_after_sec = m.number('critical_after_sec', defCritical, { gt: 0 });
  if (critical_after_sec < degraded_after_sec) {
    m.fail('critical_after_sec', `must be at least degraded_after_sec (${degraded_after_sec}), got ${critical_after_sec}`);
  }
  return { degraded_after_sec, critical_after_sec };
}
