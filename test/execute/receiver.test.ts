import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NOW, tempDir, writeAged } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { amFixture } from '../helpers/fixtures';
import { healthyPlatform } from '../helpers/platform';
import { delivery, postHook, startWithReceiver } from '../helpers/receiver';
import { getJson, post, refused } from '../helpers/service';
import { parseWebhook } from '../../src/execute/webhook';

function setup(extra: Record<string, unknown> = {}, recovery: Record<string, unknown> = {}) {
  const root = tempDir();
  let now = NOW;
  healthyPlatform(root, now);
  const config = configIn(root, {
    policy: { hold_down_sec: 0 },
    api: { token: 'op-token' },
    receiver: { bearer_token: 'hook-token' },
    // These tests drive the Alertmanager path; the local path has its own (test/execute/local.test.ts).
    recovery: { settle_sec: 30, local: false, ...recovery },
    ...extra,
  });
  return {
    root,
    data: join(root, 'data'),
    config,
    clock: () => now,
    advance: (sec: number) => (now += sec * 1000),
    at: (ms: number) => (now = ms),
    now: () => now,
  };
}

const executions = (recs: { started_at: number | null }[]) => recs.filter((r) => r.started_at !== null).length;
const critical = (subsystem: string, fingerprint = `fp-${subsystem}`, startsAt?: string) => ({
  labels: { subsystem, issue_severity: 'critical' },
  fingerprint,
  startsAt,
});

describe('idempotent intake', () => {
  it('the real Alertmanager delivery is accepted and recorded once', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const fx = amFixture('webhook-firing');
    const first = await postHook(url, fx.body, fx.headers.authorization.replace('demo-token', 'hook-token'));
    assert.deepEqual([first.status, first.body], [200, { received: 1, recorded: 1, deduplicated: 0 }]);
    await receiver.executor.runDue();
    const h = receiver.store.history(10);
    assert.equal(h[0].subsystem, 'data_feed');
    assert.equal(h[0].action, 'switch_to_safe_profile'); // no issue_severity label: severity warning → high
  });

  it('one alert delivered 50 times sequentially runs its action once', async () => {
    const t = setup();
    writeAged(join(t.data, 'orchestrator_state.json'), '{}', 4000);
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    for (let i = 0; i < 50; i++) {
      const r = await postHook(url, delivery([critical('orchestrator')]));
      assert.equal(r.status, 200);
      await receiver.executor.runDue();
    }
    assert.equal(executions(receiver.store.history(100)), 1);
    assert.equal(receiver.store.history(100).length, 1);
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /^selfheal_webhook_alerts_deduplicated_total 49$/m);
    assert.match(m, /^selfheal_webhook_alerts_received_total\{status="firing"\} 50$/m);
  });

  it('… and 50 times concurrently', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock, schedule: true });
    const results = await Promise.all(Array.from({ length: 50 }, () => postHook(url, delivery([critical('ai_model')]))));
    assert.ok(results.every((r) => r.status === 200));
    assert.equal(
      results.reduce((n, r) => n + (r.body.recorded as number), 0),
      1,
    );
    await receiver.executor.idle();
    await receiver.executor.runDue();
    assert.equal(executions(receiver.store.history(100)), 1);
    assert.ok(existsSync(join(t.data, 'ai_model_disabled.flag')));
  });

  it('… and across a receiver restart', async () => {
    const t = setup();
    const a = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(a.url, delivery([critical('ai_model')]));
    await a.receiver.executor.runDue();
    await a.stop();
    rmSync(join(t.data, 'ai_model_disabled.flag'));
    const b = await startWithReceiver(t.config, { clock: t.clock });
    for (let i = 0; i < 49; i++) assert.equal((await postHook(b.url, delivery([critical('ai_model')]))).body.deduplicated, 1);
    await b.receiver.executor.runDue();
    assert.equal(executions(b.receiver.store.history(100)), 1);
    assert.ok(!existsSync(join(t.data, 'ai_model_disabled.flag')), 'the action did not run again');
  });

  it('a new firing of the same alert (new startsAt) is a new action', async () => {
    const t = setup({}, { cooldown_sec: 0 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([critical('ai_model', 'fp', '2026-11-29T12:00:00Z')]));
    await postHook(url, delivery([critical('ai_model', 'fp', '2026-11-29T13:00:00Z')]));
    await receiver.executor.runDue(); // one action at a time per subsystem: the second runs next pass
    assert.equal(executions(receiver.store.history(100)), 1);
    await receiver.executor.runDue();
    assert.equal(executions(receiver.store.history(100)), 2);
  });
});

