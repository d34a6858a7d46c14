// Config keys several check types share, declared once and read the same way (and with the same
// messages) by each.
import { resolve } from 'node:path';
import { num, oneOf, str } from '../../schema/keys';
import type { Section } from '../../schema/reader';
import { HEALTH_STATUSES, type HealthStatus } from '../../types';
import type { AgeThresholds } from '../thresholds';

/** A required file or directory key; relative to data_dir. */
export const pathKey = (description: string) =>
  str({ required: true, reload: 'live', description: `${description} (relative to \`data_dir\`).` });

/** A key naming the status reported in some condition (missing file, failed probe). */
export const statusKey = (def: HealthStatus, description: string) => oneOf(HEALTH_STATUSES, { default: def, reload: 'live', description });

/** degraded_after_sec and critical_after_sec, with this type's defaults. */
export function ageKeys(degraded: number, critical: number) {
  return {
    degraded_after_sec: num({ default: degraded, gt: 0, unit: 'seconds', reload: 'live', description: 'Older evidence is degraded.' }),
    critical_after_sec: num({
      default: critical,
      gt: 0,
      unit: 'seconds',
      reload: 'live',
      description: 'Older evidence is critical (at least `degraded_after_sec`).',
    }),
  };
}

/** The latency a network probe may take before it is degraded. */
export const latencyKey = () =>
  num({ default: 1000, gt: 0, unit: 'milliseconds', reload: 'live', description: 'A slower answer is degraded.' });

/** A path key's value, resolved against data_dir. */
export function resolvePath(dataDir: string, v: string): string {
  return resolve(dataDir, v);
}

/** The second age threshold no smaller than the first (a rule across two keys). */
export function checkAges(m: Section, a: AgeThresholds): AgeThresholds {
  if (a.critical_after_sec < a.degraded_after_sec) {
    m.fail('critical_after_sec', `must be at least degraded_after_sec (${a.degraded_after_sec}), got ${a.critical_after_sec}`);
  }
  return { degraded_after_sec: a.degraded_after_sec, critical_after_sec: a.critical_after_sec };
}
