// The guide's vocabulary (src/types.ts) against the guide itself. This is the one place the sizes of
// the tables are written down; every other test derives them from the tables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_SUBSYSTEMS, HEALTH_STATUSES, ISSUE_SEVERITIES, RECOVERY_ACTIONS, SAFETY_POLICIES } from '../src/types';
import { guideEnum, guideTable, guideText } from './helpers/fixtures';

describe("the guide's vocabulary", () => {
  const md = guideText();

  it('13 subsystems, 10 actions, 5 statuses, 5 policies, 4 severities', () => {
    const sizes = [BUILTIN_SUBSYSTEMS, RECOVERY_ACTIONS, HEALTH_STATUSES, SAFETY_POLICIES, ISSUE_SEVERITIES].map((t) => t.length);
    assert.deepEqual(sizes, [13, 10, 5, 5, 4]);
  });
  it("statuses, severities and actions are the guide's enums, in its order", () => {
    assert.deepEqual([...HEALTH_STATUSES], guideEnum(md, 'HealthStatus'));
    assert.deepEqual([...ISSUE_SEVERITIES], guideEnum(md, 'IssueSeverity'));
    assert.deepEqual([...RECOVERY_ACTIONS], guideEnum(md, 'RecoveryAction'));
  });
  it("policies are the guide's enum, ordered by protection rather than as the guide lists them", () => {
    assert.deepEqual([...SAFETY_POLICIES].sort(), guideEnum(md, 'SafetyPolicy').sort());
  });
  it("the built-in subsystems are the guide's Monitored Subsystems, in its order", () => {
    const rows = guideTable(md, '### Monitored Subsystems');
    assert.deepEqual(
      [...BUILTIN_SUBSYSTEMS],
      rows.map(([name]) => name.replace(/`/g, '').toLowerCase()),
    );
  });
});
