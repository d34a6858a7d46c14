// Issue 12, the executor and the journal under attack: storms, slow handlers, crashes, stuck floors,
// a journal that is not one or goes away. Injected clocks, loopback only, bounded loops.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/load';
import { SqliteJournal, type JournalRecord } from '../../src/execute/journal';
import { NOW, tempDir } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';
import { until } from '../helpers/process';
import { delivery, holdingServer, httpHandler, postHook, startWithReceiver } from '../helpers/receiver';
import { getJson, refused } from '../helpers/service';

const OP = { authorization: 'Bearer op-token' };

function setup(recovery: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const root = tempDir();
  let now = NOW;
  healthyPlatform(root, now);
  const config = configIn(root, {
    policy: { hold_down_sec: 0 },
    api: { token: 'op-token' },
    receiver: { bearer_token: 'hook-token', max_body_bytes: 16 * 1024 * 1024 },
    recovery: { settle_sec: 30, ...recovery },
    ...extra,
  });
  return { root, config, clock: () => now, advance: (sec: number) => (now += sec * 1000) };
}

const critical = (subsystem: string, fingerprint = `fp-${subsystem}`, extra: Record<string, string> = {}) => ({
  labels: { subsystem, issue_severity: 'critical', ...extra },
  fingerprint,
});

/** A journal record as a previous process left it (an action on data_feed unless `p` says otherwise). */
function rec(p: Partial<JournalRecord> & Pick<JournalRecord, 'fingerprint' | 'state'>): JournalRecord {
  const r = {
    id: randomUUID(),
    dedup_key: `${p.fingerprint}|2026-11-29T12:00:00Z|${p.status ?? 'firing'}`,
    alertname: 'SelfHealSubsystemCritical',
    starts_at: '2026-11-29T12:00:00Z',
    status: 'firing',
    subsystem: 'data_feed',
    action: 'pause_trading',
    issue_severity: 'critical',
    labels: {},
    reason: 'critical issue on data_feed → pause_trading',
    not_before: null,
    expires_at: null,
    verify_at: null,
    before_status: null,
    approved: false,
    created_at: NOW,
    updated_at: NOW,
    started_at: NOW,
    finished_at: null,
    outcome: null,
    detail: null,
    ...p,
  };
  return r as JournalRecord;
}

