// The ladder detect → protect → heal → verify → escalate on the local path, with an injected clock:
// no Prometheus, no Alertmanager. A stalled trading-critical subsystem is restarted the moment it
// turns critical; a restart that helps never reaches emergency_shutdown; one that does not escalates
// only after max_consecutive_failures verified failures.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PolicyChange } from '../../src/recommend/policy_state';
import { policyLevel, type SafetyPolicy } from '../../src/types';
import { configIn } from '../helpers/config';
import { NOW, tempDir, writeAged } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { delivery, postHook, startWithReceiver } from '../helpers/receiver';
import { getJson, post, refused } from '../helpers/service';

const HEARTBEAT_AGE_MS = 1_000;
/** The instant event_executor's heartbeat (1 s old at NOW) is strictly beyond its 300 s critical limit. */
const CRITICAL_AT = NOW - HEARTBEAT_AGE_MS + 300_000 + 1;
const FP = 'local.event_executor.restart_subsystem';

async function setup(extra: Record<string, unknown> = {}, recovery: Record<string, unknown> = {}) {
  const root = tempDir();
  let now = NOW;
  healthyPlatform(root, now);
  const data = join(root, 'data');
  const config = configIn(root, {
    policy: { hold_down_sec: 0 },
    api: { token: 'op' },
    receiver: { bearer_token: 'hook-token' },
    recovery: { settle_sec: 30, ...recovery },
    ...extra,
  });
  const started = await startWithReceiver(config, { clock: () => now });
  const { svc, url, receiver } = started;
  const changes: PolicyChange[] = [];
  svc.monitor.on('policy', (c: PolicyChange) => changes.push(c));
  const heartbeat = (at: number) =>
    writeAged(join(data, 'event_executor_state.json'), JSON.stringify({ last_cycle_timestamp: new Date(at).toISOString() }), 0, at);
  /** The rest of the platform stays alive at `ms`; only the executor's heartbeat stopped at NOW − 1 s. */
  const stallAt = (ms: number) => {
    healthyPlatform(root, ms);
    heartbeat(NOW - HEARTBEAT_AGE_MS);
    now = ms;
  };
  const records = () =>
    receiver.store
      .history(100)
      .filter((r) => r.fingerprint === FP)
      .reverse();
  const served = () => svc.monitor.policy.policy;
  /** Let the re-evaluation a recovery outcome starts finish. */
  const settle = async () => {
    await receiver.executor.idle();
    await svc.monitor.reevaluate();
  };
  return {
    root,
    data,
    config,
    stop: started.stop,
    svc,
    stallAt,
    url,
    receiver,
    changes,
    heartbeat,
    records,
    served,
    settle,
    at: (ms: number) => (now = ms),
    now: () => now,
  };
}

const strictest = (changes: PolicyChange[]): SafetyPolicy =>
  changes.reduce<SafetyPolicy>((m, c) => (policyLevel(c.to) > policyLevel(m) ? c.to : m), 'allow_all');

