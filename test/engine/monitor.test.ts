// The monitor's schedule, threshold-crossing wake-ups and escalation, with an injected clock.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fsPromises from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fixedResources } from '../../src/detect/resources';
import { silentLogger } from '../../src/log/logger';
import { Monitor } from '../../src/engine/monitor';
import { NOW, tempDir, writeAged } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';

function setup(extra: Record<string, unknown> = {}) {
  const root = tempDir();
  let now = NOW;
  healthyPlatform(root, now);
  const config = configIn(root, { policy: { hold_down_sec: 0 }, ...extra });
  const m = new Monitor(config, {
    clock: () => now,
    resources: fixedResources(),
    logger: silentLogger(),
    watchFiles: false,
    schedule: false,
  });
  return { root, m, set: (ms: number) => (now = ms), now: () => now };
}

/** An HTTP endpoint a check can probe, that answers, or (hang = true) never does. */
async function gateway() {
  const state = { hang: false, url: '', close: () => {} };
  const srv = createServer((_req, res) => {
    if (!state.hang) res.end('ok');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
  state.close = () => {
    srv.closeAllConnections();
    srv.close();
  };
  return state;
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
    const changed = Object.keys(second)
      .filter((k) => second[k] !== first[k])
      .sort();
    assert.deepEqual(changed, ['data_feed', 'event_executor', 'exchange_connection', 'risk_guard']);
  });

  it('wakes exactly when evidence crosses a threshold, and the policy follows at that instant', async () => {
    // Long intervals, so the only wake-up before the crossing is the crossing itself.
    const t = setup({ check_interval: 600, critical_check_interval: 600 });
    writeAged(
      join(t.root, 'data', 'event_executor_state.json'),
      JSON.stringify({ last_cycle_timestamp: new Date(NOW - 50_000).toISOString() }),
      0,
    );
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

  it('critical for any number of checks stays critical: no promotion by counting checks', async () => {
    const t = setup({ max_consecutive_failures: 3 });
    writeAged(join(t.root, 'data', 'recent_trades.json'), '{}', 3601);
    await t.m.start();
    for (let i = 1; i <= 10; i++) {
      t.set(NOW + i * 5_000);
      await t.m.tick();
    }
    assert.equal(t.m.state.get('exchange_connection')!.result.health.status, 'critical');
    assert.equal(t.m.report?.current_safety_policy, 'defensive_exit');
  });

  it('exhausted recovery (and only that) escalates critical to failed → emergency_shutdown, latched', async () => {
    const t = setup();
    writeAged(
      join(t.root, 'data', 'event_executor_state.json'),
      JSON.stringify({ last_cycle_timestamp: new Date(NOW - 400_000).toISOString() }),
      0,
    );
    let exhausted: string | null = null;
    const asked: [string, number][] = [];
    t.m.setRecoveryProbe({ exhausted: (s, since) => (asked.push([s, since]), exhausted) });
    await t.m.start();
    assert.equal(t.m.state.get('event_executor')!.result.health.status, 'critical');
    assert.equal(t.m.report?.current_safety_policy, 'defensive_exit');
    assert.deepEqual(asked.at(-1), ['event_executor', NOW], 'asked for this episode, which began at the first unhealthy check');
    exhausted = '3 restart_subsystem attempts in a row verified as failed';
    await t.m.reevaluate();
    const h = t.m.state.get('event_executor')!.result.health;
    assert.equal(h.status, 'failed');
    assert.equal(h.details.escalation, `recovery exhausted: ${exhausted}`);
    assert.equal(t.m.report?.current_safety_policy, 'emergency_shutdown');
    assert.equal(t.m.policy.isLatched, true);
  });

  it('a torn read changes nothing: the last status is kept, the error shown, a retry due within the interval', async () => {
    const t = setup();
    const f = join(t.root, 'data', 'event_executor_state.json');
    await t.m.start();
    const policy = t.m.report?.current_safety_policy;
    writeAged(f, '{"last_cycle_timest', 0, NOW + 1000);
    t.set(NOW + 1000);
    await t.m.forceCheck();
    const h = t.m.state.get('event_executor')!.result.health;
    assert.equal(h.status, 'healthy');
    assert.match(String(h.details.error), /corrupt JSON/);
    assert.equal(t.m.report?.current_safety_policy, policy);
    assert.equal(t.m.report?.overall_status, 'healthy');
    // the retry: one spacing (critical_check_interval 5 s / 3) later, not at the next interval
    const due = t.m.wakeAt();
    assert.ok(due <= NOW + 1000 + 1667 && due > NOW + 1000, `retry due at +${due - NOW - 1000} ms`);
    writeAged(f, JSON.stringify({ last_cycle_timestamp: new Date(NOW + 1500).toISOString() }), 0, NOW + 1500);
    t.set(due);
    await t.m.tick();
    const after = t.m.state.get('event_executor')!.result.health;
    assert.equal(after.status, 'healthy');
    assert.equal(after.details.error, undefined);
    assert.equal(t.m.state.get('event_executor')!.history.consecutive_errors, 0);
  });

  it('a heartbeat that turns to garbage ages exactly like one that stopped: degraded, then critical, never failed', async () => {
    const stopped = setup();
    const garbage = setup();
    await stopped.m.start();
    await garbage.m.start();
    // Both wrote a valid heartbeat at NOW; one then stops, the other keeps writing garbage.
    const f = join(garbage.root, 'data', 'event_executor_state.json');
    const seen: [string, string][] = [];
    for (const sec of [1, 30, 59, 61, 120, 299, 301, 600]) {
      writeAged(f, sec % 2 ? '{"last_cycle_timest' : '\u0000garbage', 0, NOW + sec * 1000);
      for (const t of [stopped, garbage]) {
        t.set(NOW + sec * 1000);
        await t.m.forceCheck();
      }
      const st = (t: typeof stopped) => t.m.state.get('event_executor')!.result.health.status;
      seen.push([st(stopped), st(garbage)]);
      assert.equal(st(garbage), st(stopped), `${sec}s`);
    }
    assert.deepEqual(
      seen.map(([, g]) => g),
      ['healthy', 'healthy', 'healthy', 'degraded', 'degraded', 'degraded', 'critical', 'critical'],
    );
    const h = garbage.m.state.get('event_executor')!.result.health;
    assert.match(String(h.details.error), /corrupt JSON/);
    assert.equal(h.details.invalid, 'torn');
    assert.match(String(h.details.warning), /No valid evidence for 60\ds/);
  });

  it('a missing heartbeat is a status, not fresh evidence: a torn file after it ages from the last valid time, never healthy', async () => {
    // [what was there before the missing file, seconds after NOW of the torn read, the status then]
    const cases: [string, number, string][] = [
      ['a valid heartbeat at NOW', 121, 'degraded'],
      ['a valid heartbeat at NOW', 301, 'critical'],
      ['nothing since start', 1, 'unknown'],
    ];
    for (const [before, sec, want] of cases) {
      const t = setup();
      const f = join(t.root, 'data', 'event_executor_state.json');
      if (before === 'nothing since start') await fsPromises.rm(f);
      await t.m.start();
      t.set(NOW + (sec - 1) * 1000);
      await fsPromises.rm(f, { force: true });
      await t.m.forceCheck();
      const missing = t.m.state.get('event_executor')!.result.health.status;
      t.set(NOW + sec * 1000);
      writeAged(f, '{"last_cycle_timest', 0, NOW + sec * 1000);
      await t.m.forceCheck();
      const h = t.m.state.get('event_executor')!.result.health;
      assert.equal(h.details.invalid, 'torn', `${before}, ${sec}s`);
      assert.equal(h.status, want, `${before}, torn at ${sec}s after a missing file (${missing})`);
    }
  });

  it('a check without an age keeps its last status while errors are transient, then is unknown (no evidence), never failed', async () => {
    const gw = await gateway();
    const url = gw.url;
    try {
      for (const max of [1, 2, 3]) {
        gw.hang = false;
        const t = setup({ max_consecutive_failures: max, subsystems: { gateway: { check: 'http', url, timeout_sec: 0.1 } } });
        await t.m.start();
        gw.hang = true;
        const statuses: string[] = [];
        for (let i = 0; i < max + 1; i++) {
          t.set(NOW + 1 + i * 30_000); // one retry spacing apart at most
          await t.m.forceCheck();
          statuses.push(t.m.state.get('gateway')!.result.health.status);
        }
        assert.deepEqual(statuses, [...Array(max - 1).fill('healthy'), 'unknown', 'unknown'], `max ${max}`);
        assert.notEqual(t.m.report?.current_safety_policy, 'emergency_shutdown');
      }
    } finally {
      gw.close();
    }
  });

  it('force-checks during one blip count as one error', async () => {
    const t = setup({ max_consecutive_failures: 3 });
    const f = join(t.root, 'data', 'event_executor_state.json');
    await t.m.start();
    writeAged(f, '{corrupt', 0, NOW);
    for (let i = 1; i <= 5; i++) {
      t.set(NOW + i * 100);
      await t.m.forceCheck();
    }
    assert.equal(t.m.state.get('event_executor')!.history.consecutive_errors, 1);
    assert.equal(t.m.state.get('event_executor')!.result.health.status, 'healthy');
  });

  it("our own faults (EMFILE) are never the platform's: no status change, no error count, counted apart", async () => {
    const t = setup();
    await t.m.start();
    const dir = join(t.root, 'data');
    const real = fsPromises.readFile;
    const faults: string[] = [];
    t.m.on('selfFault', (f: { kind: string }) => faults.push(f.kind));
    (fsPromises as { readFile: unknown }).readFile = async () => {
      throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    };
    try {
      for (let i = 1; i <= 5; i++) {
        t.set(NOW + i * 2000);
        await t.m.forceCheck();
      }
    } finally {
      (fsPromises as { readFile: unknown }).readFile = real;
    }
    const st = t.m.state.get('event_executor')!;
    assert.equal(st.result.health.status, 'healthy');
    assert.equal(st.history.consecutive_errors, 0);
    assert.equal(t.m.report?.current_safety_policy, 'allow_all', 'nothing escalated');
    assert.ok(faults.length >= 5 && faults.every((k) => k === 'emfile'));
    assert.ok(t.m.selfFaulted.has('event_executor'));
    assert.equal(t.m.selfFaults.get('emfile'), faults.length);
    t.set(NOW + 20_000);
    await t.m.forceCheck();
    assert.equal(t.m.selfFaulted.size, 0, 'ready again after a clean check');
    void dir;
  });

  it('a heartbeat dated beyond max_clock_skew_sec is no evidence (counted, shown), not fresh evidence, and changes nothing by itself', async () => {
    for (const [aheadSec, error] of [
      [30, false],
      [31, true],
    ] as const) {
      const t = setup({ max_consecutive_failures: 1, max_clock_skew_sec: 30 });
      await t.m.start();
      const invalid: string[] = [];
      t.m.on('invalidEvidence', (e: { reason: string }) => invalid.push(e.reason));
      writeAged(
        join(t.root, 'data', 'event_executor_state.json'),
        JSON.stringify({ last_cycle_timestamp: new Date(NOW + 1 + aheadSec * 1000).toISOString() }),
        0,
        NOW,
      );
      t.set(NOW + 1);
      await t.m.forceCheck();
      const h = t.m.state.get('event_executor')!.result.health;
      assert.equal(h.status, 'healthy', `${aheadSec}s ahead: the last valid reading (at NOW) is fresh`);
      assert.deepEqual(invalid, error ? ['future'] : []);
      if (error) assert.match(String(h.details.error), /31\.0s in the future/);
    }
  });

  it('a high check error rate makes a healthy-looking subsystem degraded (a check without an age)', async () => {
    const gw = await gateway();
    const url = gw.url;
    try {
      const t = setup({ max_error_rate: 0.2, error_rate_window: 5, subsystems: { gateway: { check: 'http', url, timeout_sec: 0.1 } } });
      await t.m.start();
      // one timed-out check out of five (20%) is tolerated, two (40%) are not
      for (let i = 1; i <= 5; i++) {
        gw.hang = i === 2 || i === 4;
        t.set(NOW + i * 30_000);
        await t.m.forceCheck();
      }
      const h = t.m.state.get('gateway')!.result.health;
      assert.equal(h.status, 'degraded');
      assert.match(String(h.details.escalation), /error rate 40%/);
      assert.equal(h.error_count, 2);
    } finally {
      gw.close();
    }
  });

  it('torn reads between valid ones never count as an error rate for a check whose evidence is a time', async () => {
    const t = setup({ max_error_rate: 0.2, error_rate_window: 5 });
    await t.m.start();
    const f = join(t.root, 'data', 'universe_snapshot.json');
    for (let i = 1; i <= 5; i++) {
      writeAged(f, i === 2 || i === 4 ? '{bad' : JSON.stringify({ symbols: ['X'] }), 0, NOW + i * 5000);
      t.set(NOW + i * 5000);
      await t.m.tick();
    }
    const h = t.m.state.get('data_feed')!.result.health;
    assert.equal(h.status, 'healthy');
    assert.equal(h.error_count, 2, 'counted and shown');
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