describe('alert storms cost O(alerts)', () => {
  it('10,000 actionable alerts for one subsystem in one delivery: the gates are looked up once per pass, the rest go to approval', async () => {
    const t = setup({ cooldown_sec: 0, breaker_max_executions: 5, breaker_window_sec: 3600 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const storm = Array.from({ length: 10_000 }, (_, i) => critical('ai_model', `s${i}`));
    const r = await postHook(url, delivery(storm));
    assert.deepEqual([r.status, r.body.recorded], [200, 10_000]);
    const calls = { lastFinished: 0, startedSince: 0 };
    for (const k of ['lastFinished', 'startedSince'] as const) {
      const orig = receiver.store[k].bind(receiver.store) as (...a: unknown[]) => JournalRecord[];
      (receiver.store as unknown as Record<string, unknown>)[k] = (...a: unknown[]) => {
        calls[k]++;
        return orig(...a);
      };
    }
    for (let i = 0; i < 5; i++) await receiver.executor.runDue(); // one at a time per subsystem lane
    assert.deepEqual(calls, { lastFinished: 5, startedSince: 5 }, 'once per (subsystem, action) per pass, not once per alert');
    await receiver.executor.runDue(); // the breaker opens: everything left waits for a human, in one pass
    assert.deepEqual(calls, { lastFinished: 6, startedSince: 6 });
    assert.equal(receiver.store.countByState('succeeded'), 5);
    assert.equal(receiver.store.countByState('pending_approval'), 9_995);

    // pending approvals: behind the operator token and paginated, like history
    await refused(getJson(`${url}/recovery/pending`), 401, /^missing Authorization header$/);
    await refused(getJson(`${url}/recovery/history`), 401, /^missing Authorization header$/);
    const first = (await getJson(`${url}/recovery/pending?limit=100`, { headers: OP })).body as unknown as JournalRecord[];
    const second = (await getJson(`${url}/recovery/pending?limit=100&offset=100`, { headers: OP })).body as unknown as JournalRecord[];
    assert.equal(first.length, 100);
    assert.equal(second.length, 100);
    assert.equal(second[0].id, receiver.store.pendingPage(1, 100)[0].id);
    assert.ok(!first.some((a) => second.some((b) => a.id === b.id)));
    assert.equal(((await getJson(`${url}/recovery/pending?limit=100000`, { headers: OP })).body as unknown as unknown[]).length, 1000);
    const hist = (await getJson(`${url}/recovery/history?limit=10&offset=10`, { headers: OP })).body as unknown as JournalRecord[];
    assert.equal(hist[0].id, receiver.store.history(1, 10)[0].id);
  });
});

describe('a large delivery is recorded in slices', () => {
  it('answered once all of it is durable; a failed slice → 503 and the retry records the rest once', async () => {
    const t = setup({ cooldown_sec: 0 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const body = delivery(
      Array.from({ length: 1000 }, (_, i) => ({ labels: { subsystem: 'logging', issue_severity: 'none' }, fingerprint: `big${i}` })),
    );
    const insertMany = receiver.store.insertMany.bind(receiver.store);
    let calls = 0;
    receiver.store.insertMany = (recs) => {
      if (++calls === 3) throw new Error('disk full');
      return insertMany(recs);
    };
    await refused(postHook(url, body), 503, /^could not record the alerts; retry$/);
    // Slices are at most 250 alerts, fewer when the host is slow: the first two of them are durable.
    const durable = receiver.store.history(1000).length;
    assert.ok(durable >= 32 && durable <= 500, `the first two slices are durable (${durable} alerts)`);
    receiver.store.insertMany = insertMany;
    const retry = await postHook(url, body);
    assert.deepEqual([retry.status, retry.body], [200, { received: 1000, recorded: 1000 - durable, deduplicated: durable }]);
    assert.equal(receiver.store.history(1000).length, 1000);
  });
});

describe('lanes: a trading floor never waits behind a handler', () => {
  it('a slow restart handler on orchestrator: a data_feed critical pauses trading while it still runs', async () => {
    const h = await holdingServer();
    const t = setup({ handlers: [httpHandler('restart_subsystem', h.url)] });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock, schedule: true });
    await postHook(url, delivery([critical('orchestrator')]));
    await until('the restart handler is running', async () => h.held.length === 1, 20_000, 10);
    await postHook(url, delivery([critical('data_feed')]));
    await until('the pause floor', async () => (await getJson(`${url}/policy`)).body.policy === 'no_new_trades', 20_000, 10);
    assert.equal(
      receiver.store.history(10).find((r) => r.subsystem === 'orchestrator')!.state,
      'running',
      'the slow handler is still running',
    );
    // … and on the same subsystem: protection is its own lane
    await postHook(url, delivery([critical('orchestrator', 'pause-orch', { action: 'switch_to_safe_profile' })]));
    await until(
      'the safe-profile floor of orchestrator',
      async () => receiver.store.history(10).find((r) => r.fingerprint === 'pause-orch')!.state === 'succeeded',
      20_000,
      10,
    );
    h.release(0);
    await until(
      'the restart finished',
      async () =>
        receiver.store.history(10).find((r) => r.subsystem === 'orchestrator' && r.action === 'restart_subsystem')!.state !== 'running',
      20_000,
      10,
    );
  });

  it('a global cap on concurrent remediation handlers; protective handlers have capacity of their own', async () => {
    const h = await holdingServer();
    const t = setup({
      max_concurrent_handlers: 2,
      handlers: [httpHandler('restart_subsystem', h.url), httpHandler('pause_trading', h.url)],
    });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock, schedule: true });
    await postHook(
      url,
      delivery(['orchestrator', 'ai_model', 'portfolio_balancer'].map((s) => critical(s, `r-${s}`, { action: 'restart_subsystem' }))),
    );
    await until('three actions started', async () => receiver.store.countByState('running') === 3, 20_000, 10);
    await until('two handlers hold the slots', async () => h.held.length === 2, 20_000, 10);
    assert.deepEqual(receiver.executor.handlers(), { running: 2, waiting: 1 });
    await postHook(url, delivery([critical('data_feed')]));
    await until('the pause handler runs while restarts hold every slot', async () => h.held.length === 3, 20_000, 10);
    assert.equal(h.held[2].body.action, 'pause_trading');
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades');
    assert.deepEqual(receiver.executor.handlers(), { running: 2, waiting: 1 }, 'the pause took no remediation slot');
    h.release(2);
    h.release(0);
    await until('the next restart got the freed slot', async () => h.held.length === 4, 20_000, 10);
    assert.equal(h.held[3].body.action, 'restart_subsystem');
    h.release(1);
    h.release(3);
    await receiver.executor.idle();
  });
});

