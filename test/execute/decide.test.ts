import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, type DecideOptions } from '../../src/execute/decide';
import { parseWebhook } from '../../src/execute/webhook';
import { amFixture } from '../helpers/fixtures';

const firing = amFixture('webhook-firing');

const opts: DecideOptions = {
  auto_restart_enabled: true,
  auto_pause_on_critical: true,
  knownSubsystems: new Set(['data_feed', 'exchange_connection', 'ai_model', 'event_executor', 'orchestrator', 'logging']),
  requireApproval: ['defensive_exit', 'close_all_positions'],
};
const alert = (labels: Record<string, string>) => ({
  status: 'firing' as const,
  labels,
  annotations: {},
  startsAt: '2026-11-29T12:00:00Z',
  endsAt: '',
  fingerprint: 'f',
  generatorURL: '',
});

describe("decide: the guide's selection applied to an alert", () => {
  const table: [string, Record<string, string>, string, boolean | null][] = [
    [
      'critical data_feed → pause_trading',
      { subsystem: 'data_feed', issue_severity: 'critical', severity: 'warning' },
      'pause_trading',
      true,
    ],
    ['critical ai_model → disable_module', { subsystem: 'ai_model', issue_severity: 'critical' }, 'disable_module', true],
    ['critical orchestrator → restart_subsystem', { subsystem: 'orchestrator', issue_severity: 'critical' }, 'restart_subsystem', true],
    ['failed (high) → switch_to_safe_profile', { subsystem: 'event_executor', issue_severity: 'high' }, 'switch_to_safe_profile', true],
    [
      'CPU (system, high) → switch_to_safe_profile',
      { subsystem: 'system', issue_severity: 'high', severity: 'critical' },
      'switch_to_safe_profile',
      true,
    ],
    ['degraded (medium) → reload_config, needs approval', { subsystem: 'logging', issue_severity: 'medium' }, 'reload_config', false],
    ['no issue_severity: severity critical → critical', { subsystem: 'exchange_connection', severity: 'critical' }, 'pause_trading', true],
    ['no issue_severity: severity warning → high', { subsystem: 'data_feed', severity: 'warning' }, 'switch_to_safe_profile', true],
    ['no issue_severity: severity info → low', { subsystem: 'data_feed', severity: 'info' }, 'reload_config', false],
    ['explicit action wins', { subsystem: 'orchestrator', issue_severity: 'critical', action: 'clear_cache' }, 'clear_cache', false],
    [
      'explicit destructive action always needs approval',
      { subsystem: 'event_executor', action: 'defensive_exit', severity: 'critical' },
      'defensive_exit',
      false,
    ],
    ['action label alone acts on the system', { action: 'no_new_trades', severity: 'critical' }, 'no_new_trades', true],
  ];
  for (const [name, labels, action, auto] of table) {
    it(name, () => {
      const d = decide(alert(labels), opts);
      assert.equal(d.kind, 'act');
      if (d.kind === 'act') {
        assert.equal(d.action, action);
        assert.equal(d.can_auto_execute, auto);
        assert.equal(d.requires_approval, !auto);
      }
    });
  }
  const records: [string, Record<string, string>, RegExp][] = [
    ['neither subsystem nor action', { severity: 'critical' }, /no subsystem or action/],
    ['issue_severity none', { subsystem: 'data_feed', issue_severity: 'none', severity: 'warning' }, /record only/],
    ['unknown subsystem', { subsystem: 'moon_base', issue_severity: 'critical' }, /unknown subsystem/],
    ['unknown action', { subsystem: 'data_feed', action: 'rm -rf /' }, /unknown action/],
    ['unknown severity', { subsystem: 'data_feed', severity: 'page' }, /no issue_severity/],
  ];
  for (const [name, labels, why] of records) {
    it(`records only: ${name}`, () => {
      const d = decide(alert(labels), opts);
      assert.equal(d.kind, 'record');
      if (d.kind === 'record') assert.match(d.reason, why);
    });
  }
  it('auto flags off: critical feed pause needs approval', () => {
    const d = decide(alert({ subsystem: 'data_feed', issue_severity: 'critical' }), { ...opts, auto_pause_on_critical: false });
    assert.deepEqual(d.kind === 'act' && [d.action, d.requires_approval], ['pause_trading', true]);
  });
});

describe('parseWebhook', () => {
  it('accepts the real Alertmanager 0.25 delivery', () => {
    const p = parseWebhook(firing.body);
    assert.equal(p.ok, true);
    if (p.ok) {
      assert.equal(p.value.alerts[0].fingerprint, 'a1fe52deddb23a30');
      assert.equal(p.value.alerts[0].labels.subsystem, 'data_feed');
    }
  });
  it('tolerates unknown fields', () => assert.equal(parseWebhook({ ...firing.body, extra: { x: 1 } }).ok, true));
});
