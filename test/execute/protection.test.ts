// Protection is never gated (issue 22): the floor of a protective action goes in while its alert fires,
// whatever the cooldown, breaker, backoff, maintenance window or a full set of handler slots say about
// running its handler; and a protective handler starts at once while restarts hold every slot.
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configIn } from '../helpers/config';
import { NOW, tempDir } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { until } from '../helpers/process';
import { delivery, holdingServer, httpHandler, postHook, startWithReceiver } from '../helpers/receiver';
import { getJson, post } from '../helpers/service';

function setup(recovery: Record<string, unknown> = {}, root = tempDir()) {
  let now = NOW;
  healthyPlatform(root, now);
  const config = configIn(root, {
    policy: { hold_down_sec: 0 },
    api: { token: 'op' },
    receiver: { bearer_token: 'hook-token' },
    recovery: { settle_sec: 30, ...recovery },
  });
  return { root, config, clock: () => now, advance: (sec: number) => (now += sec * 1000) };
}

const pause = (startsAt: string, status: 'firing' | 'resolved' = 'firing') => ({
  status,
  labels: { subsystem: 'data_feed', issue_severity: 'critical', action: 'pause_trading' },
  fingerprint: 'pause-feed',
  startsAt,
});
const at = (sec: number) => new Date(NOW + sec * 1000).toISOString();

