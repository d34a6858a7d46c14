// The guide's action selection: which action for which issue, when it may run unattended, priorities.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTIONS } from '../../src/recommend/actions';
import { recommend, selectAction } from '../../src/recommend/recommendations';
import { RECOVERY_ACTIONS, type DetectedIssue, type IssueSeverity } from '../../src/types';

describe("recommendations (the guide's action selection)", () => {
  const on = { auto_restart_enabled: true, auto_pause_on_critical: true };
  const off = { auto_restart_enabled: false, auto_pause_on_critical: false };
  const table: [string, IssueSeverity, typeof on, string, boolean][] = [
    ['exchange_connection', 'critical', on, 'pause_trading', true],
    ['data_feed', 'critical', off, 'pause_trading', false],
    ['ai_model', 'critical', off, 'disable_module', true],
    ['database', 'critical', on, 'restart_subsystem', true],
    ['database', 'critical', off, 'restart_subsystem', false],
    ['data_feed', 'high', off, 'switch_to_safe_profile', true],
    ['system', 'high', on, 'switch_to_safe_profile', true],
    ['data_feed', 'medium', on, 'reload_config', false],
    ['logging', 'low', on, 'reload_config', false],
  ];
  for (const [subsystem, severity, flags, action, auto] of table) {
    it(`${subsystem} ${severity} (${flags === on ? 'auto on' : 'auto off'}) → ${action}, auto ${auto}`, () => {
      assert.deepEqual(selectAction({ subsystem, severity }, flags), { action, can_auto_execute: auto });
    });
  }
  it('every action has a description, expected result and risks', () => {
    for (const a of RECOVERY_ACTIONS) {
      assert.ok(ACTIONS[a].describe('x').length > 0 && ACTIONS[a].expected_result && ACTIONS[a].risks.length > 0, a);
    }
  });
  it('priority 1 for critical, 2 otherwise, sorted stably; approval = !auto', () => {
    const mk = (subsystem: string, severity: IssueSeverity): DetectedIssue => ({
      issue_id: `${subsystem}_x`,
      subsystem,
      severity,
      timestamp: '',
      description: '',
      symptoms: [],
      root_cause: null,
      impacts_trading: false,
      affects_subsystems: [],
    });
    const recs = recommend(
      [mk('data_feed', 'medium'), mk('ai_model', 'critical'), mk('logging', 'medium'), mk('database', 'critical')],
      on,
    );
    assert.deepEqual(
      recs.map((r) => [r.issue.subsystem, r.priority]),
      [
        ['ai_model', 1],
        ['database', 1],
        ['data_feed', 2],
        ['logging', 2],
      ],
    );
    assert.equal(recs[0].recommendation_id, 'rec_2_ai_model_x');
    for (const r of recs) assert.equal(r.requires_approval, !r.can_auto_execute);
  });
});