describe('local recovery: heal before you halt', () => {
  it('a stalled trading-critical subsystem is restarted at once: decided at the check, executed in the same turn', async () => {
    const t = await setup();
    t.stallAt(CRITICAL_AT);
    await t.svc.monitor.tick();
    assert.equal(t.svc.monitor.state.get('event_executor')!.result.health.status, 'critical');
    assert.equal(t.served(), 'defensive_exit', 'protect: at once');
    const [rec] = t.records();
    assert.ok(rec, 'the restart was decided by the cycle that saw critical');
    assert.equal(rec.created_at - CRITICAL_AT <= 100, true);
    assert.equal(rec.alertname, 'SelfHealLocalRecovery');
    await t.receiver.executor.runDue();
    assert.equal(t.records()[0].state, 'verifying');
    assert.ok(t.records()[0].started_at! - CRITICAL_AT < 5_000, 'within one critical_check_interval of turning critical');
    assert.ok(existsSync(join(t.data, 'event_executor_restart_requested.flag')));
  });

  it('a restart that helps is verified and never reaches emergency_shutdown; the episode ends', async () => {
    const t = await setup();
    t.stallAt(CRITICAL_AT);
    await t.svc.monitor.tick();
    await t.receiver.executor.runDue();
    // the platform's supervisor obeys the flag: a fresh heartbeat a second later
    rmSync(join(t.data, 'event_executor_restart_requested.flag'));
    healthyPlatform(t.root, CRITICAL_AT + 30_000);
    t.at(CRITICAL_AT + 30_000);
    await t.receiver.executor.runDue();
    await t.settle();
    const [rec] = t.records();
    assert.equal(rec.state, 'succeeded');
    assert.match(rec.detail ?? '', /verify: critical → healthy/);
    await t.svc.monitor.tick();
    assert.equal(t.svc.monitor.state.get('event_executor')!.episodeStart, null);
    assert.equal(t.receiver.store.isResolved(FP, rec.starts_at), true, 'the local alert resolved with the episode');
    assert.equal(t.served(), 'allow_all');
    assert.equal(strictest(t.changes), 'defensive_exit');
  });

  it('a stubborn one backs off, and escalates only after max_consecutive_failures verified failures', async () => {
    const t = await setup({ max_consecutive_failures: 3 });
    t.stallAt(CRITICAL_AT);
    await t.svc.monitor.tick();
    const failuresAt: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await t.receiver.executor.runDue();
      const rec = t.records()[attempt - 1];
      assert.equal(rec.state, 'verifying', `attempt ${attempt} executed`);
      t.at(rec.started_at! + 30_000);
      await t.receiver.executor.runDue();
      await t.settle();
      await t.receiver.executor.runDue(); // the retry passes its gates (backoff) in the next pass
      await t.settle();
      failuresAt.push(t.now());
      assert.equal(t.records()[attempt - 1].state, 'failed');
      if (attempt < 3) {
        assert.notEqual(t.served(), 'emergency_shutdown', `not after ${attempt} failure(s)`);
        const next = t.records()[attempt];
        assert.equal(next.not_before, t.now() + 10_000 * 2 ** (attempt - 1), 'backoff 10 s, 20 s');
        t.at(next.not_before!);
      }
    }
    assert.equal(t.served(), 'emergency_shutdown');
    assert.equal(t.svc.monitor.policy.isLatched, true);
    const h = t.svc.monitor.state.get('event_executor')!.result.health;
    assert.equal(h.status, 'failed');
    assert.match(String(h.details.escalation), /recovery exhausted: 3 restart_subsystem attempts in a row verified as failed/);
    const emergency = t.changes.find((c) => c.to === 'emergency_shutdown')!;
    assert.ok(emergency.at >= failuresAt[2], 'emergency only after the third verified failure');
    await t.receiver.executor.runDue();
    assert.equal(t.records()[3].state, 'pending_approval', 'a fourth attempt waits for an operator');
    const status = await getJson(`${t.url}/recovery/status`);
    const sub = (status.body.subsystems as Record<string, { stage: string; recovery_failures: number }>).event_executor;
    assert.deepEqual([status.body.stage, sub.stage, sub.recovery_failures], ['escalated', 'escalated', 3]);
  });

  it('one execution across the local path and Alertmanager (and an HA pair) in one episode', async () => {
    const t = await setup();
    t.stallAt(CRITICAL_AT);
    await t.svc.monitor.tick();
    await t.receiver.executor.runDue();
    const alert = {
      labels: { subsystem: 'event_executor', issue_severity: 'critical' },
      fingerprint: 'am-exec',
      startsAt: new Date(CRITICAL_AT + 60_000).toISOString(),
    };
    t.at(CRITICAL_AT + 61_000);
    for (let peer = 0; peer < 2; peer++) assert.equal((await postHook(t.url, delivery([alert]))).status, 200);
    await t.receiver.executor.runDue();
    const all = t.receiver.store.history(100).filter((r) => r.action === 'restart_subsystem' && r.subsystem === 'event_executor');
    assert.equal(all.filter((r) => r.started_at !== null).length, 1);
    const am = all.find((r) => r.fingerprint === 'am-exec')!;
    assert.equal(am.state, 'ignored');
    assert.match(am.reason, /already handled in this episode/);
  });

  it('a maintenance window suspends both paths; ending it lets the local path act', async () => {
    const t = await setup();
    const auth = { authorization: 'Bearer op' };
    await refused(
      post(`${t.url}/recovery/maintenance`, { subsystem: 'event_executor', duration_sec: 600, reason: 'upgrade' }),
      401,
      /^missing Authorization header$/,
    );
    await refused(
      post(`${t.url}/recovery/maintenance`, { subsystem: 'nope', duration_sec: 600, reason: 'x' }, auth),
      400,
      /^subsystem: expected one of the enabled subsystems .*got "nope"$/,
    );
    await refused(
      post(`${t.url}/recovery/maintenance`, { subsystem: 'event_executor', duration_sec: 0, reason: 'x' }, auth),
      400,
      /^duration_sec: expected a number of seconds, more than 0/,
    );
    const started = await post(
      `${t.url}/recovery/maintenance`,
      { subsystem: 'event_executor', duration_sec: 600, reason: 'upgrade' },
      auth,
    );
    assert.equal(started.status, 200);
    assert.equal((started.body.maintenance as { subsystem: string }[])[0].subsystem, 'event_executor');
    t.stallAt(CRITICAL_AT);
    await t.svc.monitor.tick();
    assert.equal(t.records().length, 0, 'nothing decided locally');
    assert.equal(t.served(), 'defensive_exit', 'protection is not suspended');
    await postHook(t.url, delivery([{ labels: { subsystem: 'event_executor', issue_severity: 'critical' }, fingerprint: 'am-m' }]));
    const am = t.receiver.store.history(10).find((r) => r.fingerprint === 'am-m')!;
    assert.equal(am.state, 'ignored');
    assert.match(am.reason, /maintenance window for event_executor/);
    const policy = await getJson(`${t.url}/policy`);
    assert.ok((policy.body.reasons as string[]).some((r) => /maintenance: auto-recovery suspended for event_executor/.test(r)));
    assert.match(await (await fetch(`${t.url}/metrics`)).text(), /^selfheal_recovery_maintenance\{subsystem="event_executor"\} 1$/m);
    const status = await getJson(`${t.url}/recovery/status`);
    assert.equal((status.body.subsystems as Record<string, { stage: string }>).event_executor.stage, 'maintenance');
    const ended = await getJson(`${t.url}/recovery/maintenance?subsystem=event_executor`, { method: 'DELETE', headers: auth });
    assert.deepEqual(ended.body, { maintenance: [] });
    t.at(CRITICAL_AT + 5_000);
    await t.svc.monitor.tick();
    await t.receiver.executor.runDue();
    assert.equal(t.records()[0].state, 'verifying');
  });

  it('maintenance windows survive a restart of selfheal', async () => {
    const t = await setup();
    await post(`${t.url}/recovery/maintenance`, { duration_sec: 600, reason: 'all of it' }, { authorization: 'Bearer op' });
    const again = await startWithReceiver(t.svc.config, { clock: t.now });
    assert.equal(again.receiver.maintenance.active('data_feed')?.reason, 'all of it');
  });

  it('with recovery.local false (or auto restarts off) nothing runs: the subsystem stays critical and its policy holds', async () => {
    for (const [extra, recovery] of [
      [{}, { local: false }],
      [{ auto_restart_enabled: false }, {}],
    ] as const) {
      const t = await setup(extra, recovery);
      for (let i = 0; i <= 120; i++) {
        t.stallAt(CRITICAL_AT + i * 5_000);
        await t.svc.monitor.tick();
        await t.receiver.executor.runDue();
      }
      assert.equal(t.records().length, 0);
      assert.equal(t.svc.monitor.state.get('event_executor')!.result.health.status, 'critical');
      assert.equal(t.served(), 'defensive_exit', JSON.stringify(recovery));
    }
  });

  it('a paused data feed: the floor comes with the local pause and lifts when the feed recovers', async () => {
    const t = await setup();
    writeAged(join(t.data, 'universe_snapshot.json'), JSON.stringify({ symbols: [] }), 0, NOW + 1);
    t.at(NOW + 1);
    await t.svc.monitor.forceCheck();
    await t.receiver.executor.runDue();
    const pause = t.receiver.store.history(10).find((r) => r.fingerprint === 'local.data_feed.pause_trading')!;
    assert.equal(pause.state, 'succeeded');
    assert.deepEqual(t.svc.monitor.policy.floorKeys(), [`recovery:local.data_feed.pause_trading:${pause.starts_at}`]);
    writeAged(join(t.data, 'universe_snapshot.json'), JSON.stringify({ symbols: ['BTCUSDT'] }), 0, NOW + 2);
    t.at(NOW + 2);
    await t.svc.monitor.forceCheck();
    assert.deepEqual(t.svc.monitor.policy.floorKeys(), []);
    assert.equal(t.served(), 'allow_all');
  });

  it('an open breaker is a rate limit, not failed healing: the subsystem stays critical, never failed; a later episode heals', async () => {
    const t = await setup({}, { breaker_max_executions: 1, breaker_window_sec: 60 });
    t.stallAt(CRITICAL_AT);
    await t.svc.monitor.tick();
    await t.receiver.executor.runDue();
    t.at(CRITICAL_AT + 30_000);
    await t.receiver.executor.runDue();
    await t.settle();
    await t.receiver.executor.runDue(); // the retry meets the open breaker: it waits for approval
    await t.settle();
    assert.equal(t.records().at(-1)!.state, 'pending_approval');
    assert.match(t.records().at(-1)!.reason, /circuit open/);
    assert.equal(t.svc.monitor.state.get('event_executor')!.result.health.status, 'critical', 'a rate limit never makes it failed');
    assert.equal(t.served(), 'defensive_exit', 'the critical policy holds; no emergency from a rate limit');
    // Healthy again; more than the breaker window later the executor stalls again.
    healthyPlatform(t.root, CRITICAL_AT + 40_000);
    t.at(CRITICAL_AT + 40_000);
    await t.svc.monitor.forceCheck();
    const later = CRITICAL_AT + 400_000;
    healthyPlatform(t.root, later);
    t.heartbeat(later - 301_000);
    t.at(later);
    await t.svc.monitor.forceCheck();
    assert.equal(t.svc.monitor.state.get('event_executor')!.result.health.status, 'critical', 'not escalated by the old breaker');
    await t.receiver.executor.runDue();
    assert.equal(t.records().at(-1)!.state, 'verifying', 'the new episode is healed: a restart runs');
    assert.notEqual(t.served(), 'emergency_shutdown');
  });

  it('a retry held by a maintenance window runs when the window is ended early (and the worker does not spin meanwhile)', async () => {
    const t = await setup();
    const auth = { authorization: 'Bearer op' };
    t.stallAt(CRITICAL_AT);
    await t.svc.monitor.tick();
    await t.receiver.executor.runDue();
    await post(`${t.url}/recovery/maintenance`, { subsystem: 'event_executor', duration_sec: 3600, reason: 'vendor call' }, auth);
    t.at(CRITICAL_AT + 30_000);
    await t.receiver.executor.runDue();
    await t.settle();
    t.at(CRITICAL_AT + 45_000); // past the 10 s backoff
    await t.receiver.executor.runDue();
    const retry = () => t.records()[1];
    assert.equal(retry().state, 'recorded');
    assert.ok(retry().not_before! >= CRITICAL_AT + 3_600_000, 'held until the window ends, not due at every turn');
    await getJson(`${t.url}/recovery/maintenance?subsystem=event_executor`, { method: 'DELETE', headers: auth });
    assert.ok(retry().not_before! < t.now(), 'released when the window ended');
    await t.receiver.executor.runDue();
    assert.equal(retry().state, 'verifying');
  });

  it('a restart of selfheal continues the episode: the attempts before it count, nothing runs twice', async () => {
    const t = await setup({ max_consecutive_failures: 3 });
    t.stallAt(CRITICAL_AT);
    await t.svc.monitor.tick();
    for (let attempt = 1; attempt <= 2; attempt++) {
      await t.receiver.executor.runDue();
      t.at(t.records()[attempt - 1].started_at! + 30_000);
      await t.receiver.executor.runDue();
      await t.settle();
      await t.receiver.executor.runDue();
      await t.settle();
      if (attempt < 2) t.at(t.records()[attempt].not_before!);
    }
    assert.equal(t.records().filter((r) => r.state === 'failed').length, 2);
    await t.stop();
    // selfheal restarts (same journal); an Alertmanager delivery of the same episode arrives too.
    const again = await startWithReceiver(t.config, { clock: t.now });
    await postHook(
      again.url,
      delivery([
        {
          labels: { subsystem: 'event_executor', issue_severity: 'critical' },
          fingerprint: 'am-after',
          startsAt: new Date(CRITICAL_AT + 5_000).toISOString(),
        },
      ]),
    );
    const am = again.receiver.store.history(50).find((r) => r.fingerprint === 'am-after')!;
    assert.equal(am.state, 'ignored', 'already handled in this episode, across the restart');
    const pending = () =>
      again.receiver.store
        .history(50)
        .filter((r) => r.fingerprint === FP)
        .reverse();
    const ep = again.svc.monitor.state.get('event_executor')!.episodeStart;
    assert.equal(ep, pending()[0].created_at, 'the episode began before the restart');
    t.at(pending()[2].not_before ?? t.now());
    await again.receiver.executor.runDue();
    t.at(pending()[2].started_at! + 30_000);
    await again.receiver.executor.runDue();
    await again.receiver.executor.idle();
    await again.svc.monitor.reevaluate();
    assert.equal(pending()[2].state, 'failed');
    assert.equal(
      again.svc.monitor.policy.policy,
      'emergency_shutdown',
      'the third verified failure escalates, though selfheal restarted between',
    );
    assert.equal(pending().filter((r) => r.started_at !== null).length, 3, 'three restarts in all');
  });
});