describe('protection is never gated', () => {
  it('a pause within the cooldown of the last one: its floor goes in at once; only its handler waits', async () => {
    const t = setup({ cooldown_sec: 300 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([pause(at(0))]));
    await receiver.executor.runDue();
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades');
    t.advance(10);
    await postHook(url, delivery([pause(at(0), 'resolved')]));
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'allow_all');
    t.advance(10);
    await postHook(url, delivery([pause(at(20))]));
    await receiver.executor.runDue();
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades', 'the second pause protects at once');
    const second = receiver.store.history(10).find((r) => r.starts_at === at(20))!;
    assert.equal(second.state, 'recorded');
    assert.match(second.reason, /cooldown: runs after /);
  });

  it('the sixth pause in an hour meets the breaker: its handler waits for approval, its floor does not', async () => {
    const t = setup({ cooldown_sec: 0, breaker_max_executions: 5, breaker_window_sec: 3600 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    for (let i = 0; i < 6; i++) {
      await postHook(url, delivery([pause(at(i * 60))]));
      await receiver.executor.runDue();
      assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades', `pause ${i + 1}`);
      if (i < 5) {
        t.advance(30);
        await postHook(url, delivery([pause(at(i * 60), 'resolved')]));
        t.advance(30);
      }
    }
    const sixth = receiver.store.history(20).find((r) => r.starts_at === at(300) && r.status === 'firing')!;
    assert.equal(sixth.state, 'pending_approval');
    assert.match(sixth.reason, /circuit open/);
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades');
  });

  it("a lifted floor stays lifted while its handler waits for approval; the approval, the operator's later word, puts it back", async () => {
    const t = setup({ cooldown_sec: 300, breaker_max_executions: 1, breaker_window_sec: 3600 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const op = { authorization: 'Bearer op' };
    const policy = async () => (await getJson(`${url}/policy`)).body.policy;
    const lift = () => fetch(`${url}/recovery/floors?reason=desk%20says%20fine`, { method: 'DELETE', headers: op });
    // The first pause runs; a second alert instance meets its cooldown: floor at once, handler deferred.
    await postHook(url, delivery([pause(at(0))]));
    await receiver.executor.runDue();
    t.advance(10);
    await postHook(url, delivery([pause(at(0), 'resolved')]));
    await postHook(url, delivery([pause(at(10))]));
    await receiver.executor.runDue();
    assert.equal(await policy(), 'no_new_trades');
    assert.equal((await lift()).status, 200);
    assert.equal(await policy(), 'allow_all', 'lifted');
    // Past the cooldown the breaker (1 an hour) sends its handler to approval; the floor stays lifted meanwhile …
    t.advance(300);
    await receiver.executor.runDue();
    const second = () => receiver.store.history(10).find((r) => r.starts_at === at(10))!;
    assert.equal(second().state, 'pending_approval');
    assert.equal(await policy(), 'allow_all', 'a gate moving the record on does not re-impose a lifted floor');
    // … and an approval is the operator's later word: the floor goes back in, and the handler runs.
    assert.equal((await post(`${url}/recovery/${second().id}/approve`, { reason: 'pause after all' }, op)).status, 200);
    assert.equal(await policy(), 'no_new_trades');
    await receiver.executor.runDue();
    assert.equal(second().state, 'succeeded');
    assert.equal(await policy(), 'no_new_trades');
  });

  it('a floor an operator lifted stays lifted when its deferred handler runs', async () => {
    const t = setup({ cooldown_sec: 300 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const policy = async () => (await getJson(`${url}/policy`)).body.policy;
    await postHook(url, delivery([pause(at(0))]));
    await receiver.executor.runDue();
    t.advance(10);
    await postHook(url, delivery([pause(at(0), 'resolved')]));
    await postHook(url, delivery([pause(at(10))]));
    await receiver.executor.runDue();
    assert.equal(await policy(), 'no_new_trades');
    const lifted = await fetch(`${url}/recovery/floors?reason=desk`, { method: 'DELETE', headers: { authorization: 'Bearer op' } });
    assert.equal(lifted.status, 200);
    assert.equal(await policy(), 'allow_all');
    t.advance(300);
    await receiver.executor.runDue();
    const second = receiver.store.history(10).find((r) => r.starts_at === at(10))!;
    assert.equal(second.state, 'succeeded', 'its handler ran after the cooldown');
    assert.equal(await policy(), 'allow_all', 'and did not put the lifted floor back');
  });

  it('a maintenance window suspends the handler, never the floor', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await post(
      `${url}/recovery/maintenance`,
      { subsystem: 'data_feed', duration_sec: 600, reason: 'feed vendor' },
      { authorization: 'Bearer op' },
    );
    await postHook(url, delivery([pause(at(0))]));
    await receiver.executor.runDue();
    const r = receiver.store.history(10).find((x) => x.fingerprint === 'pause-feed')!;
    assert.equal(r.state, 'ignored');
    assert.match(r.reason, /maintenance window/);
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades');
  });

  it('a pause handler starts at once while slow restarts hold every slot', async () => {
    const h = await holdingServer();
    const root = tempDir();
    const marks = join(root, 'pause-started');
    const script = join(root, 'pause.sh');
    writeFileSync(script, `#!/bin/sh\ndate +%s%3N > '${marks}'\n`);
    const handlers = [httpHandler('restart_subsystem', h.url), { action: 'pause_trading', exec: ['/bin/sh', script], timeout_sec: 10 }];
    const t = setup({ max_concurrent_handlers: 2, handlers }, root);
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock, schedule: true });
    await postHook(
      url,
      delivery(
        ['orchestrator', 'ai_model', 'portfolio_balancer'].map((s) => ({
          labels: { subsystem: s, issue_severity: 'critical', action: 'restart_subsystem' },
          fingerprint: `r-${s}`,
        })),
      ),
    );
    await until(
      'restarts hold both slots, one waits',
      async () => h.held.length === 2 && receiver.executor.handlers().waiting === 1,
      20_000,
      10,
    );
    const sent = Date.now();
    const answer = await postHook(url, delivery([pause(at(0))]));
    assert.equal(answer.status, 200);
    await until('the pause handler ran', async () => existsSync(marks), 20_000, 5);
    const startedMs = Number(readFileSync(marks, 'utf8')) - sent;
    console.log(`# pause handler started ${startedMs} ms after the delivery, with every slot held by restarts`);
    assert.ok(startedMs < 1000, `${startedMs} ms`);
    assert.deepEqual(receiver.executor.handlers(), { running: 2, waiting: 1 }, 'the restarts still hold the slots');
    for (let i = 0; i < 3; i++) {
      await until(`restart ${i + 1} held`, async () => h.held.length > i, 20_000, 10);
      h.release(i);
    }
    await receiver.executor.idle();
  });
});