describe('resolved alerts', () => {
  it('a resolved delivery alone runs nothing', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const r = await postHook(url, delivery([{ ...critical('orchestrator'), status: 'resolved' }]));
    assert.equal(r.status, 200);
    await receiver.executor.runDue();
    const h = receiver.store.history(10);
    assert.deepEqual([h.length, h[0].state, executions(h)], [1, 'resolved', 0]);
  });

  it('each alert by its own status: a resolved alert in a firing group is not remediated', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([critical('ai_model'), { ...critical('orchestrator'), status: 'resolved' }]));
    await receiver.executor.runDue();
    const byState = Object.fromEntries(receiver.store.history(10).map((r) => [r.subsystem, r.state]));
    assert.deepEqual(byState, { ai_model: 'succeeded', orchestrator: 'resolved' });
  });

  it('pause_trading imposes no_new_trades; its resolution lifts it', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'allow_all');
    await postHook(url, delivery([critical('data_feed')]));
    await receiver.executor.runDue();
    const p = await getJson(`${url}/policy`);
    assert.equal(p.body.policy, 'no_new_trades');
    assert.ok((p.body.reasons as string[]).some((r) => r.includes('pause_trading for data_feed')));
    await postHook(url, delivery([{ ...critical('data_feed'), status: 'resolved' }]));
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'allow_all');
    assert.match(receiver.store.history(1)[0].detail ?? '', /lifted the no_new_trades floor/);
  });

  it('an action not yet run is cancelled when its alert resolves', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([{ labels: { subsystem: 'logging', issue_severity: 'medium' }, fingerprint: 'lg' }]));
    await postHook(url, delivery([{ labels: { subsystem: 'logging', issue_severity: 'medium' }, fingerprint: 'lg', status: 'resolved' }]));
    assert.deepEqual(
      receiver.store
        .history(10)
        .map((r) => r.state)
        .sort(),
      ['cancelled', 'resolved'],
    );
  });
});

describe('authentication', () => {
  it('bearer: missing or wrong → 401; the operator token cannot post alerts and the webhook token cannot reset', async () => {
    const t = setup();
    const { url } = await startWithReceiver(t.config, { clock: t.clock });
    const body = delivery([critical('ai_model')]);
    await refused(postHook(url, body, ''), 401, /^missing Authorization header$/);
    await refused(postHook(url, body, 'Bearer wrong'), 401, /^invalid credentials$/);
    await refused(postHook(url, body, 'Bearer op-token'), 401, /^invalid credentials$/);
    await refused(post(`${url}/policy/reset`, { reason: 'x' }, { authorization: 'Bearer hook-token' }), 401, /^invalid credentials$/);
    assert.equal((await postHook(url, body)).status, 200);
  });
  it('basic auth', async () => {
    const t = setup({ receiver: { basic_auth: { username: 'am', password: 's3cret' } } });
    const { url } = await startWithReceiver(t.config, { clock: t.clock });
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    await refused(postHook(url, delivery([critical('ai_model')]), basic('am', 'wrong')), 401, /^invalid credentials$/);
    assert.equal((await postHook(url, delivery([critical('ai_model')]), basic('am', 's3cret'))).status, 200);
  });
  it('no credential configured: loopback is accepted', async () => {
    const t = setup({ receiver: {} });
    const { url } = await startWithReceiver(t.config, { clock: t.clock });
    assert.equal((await postHook(url, delivery([critical('ai_model')]), '')).status, 200);
  });
});