describe('fail closed across a crash', () => {
  it('an interrupted protective action re-imposes its floor at start and runs again; others wait for approval', async () => {
    const t = setup();
    const j = new SqliteJournal(t.config.recovery.journal_path);
    j.insertMany([
      rec({ fingerprint: 'p1', state: 'running' }),
      rec({ fingerprint: 'r1', state: 'running', subsystem: 'orchestrator', action: 'restart_subsystem' }),
      rec({ fingerprint: 'p2', state: 'running', subsystem: 'exchange_connection' }),
      rec({ fingerprint: 'p2', state: 'resolved', status: 'resolved', action: null, subsystem: 'exchange_connection', started_at: null }),
    ]);
    j.close();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const by = () =>
      Object.fromEntries(
        receiver.store
          .history(10)
          .filter((r) => r.status === 'firing')
          .map((r) => [r.fingerprint, r]),
      );
    const p = await getJson(`${url}/policy`);
    assert.equal(p.body.policy, 'no_new_trades', 'the floor is back before anything runs');
    assert.ok((p.body.reasons as string[]).some((r) => r.includes('pause_trading for data_feed')));
    assert.equal(by().p1.state, 'recorded');
    assert.match(by().p1.reason, /interrupted by a restart: protective, floor re-imposed and re-applied/);
    assert.equal(by().r1.state, 'pending_approval');
    assert.match(by().r1.reason, /interrupted by a restart while executing: approve to run it again/);
    assert.equal(by().p2.state, 'cancelled', 'its alert resolved meanwhile');
    await receiver.executor.runDue();
    assert.equal(by().p1.state, 'succeeded');
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades');
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /selfheal_recovery_actions_total\{action="pause_trading",subsystem="data_feed",outcome="interrupted"\} 1/);
  });
});

describe('no stuck floors', () => {
  it('a resolve that arrives before its firing: the firing is not executed', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([{ ...critical('data_feed', 'early'), status: 'resolved' }]));
    await postHook(url, delivery([critical('data_feed', 'early')]));
    // … and both in one delivery, resolve first
    await postHook(
      url,
      delivery([{ ...critical('exchange_connection', 'same'), status: 'resolved' }, critical('exchange_connection', 'same')]),
    );
    await receiver.executor.runDue();
    const firing = receiver.store.history(10).filter((r) => r.status === 'firing');
    assert.deepEqual(
      firing.map((r) => r.state),
      ['cancelled', 'cancelled'],
    );
    assert.match(firing[0].reason, /already resolved: not executed/);
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'allow_all');
  });

  it('a resolve after a failed trading action lifts the floor it imposed', async () => {
    const t = setup({ handlers: [{ action: 'pause_trading', exec: [process.execPath, '-e', 'process.exit(1)'], timeout_sec: 20 }] });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([critical('data_feed')]));
    await receiver.executor.runDue();
    assert.equal(receiver.store.history(1)[0].state, 'failed');
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades', 'fail closed while it fires');
    await postHook(url, delivery([{ ...critical('data_feed'), status: 'resolved' }]));
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'allow_all');
  });

  it('an operator lifts a recovery floor without a restart, and it stays lifted across one', async () => {
    const t = setup();
    const a = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(a.url, delivery([critical('data_feed')]));
    await a.receiver.executor.runDue();
    const floors = (await getJson(`${a.url}/recovery/floors`, { headers: OP })).body.floors as {
      key: string;
      id: string;
      policy: string;
    }[];
    assert.deepEqual(
      floors.map((f) => f.policy),
      ['no_new_trades'],
    );
    await refused(getJson(`${a.url}/recovery/floors/${floors[0].id}`, { method: 'DELETE' }), 401, /^missing Authorization header$/);
    await refused(getJson(`${a.url}/recovery/floors/nope`, { method: 'DELETE', headers: OP }), 404, /^no recovery floor nope$/);
    const del = await getJson(`${a.url}/recovery/floors/${floors[0].id}?reason=feed%20checked`, { method: 'DELETE', headers: OP });
    assert.deepEqual([del.status, del.body.policy], [200, 'allow_all']);
    assert.equal((await getJson(`${a.url}/policy`)).body.policy, 'allow_all');
    assert.match(a.receiver.store.history(1)[0].detail ?? '', /floor lifted by operator: feed checked/);
    await a.stop();
    const b = await startWithReceiver(t.config, { clock: t.clock });
    assert.equal((await getJson(`${b.url}/policy`)).body.policy, 'allow_all', 'not re-imposed after a restart');
    // DELETE /recovery/floors lifts them all (by key as well)
    await postHook(b.url, delivery([critical('exchange_connection')]));
    await b.receiver.executor.runDue();
    assert.equal((await getJson(`${b.url}/policy`)).body.policy, 'no_new_trades');
    assert.equal((await getJson(`${b.url}/recovery/floors`, { method: 'DELETE', headers: OP })).body.policy, 'allow_all');
  });
});

