import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTIONS } from '../../src/recommend/actions';
import { HEALTH_STATUSES, RECOVERY_ACTIONS, SYSTEM_SUBSYSTEM, type HealthStatus } from '../../src/types';
import { improved, needsRecheck } from '../../src/verify/verify';

/** improved(before, after), written out: healthy always counts; otherwise only a better rank (unknown ranks with degraded). */
const IMPROVED: Record<HealthStatus | 'null', Record<HealthStatus, boolean>> = {
  null: { healthy: true, degraded: false, unknown: false, critical: false, failed: false },
  healthy: { healthy: true, degraded: false, unknown: false, critical: false, failed: false },
  degraded: { healthy: true, degraded: false, unknown: false, critical: false, failed: false },
  unknown: { healthy: true, degraded: false, unknown: false, critical: false, failed: false },
  critical: { healthy: true, degraded: true, unknown: true, critical: false, failed: false },
  failed: { healthy: true, degraded: true, unknown: true, critical: true, failed: false },
};

describe('improved: every before × after', () => {
  for (const before of [null, ...HEALTH_STATUSES]) {
    for (const after of HEALTH_STATUSES) {
      const want = IMPROVED[before ?? 'null'][after];
      it(`${before ?? 'no status'} → ${after}: ${want ? 'improved' : 'not improved'}`, () => {
        assert.equal(improved(before, after), want);
      });
    }
  }
});

describe('needsRecheck: the table says how an action verifies; system has nothing to re-check', () => {
  for (const a of RECOVERY_ACTIONS) {
    const recheck = ACTIONS[a].verify === 'recheck';
    it(`${a}: ${recheck ? 're-checked' : 'succeeds when applied'}`, () => {
      assert.equal(needsRecheck(a, 'data_feed'), recheck);
      assert.equal(needsRecheck(a, SYSTEM_SUBSYSTEM), false);
    });
  }
  it('a floor is verified by applying it', () => {
    for (const a of RECOVERY_ACTIONS) if (ACTIONS[a].policy_floor) assert.equal(needsRecheck(a, 'data_feed'), false, a);
  });
});