describe('malformed input gets a 4xx with a reason and the process keeps serving', () => {
  const good = delivery([critical('ai_model')]);
  const alert0 = good.alerts[0];
  const corpus: [string, string, number, RegExp][] = [
    ['truncated JSON', '{"alerts": [', 400, /malformed JSON/],
    ['empty body', '', 400, /alerts: expected a list/],
    ['null', 'null', 400, /malformed JSON|body: expected a JSON object/],
    ['a list', '[]', 400, /body: expected a JSON object/],
    ['alerts not a list', JSON.stringify({ alerts: 'x' }), 400, /alerts: expected a list/],
    ['missing alerts', JSON.stringify({ version: '4' }), 400, /alerts: expected a list/],
    ['wrong version', JSON.stringify({ ...good, version: '3' }), 400, /version/],
    ['bad status', JSON.stringify({ alerts: [{ ...alert0, status: 'bogus' }] }), 400, /alerts\[0\]\.status/],
    ['label not a string', JSON.stringify({ alerts: [{ ...alert0, labels: { subsystem: 5 } }] }), 400, /alerts\[0\]\.labels\.subsystem/],
    ['missing startsAt', JSON.stringify({ alerts: [{ ...alert0, startsAt: undefined }] }), 400, /startsAt/],
    ['bad startsAt', JSON.stringify({ alerts: [{ ...alert0, startsAt: 'yesterday' }] }), 400, /startsAt/],
    ['missing fingerprint', JSON.stringify({ alerts: [{ ...alert0, fingerprint: undefined }] }), 400, /fingerprint/],
    ['alert not an object', JSON.stringify({ alerts: [42] }), 400, /alerts\[0\]: expected an object/],
    ['huge body', JSON.stringify({ ...good, pad: 'x'.repeat(2 * 1024 * 1024) }), 413, /too large/],
  ];
  it('every payload of the corpus', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    for (const [name, body, status, why] of corpus) {
      const r = await postHook(url, body);
      assert.equal(r.status, status, name);
      assert.match(String(r.body.error), why, name);
    }
    assert.equal(receiver.store.history(100).length, 0, 'nothing recorded from bad input');
    assert.equal((await fetch(`${url}/-/healthy`)).status, 200);
    assert.equal((await postHook(url, good)).status, 200);
  });
});

