// The guide's _evaluate_safety_policy, trading_should_continue and requires_immediate_action.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateSafetyPolicy, requiresImmediateAction, tradingShouldContinue } from '../../src/recommend/policy';
import { policyLevel, type HealthStatus, type IssueSeverity } from '../../src/types';

describe("safety policy (the guide's _evaluate_safety_policy)", () => {
  const crit = (impacts: boolean) => ({ severity: 'critical' as const, impacts_trading: impacts });
  const table: [string, HealthStatus, { severity: IssueSeverity; impacts_trading: boolean }[], string][] = [
    ['failed → emergency_shutdown even with no issues', 'failed', [], 'emergency_shutdown'],
    ['trading-impacting critical → defensive_exit', 'critical', [crit(true)], 'defensive_exit'],
    ['non-trading critical → no_new_trades', 'critical', [crit(false)], 'no_new_trades'],
    ['mixed criticals → defensive_exit', 'critical', [crit(false), crit(true)], 'defensive_exit'],
    [
      'critical without critical issues → safe_risk_profile',
      'critical',
      [{ severity: 'high', impacts_trading: true }],
      'safe_risk_profile',
    ],
    ['degraded → no_new_trades', 'degraded', [{ severity: 'medium', impacts_trading: false }], 'no_new_trades'],
    ['healthy → allow_all', 'healthy', [], 'allow_all'],
    [
      'healthy with CPU issue → allow_all (resources do not change overall)',
      'healthy',
      [{ severity: 'high', impacts_trading: true }],
      'allow_all',
    ],
    ['unknown → no_new_trades (protective)', 'unknown', [], 'no_new_trades'],
  ];
  for (const [name, overall, issues, want] of table) it(name, () => assert.equal(evaluateSafetyPolicy(overall, issues), want));

  it('levels are 0..4 in the order of protection', () => {
    assert.deepEqual(
      ['allow_all', 'safe_risk_profile', 'no_new_trades', 'defensive_exit', 'emergency_shutdown'].map((p) => policyLevel(p as never)),
      [0, 1, 2, 3, 4],
    );
  });

  const cont: [string, string, IssueSeverity[], boolean][] = [
    ['allow_all', 'allow_all', [], true],
    ['no_new_trades without critical', 'no_new_trades', ['medium'], true],
    ['no_new_trades with critical', 'no_new_trades', ['critical'], false],
    ['safe_risk_profile', 'safe_risk_profile', ['high'], true],
    ['defensive_exit', 'defensive_exit', [], false],
    ['emergency_shutdown', 'emergency_shutdown', [], false],
  ];
  for (const [name, policy, sevs, want] of cont) {
    it(`trading_should_continue: ${name} → ${want}`, () =>
      assert.equal(
        tradingShouldContinue(
          policy as never,
          sevs.map((severity) => ({ severity })),
        ),
        want,
      ));
  }
  it('requires_immediate_action on a critical issue or failed overall', () => {
    assert.equal(requiresImmediateAction('failed', []), true);
    assert.equal(requiresImmediateAction('degraded', [{ severity: 'critical' }]), true);
    assert.equal(requiresImmediateAction('critical', [{ severity: 'high' }]), false);
  });
});
