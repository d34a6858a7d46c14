// The local path beside the full stack: `selfheal serve` restarts a stalled executor itself, the
// moment it turns critical; Prometheus then fires SelfHealSubsystemCritical and both members of an
// HA pair of Alertmanagers deliver it — recorded, never run again: exactly one execution in all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { until } from '../helpers/process';
import { E2E_RECOVERY, e2eConfig, startStack } from '../helpers/e2e';

describe('e2e: local recovery beside an HA pair of Alertmanagers', () => {
  it('one restart across the local path and both Alertmanagers', { timeout: 170_000 }, async () => {
    // settle 12 s and a 6 s restart: the executor stays critical long enough for the alert to fire and be delivered.
    const s = await startStack({
      alertmanagers: 2,
      config: (root) => e2eConfig(root, { recovery: { ...E2E_RECOVERY, local: true, settle_sec: 12 } }),
    });
    s.platform.restartDelayMs = 6_000;
    const restarts = () => s.history().filter((r) => r.action === 'restart_subsystem' && r.subsystem === 'event_executor');
    const faultAt = Date.now();
    s.platform.faults.add('event_executor');
    await until('the local path restarted the executor', async () => restarts().some((r) => r.started_at !== null), 60_000);
    const local = restarts().find((r) => r.started_at !== null)!;
    assert.equal(local.alertname, 'SelfHealLocalRecovery');
    await until(
      'Alertmanager delivered SelfHealSubsystemCritical for event_executor',
      async () =>
        s.history().some((r) => r.alertname === 'SelfHealSubsystemCritical' && r.subsystem === 'event_executor' && r.status === 'firing'),
      90_000,
    );
    await until('the restart is verified', async () => restarts().some((r) => r.state === 'succeeded'), 60_000);
    const delivered = s
      .history()
      .filter((r) => r.alertname === 'SelfHealSubsystemCritical' && r.subsystem === 'event_executor' && r.status === 'firing');
    for (const d of delivered) {
      assert.equal(d.state, 'ignored');
      assert.match(d.reason, /already handled in this episode/);
    }
    // Let a second peer's duplicate (peer timeout + group interval) arrive before counting.
    const window = Date.now() + 6000;
    await until('the duplicate window passed', async () => Date.now() > window, 10_000, 200);
    assert.equal(restarts().filter((r) => r.started_at !== null).length, 1, 'exactly one execution');
    assert.equal(s.platform.restarts.filter((r) => r.subsystem === 'event_executor').length, 1);
    console.log(
      `local restart ${((local.started_at! - faultAt) / 1000).toFixed(1)} s after the fault; Alertmanager deliveries recorded only: ${delivered.length}`,
    );
    assert.notEqual((await s.policy()).policy, 'emergency_shutdown');
  });
});