describe('storm safety (injected clock)', () => {
  it('cooldown per (subsystem, action): a second alert waits until the cooldown ends', async () => {
    const t = setup({}, { cooldown_sec: 300 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([critical('ai_model', 'one')]));
    await receiver.executor.runDue();
    t.advance(10);
    await postHook(url, delivery([critical('ai_model', 'two')]));
    await receiver.executor.runDue();
    const two = () => receiver.store.history(10).find((r) => r.fingerprint === 'two')!;
    assert.equal(two().state, 'recorded');
    assert.equal(two().not_before, NOW + 300_000);
    t.at(NOW + 299_999);
    await receiver.executor.runDue();
    assert.equal(two().state, 'recorded');
    t.at(NOW + 300_000);
    await receiver.executor.runDue();
    assert.equal(two().state, 'succeeded');
  });

  it('a restart that does not help is retried with backoff 10 s, 20 s … then escalated to approval', async () => {
    const t = setup({ max_consecutive_failures: 3 });
    writeAged(join(t.data, 'orchestrator_state.json'), '{}', 4000, NOW); // critical, and restarts do not help
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([critical('orchestrator', 'r')])); // one firing alert, delivered once
    await receiver.executor.runDue();
    const attempts = () =>
      receiver.store
        .history(50)
        .filter((r) => r.fingerprint === 'r')
        .reverse();
    assert.equal(attempts()[0].state, 'verifying');
    assert.ok(existsSync(join(t.data, 'orchestrator_restart_requested.flag')));
    t.advance(30);
    await receiver.executor.runDue();
    assert.equal(attempts()[0].state, 'failed');
    assert.match(attempts()[0].detail ?? '', /verify: critical → critical/);
    // attempt 2: backs off 10 s from the failure
    await receiver.executor.runDue();
    const failed1 = attempts()[0].finished_at!;
    assert.equal(attempts()[1].not_before, failed1 + 10_000);
    t.at(failed1 + 9_999);
    await receiver.executor.runDue();
    assert.equal(attempts()[1].state, 'recorded');
    t.at(failed1 + 10_000);
    await receiver.executor.runDue();
    assert.equal(attempts()[1].state, 'verifying');
    t.advance(30);
    await receiver.executor.runDue();
    assert.equal(attempts()[1].state, 'failed');
    // attempt 3: 20 s
    await receiver.executor.runDue();
    assert.equal(attempts()[2].not_before, attempts()[1].finished_at! + 20_000);
    t.at(attempts()[2].not_before!);
    await receiver.executor.runDue();
    t.advance(30);
    await receiver.executor.runDue();
    assert.equal(attempts()[2].state, 'failed');
    // attempt 4: three failures in a row → escalate, do not run
    await receiver.executor.runDue();
    assert.equal(attempts()[3].state, 'pending_approval');
    assert.match(attempts()[3].reason, /escalated: 3 restarts in a row/);
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /selfheal_recovery_actions_total\{action="restart_subsystem",subsystem="orchestrator",outcome="failure"\} 3/);
    assert.match(m, /^selfheal_recovery_pending_approvals 1$/m);
  });

  it('no retry once the alert has resolved', async () => {
    const t = setup();
    writeAged(join(t.data, 'orchestrator_state.json'), '{}', 4000, NOW);
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([critical('orchestrator', 'q')]));
    await receiver.executor.runDue();
    await postHook(url, delivery([{ ...critical('orchestrator', 'q'), status: 'resolved' }]));
    t.advance(30);
    await receiver.executor.runDue();
    await receiver.executor.runDue();
    assert.deepEqual(
      receiver.store
        .history(10)
        .map((r) => r.state)
        .sort(),
      ['failed', 'resolved'],
    );
  });

  it('a restart that helps is recorded as success', async () => {
    const t = setup();
    writeAged(join(t.data, 'orchestrator_state.json'), '{}', 4000, NOW);
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([critical('orchestrator')]));
    await receiver.executor.runDue();
    t.advance(30);
    writeAged(join(t.data, 'orchestrator_state.json'), '{}', 0, t.now()); // the platform restarted it
    await receiver.executor.runDue();
    const r = receiver.store.history(1)[0];
    assert.equal(r.state, 'succeeded');
    assert.match(r.detail ?? '', /verify: critical → healthy/);
  });

  it('circuit breaker: at most N executions per window, then approval and the metric', async () => {
    const t = setup({}, { cooldown_sec: 0, breaker_max_executions: 2, breaker_window_sec: 600 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    for (let i = 1; i <= 3; i++) {
      await postHook(url, delivery([critical('ai_model', `b${i}`)]));
      await receiver.executor.runDue();
      t.advance(1);
    }
    assert.deepEqual(
      receiver.store
        .history(10)
        .map((r) => r.state)
        .reverse(),
      ['succeeded', 'succeeded', 'pending_approval'],
    );
    assert.match(receiver.store.history(1)[0].reason, /circuit open: 2 executions/);
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /^selfheal_recovery_circuit_open\{subsystem="ai_model",action="disable_module"\} 1$/m);
  });

  it('dry run, globally and per action: decided and recorded, nothing done', async () => {
    const t = setup({}, { dry_run_actions: ['disable_module'] });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([critical('ai_model'), critical('orchestrator')]));
    await receiver.executor.runDue();
    assert.ok(!existsSync(join(t.data, 'ai_model_disabled.flag')));
    assert.ok(existsSync(join(t.data, 'orchestrator_restart_requested.flag')));
    assert.equal(receiver.store.history(10).find((r) => r.subsystem === 'ai_model')!.state, 'dry_run');

    const g = setup({}, { dry_run: true });
    const s2 = await startWithReceiver(g.config, { clock: g.clock });
    await postHook(s2.url, delivery([critical('data_feed')]));
    await s2.receiver.executor.runDue();
    assert.equal((await getJson(`${s2.url}/policy`)).body.policy, 'allow_all');
    assert.match(await (await fetch(`${s2.url}/metrics`)).text(), /outcome="dry_run"\} 1/);
  });
});

