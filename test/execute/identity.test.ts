// Fleet identity: with `instance` set, the receiver acts only on alerts about this instance; others are
// answered 2xx, recorded as foreign, never executed, never floored, and counted.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load';
import { foreignReason } from '../../src/execute/decide';
import { NOW, tempDir } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';
import { delivery, postHook, startWithReceiver } from '../helpers/receiver';

const ME = 'trader-1:8477';

function setup(instance: string | undefined) {
  const root = tempDir();
  healthyPlatform(root, NOW);
  const config = configIn(root, {
    ...(instance ? { instance } : {}),
    policy: { hold_down_sec: 0 },
    api: { token: 'op-token' },
    receiver: { bearer_token: 'hook-token' },
  });
  return { root, config, clock: () => NOW };
}

describe('foreignReason (pure)', () => {
  const cases: [string | null, Record<string, string>, string | null][] = [
    [null, { instance: 'trader-7.prod:8477' }, null], // single-host mode: every alert is ours
    [null, {}, null],
    [ME, { instance: ME }, null],
    [ME, { instance: 'trader-7.prod:8477' }, 'foreign: instance trader-7.prod:8477'],
    [ME, {}, 'foreign: no instance label'],
    [ME, { instance: '' }, 'foreign: no instance label'],
    [ME, { instance: 'trader-1:8478' }, 'foreign: instance trader-1:8478'],
  ];
  for (const [mine, labels, want] of cases) {
    it(`instance ${mine ?? '(unset)'} + labels ${JSON.stringify(labels)} → ${want ?? 'ours'}`, () =>
      assert.equal(foreignReason(labels, mine), want));
  }
});

describe('config key instance', () => {
  it('from the file, else env SELFHEAL_INSTANCE, else unset; the key wins', () => {
    assert.equal(parseConfig({}, '/', {}).instance, null);
    assert.equal(parseConfig({}, '/', { SELFHEAL_INSTANCE: 'h2:8477' }).instance, 'h2:8477');
    assert.equal(parseConfig({ instance: 'h1:8477' }, '/', { SELFHEAL_INSTANCE: 'h2:8477' }).instance, 'h1:8477');
  });
});

describe('receiver with instance set', () => {
  const pause = (labels: Record<string, string>, fingerprint: string, status: 'firing' | 'resolved' = 'firing') => ({
    status,
    labels: { subsystem: 'data_feed', issue_severity: 'critical', action: 'pause_trading', ...labels },
    fingerprint,
  });

  it("another host's alert (firing, then resolved) is answered 200, recorded foreign, never run, never floored, counted", async () => {
    const t = setup(ME);
    const { url, svc, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await svc.monitor.forceCheck();
    const before = svc.policy().policy;
    const other = { instance: 'trader-7.prod:8477' };
    for (const status of ['firing', 'resolved'] as const) {
      const r = await postHook(url, delivery([pause(other, 'fp-other', status)]));
      assert.equal(r.status, 200);
    }
    await receiver.executor.runDue();
    const recs = receiver.store.history(10);
    assert.equal(recs.filter((r) => r.fingerprint === 'fp-other').length, 2);
    for (const r of recs.filter((x) => x.fingerprint === 'fp-other')) {
      assert.equal(r.state, 'ignored');
      assert.equal(r.reason, 'foreign: instance trader-7.prod:8477');
      assert.equal(r.started_at, null);
      assert.equal(r.action, null);
    }
    assert.equal(svc.policy().policy, before, 'no floor from a foreign alert');
    assert.ok(!svc.policy().reasons.some((x) => /pause_trading/.test(x)));
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /^selfheal_webhook_alerts_foreign_total 2$/m, 'both deliveries about trader-7 counted');
  });

  it('an alert without an instance label is foreign too: recorded, nothing run', async () => {
    const t = setup(ME);
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const body = delivery([{ labels: { subsystem: 'event_executor', issue_severity: 'critical' }, fingerprint: 'fp-x' }]);
    delete (body.alerts[0].labels as Record<string, string>).instance;
    assert.equal((await postHook(url, body)).status, 200);
    await receiver.executor.runDue();
    const [r] = receiver.store.history(10);
    assert.deepEqual([r.state, r.reason, r.started_at], ['ignored', 'foreign: no instance label', null]);
    assert.ok(!existsSync(join(t.config.data_dir, 'event_executor_restart_requested.flag')));
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^selfheal_webhook_alerts_foreign_total 1$/m);
  });

  it('its own alert acts as before; foreign total stays 0', async () => {
    const t = setup(ME);
    const { url, svc, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    assert.equal((await postHook(url, delivery([pause({ instance: ME }, 'fp-own')]))).status, 200);
    await receiver.executor.runDue();
    const [r] = receiver.store.history(10);
    assert.equal(r.action, 'pause_trading');
    assert.notEqual(r.started_at, null);
    assert.equal(svc.policy().new_positions_allowed, false, 'the pause floor is in place');
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^selfheal_webhook_alerts_foreign_total 0$/m);
  });

  it('single-host mode (no instance): an alert naming any instance acts here, as before', async () => {
    const t = setup(undefined);
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    assert.equal((await postHook(url, delivery([pause({ instance: 'trader-7.prod:8477' }, 'fp-any')]))).status, 200);
    await receiver.executor.runDue();
    const [r] = receiver.store.history(10);
    assert.equal(r.action, 'pause_trading');
    assert.notEqual(r.started_at, null);
  });
});
