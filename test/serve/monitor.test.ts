// The monitor's schedule, threshold-crossing wake-ups and escalation, with an injected clock.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixedResources } from '../../src/detect/resources';
import { silentLogger } from '../../src/serve/logger';
import { Monitor } from '../../src/serve/monitor';
import { NOW, tempDir, writeAged } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';

function setup(extra: Record<string, unknown> = {}) {
  const root = tempDir();
  let now = NOW;
  healthyPlatform(root, now);
  const config = configIn(root, { policy: { hold_down_sec: 0 }, ...extra });
  const m = new Monitor(config, { clock: () => now, resources: fixedResources(), logger: silentLogger(), watchFiles: false, schedule: false });
  return { root, m, set: (ms: number) => (now = ms), now: () => now };
}

describe('monitor scheduling', () => {
  it('trading-critical subsystems every critical_check_interval, the rest every check_interval', async () => {
    const t = setup();
    await t.m.start();
    const checkedAt = () => Object.fromEntries([...t.m.state].map(([k, v]) => [k, v.result.health.timestamp]));
    const first = checkedAt();
    t.set(NOW + 5_000);
    await t.m.tick();
    const second = checkedAt();
    const changed = Object.keys(second).filter((k) => second[k] !== first[k]).sort();
    assert.deepEqual(changed, ['data_feed', 'event_executor', 'exchange_connection', 'risk_guard']);
  });

  it('wakes exactly when evidence crosses a threshold, and the policy follows at that instant', async () => {
    // Long intervals, so the only wake-up before the crossing is the crossing itself.
    const t = setup({ check_interval: 600, critical_check_interval: 600 });
    writeAged(join(t.root, 'data', 'event_executor_state.json'), JSON.stringify({ last_cycle_timestamp: new Date(NOW - 50_000).toISOString() }), 0);
    await t.m.start();
    assert.equal(t.m.report?.current_safety_policy, 'allow_all');
    const crossing = NOW - 50_000 + 60_000 + 1; // strictly beyond 60 s
    assert.equal(t.m.wakeAt(), crossing);
    t.set(crossing - 1);
    await t.m.tick();
    assert.equal(t.m.state.get('event_executor')!.result.health.status, 'healthy');
    t.set(crossing);
    await t.m.tick();
    assert.equal(t.m.state.get('event_executor')!.result.health.status, 'degraded');
    assert.equal(t.m.report?.current_safety_policy, 'no_new_trades');
    // …and the next wake-up is the next crossing of any evidence: the newest log (1 s old, 60 s limit).
    assert.equal(t.m.wakeAt(), NOW - 1_000 + 60_000 + 1);
  });

  it('critical for max_consecutive_failures checks in a row escalates to failed', async () => {
    const t = setup({ max_consecutive_failures: 3 });
    writeAged(join(t.root, 'data', 'recent_trades.json'), '{}', 3601);
    await t.m.start();
    const status = () => t.m.state.get('exchange_connection')!.result.health.status;
    assert.equal(status(), 'critical');
    t.set(NOW + 5_000);
    await t.m.tick();
    assert.equal(status(), 'critical');
    t.set(NOW + 10_000);
    await t.m.tick();
    assert.equal(status(), 'failed');
    assert.equal(t.m.report?.overall_status, 'failed');
    assert.equal(t.m.report?.current_safety_policy, 'emergency_shutdown');
  });

  it('a high check error rate makes a healthy-looking subsystem degraded', async () => {
    const t = setup({ max_error_rate: 0.2, error_rate_window: 5 });
    await t.m.start();
    const f = join(t.root, 'data', 'universe_snapshot.json');
    // one corrupt read out of five checks (20%) is tolerated, two (40%) are not
    for (let i = 1; i <= 5; i++) {
      writeAged(f, i === 2 || i === 4 ? '{bad' : JSON.stringify({ symbols: ['X'] }), 0, NOW + i * 5000);
      t.set(NOW + i * 5000);
      await t.m.tick();
    }
    const h = t.m.state.get('data_feed')!.result.health;
    assert.equal(h.status, 'degraded');
    assert.match(String(h.details.escalation), /error rate 40%/);
    assert.equal(h.error_count, 2);
  });

  it('the served report carries the served policy and the evaluated one', async () => {
    const t = setup({ policy: { hold_down_sec: 60 } });
    writeAged(join(t.root, 'data', 'recent_trades.json'), '{}', 400);
    await t.m.start();
    assert.equal(t.m.report?.current_safety_policy, 'no_new_trades');
    writeAged(join(t.root, 'data', 'recent_trades.json'), '{}', 0, NOW + 5000);
    t.set(NOW + 5000);
    await t.m.tick();
    assert.equal(t.m.report?.evaluated_safety_policy, 'allow_all');
    assert.equal(t.m.report?.current_safety_policy, 'no_new_trades');
    assert.equal(t.m.wakeAt(), NOW + 5000 + 5000); // regular tick before the hold-down expiry at +65 s
  });
});