describe('approvals', () => {
  it('manual actions wait in /recovery/pending; approve needs the operator token and a reason', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([{ labels: { subsystem: 'logging', issue_severity: 'medium' } }]));
    await receiver.executor.runDue();
    await refused(getJson(`${url}/recovery/pending`), 401, /^missing Authorization header$/); // the journal is the operator's to read
    const pending = (await (await fetch(`${url}/recovery/pending`, { headers: { authorization: 'Bearer op-token' } })).json()) as {
      id: string;
      action: string;
    }[];
    assert.deepEqual(
      pending.map((p) => p.action),
      ['reload_config'],
    );
    const id = pending[0].id;
    await refused(post(`${url}/recovery/${id}/approve`, { reason: 'ok' }), 401, /^missing Authorization header$/);
    await refused(post(`${url}/recovery/${id}/approve`, {}, { authorization: 'Bearer op-token' }), 400, /^reason: required/);
    await refused(post(`${url}/recovery/nope/approve`, { reason: 'ok' }, { authorization: 'Bearer op-token' }), 404, /^no such action$/);
    const ok = await post(`${url}/recovery/${id}/approve`, { reason: 'config fixed' }, { authorization: 'Bearer op-token' });
    assert.equal(ok.status, 200);
    await receiver.executor.runDue();
    assert.ok(existsSync(join(t.data, 'logging_reload_config_requested.flag')));
    assert.match(receiver.store.get(id)!.reason, /approved: config fixed/);
    await refused(
      post(`${url}/recovery/${id}/reject`, { reason: 'late' }, { authorization: 'Bearer op-token' }),
      409,
      /not pending_approval/,
    );
  });

  it('destructive actions never run without approval; reject and expiry are recorded', async () => {
    const t = setup({}, { approval_ttl_sec: 600 });
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(
      url,
      delivery([
        { labels: { subsystem: 'event_executor', action: 'defensive_exit', severity: 'critical' }, fingerprint: 'd1' },
        { labels: { subsystem: 'event_executor', action: 'close_all_positions', severity: 'critical' }, fingerprint: 'd2' },
      ]),
    );
    await receiver.executor.runDue();
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'allow_all', 'nothing ran');
    const [d1, d2] = ['d1', 'd2'].map((f) => receiver.store.history(10).find((r) => r.fingerprint === f)!);
    assert.deepEqual([d1.state, d2.state], ['pending_approval', 'pending_approval']);
    assert.equal(
      (await post(`${url}/recovery/${d1.id}/reject`, { reason: 'desk says no' }, { authorization: 'Bearer op-token' })).body.state,
      'rejected',
    );
    t.advance(601);
    await receiver.executor.runDue();
    assert.equal(receiver.store.get(d2.id)!.state, 'expired');
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'allow_all');
  });
});