describe('a journal you can trust', () => {
  for (const [name, content, reason] of [
    [
      'a garbage header',
      'this is not a database at all, just text that is long enough to be a header\n',
      /not a SQLite database \(bad header\)/,
    ],
    ['a file truncated to 0 bytes', '', /empty \(0 bytes\)/],
  ] as const) {
    it(`refuses to start on ${name}, naming the path (a ConfigError: exit 3)`, async () => {
      const t = setup();
      writeFileSync(t.config.recovery.journal_path, content);
      await assert.rejects(startWithReceiver(t.config, { clock: t.clock }), (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(err.message.includes(t.config.recovery.journal_path), err.message);
        assert.match(err.message, reason);
        return true;
      });
    });
  }

  for (const how of ['removed', 'replaced'] as const) {
    it(`the journal ${how} while running: 503, an error log and not ready, while /policy keeps serving`, async () => {
      const t = setup();
      const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
      assert.equal((await postHook(url, delivery([critical('ai_model', 'before')]))).status, 200);
      const path = t.config.recovery.journal_path;
      if (how === 'removed') for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
      else {
        writeFileSync(`${path}.new`, '');
        renameSync(`${path}.new`, path);
      }
      const r = await postHook(url, delivery([critical('ai_model', 'after')]));
      assert.equal(r.status, 503);
      assert.match(String(r.body.error), new RegExp(`was ${how} while running`));
      const ready = await fetch(`${url}/-/ready`);
      assert.equal(ready.status, 503);
      assert.match(await ready.text(), new RegExp(`journal .* was ${how}`));
      assert.equal((await getJson(`${url}/policy`)).status, 200);
      assert.equal(receiver.store.history(10).length, 1, 'nothing acknowledged into the lost file');
    });
  }

  it('a journal that fails to record: /-/ready is 503 until a commit succeeds again', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const insertMany = receiver.store.insertMany.bind(receiver.store);
    receiver.store.insertMany = () => {
      throw new Error('database disk image is malformed');
    };
    await refused(postHook(url, delivery([critical('ai_model')])), 503, /^could not record the alerts; retry$/);
    const ready = await fetch(`${url}/-/ready`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /cannot record: database disk image is malformed/);
    receiver.store.insertMany = insertMany;
    assert.equal((await postHook(url, delivery([critical('ai_model')]))).status, 200);
    assert.equal((await fetch(`${url}/-/ready`)).status, 200);
  });

  it('retention compacts resolved, terminal alert instances older than retention_days, never an unresolved one', async () => {
    const t = setup({ retention_days: 30 });
    const old = NOW - 31 * 86400_000;
    const recent = NOW - 29 * 86400_000;
    const j = new SqliteJournal(t.config.recovery.journal_path);
    j.insertMany([
      rec({ fingerprint: 'gone', state: 'succeeded', created_at: old, updated_at: old }),
      rec({ fingerprint: 'gone', state: 'resolved', status: 'resolved', action: null, created_at: old, updated_at: old }),
      rec({ fingerprint: 'firing', state: 'succeeded', created_at: old, updated_at: old }), // never resolved: its floor may still hold
      rec({ fingerprint: 'young', state: 'succeeded', created_at: old, updated_at: old }),
      rec({ fingerprint: 'young', state: 'resolved', status: 'resolved', action: null, created_at: old, updated_at: recent }),
      rec({ fingerprint: 'waiting', state: 'pending_approval', created_at: old, updated_at: old }),
      rec({ fingerprint: 'waiting', state: 'resolved', status: 'resolved', action: null, created_at: old, updated_at: old }),
    ]);
    j.close();
    const { receiver } = await startWithReceiver(t.config, { clock: t.clock }); // compacts at start
    const left = receiver.store
      .history(100)
      .map((r) => `${r.fingerprint}:${r.status}`)
      .sort();
    assert.deepEqual(left, ['firing:firing', 'waiting:firing', 'waiting:resolved', 'young:firing', 'young:resolved']);
    assert.equal(receiver.compact(), 0);
  });
});