describe('handlers', () => {
  it('exec: argv, alert context in the environment, injection is just a string', async () => {
    const t = setup();
    const out = join(t.root, 'env.json');
    const sentinel = join(t.root, 'pwned');
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SELFHEAL_')))))`;
    t.config.recovery.handlers = [
      {
        action: 'restart_subsystem',
        subsystem: null,
        exec: [process.execPath, '-e', script, `; touch ${sentinel}`],
        http: null,
        timeout_sec: 20,
      },
    ];
    writeAged(join(t.data, 'orchestrator_state.json'), '{}', 4000, NOW);
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(
      url,
      delivery([
        {
          labels: { subsystem: 'orchestrator', issue_severity: 'critical', note: `; touch ${sentinel}; $(touch ${sentinel})` },
          fingerprint: 'x1',
        },
      ]),
    );
    await receiver.executor.runDue();
    const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    assert.equal(env.SELFHEAL_ACTION, 'restart_subsystem');
    assert.equal(env.SELFHEAL_SUBSYSTEM, 'orchestrator');
    assert.equal(env.SELFHEAL_SEVERITY, 'critical');
    assert.equal(env.SELFHEAL_ALERTNAME, 'SelfHealSubsystemCritical');
    assert.equal(env.SELFHEAL_FINGERPRINT, 'x1');
    assert.equal(env.SELFHEAL_STARTS_AT, '2026-11-29T12:00:00Z');
    assert.equal(JSON.parse(env.SELFHEAL_LABELS).note, `; touch ${sentinel}; $(touch ${sentinel})`);
    assert.ok(!existsSync(sentinel), 'no shell ever ran');
    assert.ok(!existsSync(join(t.data, 'orchestrator_restart_requested.flag')), 'a configured handler replaces the flag file');
  });

  it('exec: a handler that times out or cannot start is a failed action, not a crash (one that cannot start: own fault)', async () => {
    const t = setup();
    t.config.recovery.handlers = [
      {
        action: 'disable_module',
        subsystem: 'ai_model',
        exec: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'],
        http: null,
        timeout_sec: 0.3,
      },
      { action: 'restart_subsystem', subsystem: null, exec: ['/nonexistent/restart'], http: null, timeout_sec: 5 },
    ];
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    await postHook(url, delivery([critical('ai_model'), critical('orchestrator')]));
    await receiver.executor.runDue();
    const by = Object.fromEntries(receiver.store.history(10).map((r) => [r.subsystem, r]));
    assert.equal(by.ai_model.state, 'failed');
    assert.match(by.ai_model.detail ?? '', /timed out after 0.3s/);
    assert.equal(by.orchestrator.state, 'failed');
    assert.match(by.orchestrator.detail ?? '', /could not start \/nonexistent\/restart: .*ENOENT/);
    // A timeout is the target's failure; a program that could not start ran nothing: selfheal's own fault, never the platform's.
    assert.deepEqual([by.ai_model.outcome, by.orchestrator.outcome], ['failure', 'own_fault']);
    assert.equal((await fetch(`${url}/-/healthy`)).status, 200);
  });

  it('http: the alert context as a JSON body', async () => {
    const t = setup();
    const bodies: unknown[] = [];
    const srv = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        bodies.push(JSON.parse(b));
        res.end('paused');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as AddressInfo).port;
      t.config.recovery.handlers = [
        {
          action: 'pause_trading',
          subsystem: null,
          exec: null,
          http: { url: `http://127.0.0.1:${port}/admin/pause`, method: 'POST', headers: {} },
          timeout_sec: 5,
        },
      ];
      const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
      await postHook(url, delivery([critical('exchange_connection')]));
      await receiver.executor.runDue();
      assert.deepEqual(bodies, [
        {
          action: 'pause_trading',
          subsystem: 'exchange_connection',
          severity: 'critical',
          alertname: 'SelfHealSubsystemCritical',
          fingerprint: 'fp-exchange_connection',
          starts_at: '2026-11-29T12:00:00Z',
          labels: delivery([critical('exchange_connection')]).alerts[0].labels,
        },
      ]);
      assert.equal(receiver.store.history(1)[0].state, 'succeeded');
      assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades', 'the floor applies as well');
    } finally {
      srv.close();
    }
  });
});

describe('when the journal cannot record', () => {
  it('deliveries recorded together (group commit) are recorded all or none', async () => {
    const t = setup();
    const { receiver } = await startWithReceiver(t.config, { clock: t.clock });
    const alerts = (s: string) => {
      const p = parseWebhook(delivery([critical(s)]));
      assert.ok(p.ok);
      return p.value.alerts;
    };
    const together = [alerts('orchestrator'), alerts('ai_model'), alerts('orchestrator')];
    const insertMany = receiver.store.insertMany.bind(receiver.store);
    let calls = 0;
    receiver.store.insertMany = (recs) => {
      if (++calls === 2) throw new Error('disk full');
      return insertMany(recs);
    };
    assert.throws(() => receiver.executor.recordMany(together), /disk full/);
    assert.equal(receiver.store.history(10).length, 0, 'the first delivery of the failed group was rolled back');

    receiver.store.insertMany = insertMany;
    const recorded = receiver.executor.recordMany(together);
    assert.deepEqual(
      recorded.map((r) => [r.inserted.length, r.duplicates]),
      [
        [1, 0],
        [1, 0],
        [0, 1],
      ],
    );
    assert.equal(receiver.store.history(10).length, 2);
  });

  it('answers 503 so Alertmanager retries, and keeps serving', async () => {
    const t = setup();
    const { url, receiver } = await startWithReceiver(t.config, { clock: t.clock });
    receiver.store.close(); // the disk went away
    const r = await postHook(url, delivery([critical('ai_model')]));
    assert.equal(r.status, 503);
    assert.match(String(r.body.error), /could not record/);
    assert.equal((await fetch(`${url}/-/healthy`)).status, 200);
    assert.equal((await getJson(`${url}/policy`)).status, 200);
  });
});
