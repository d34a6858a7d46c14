import { rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkCredentials } from '../../src/http/auth';
import { BUILTIN_SUBSYSTEMS, HEALTH_STATUSES, ISSUE_SEVERITIES, RECOVERY_ACTIONS, SAFETY_POLICIES } from '../../src/types';
import { tempDir, writeAged } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { openSse } from '../helpers/sse';
import { healthyPlatform } from '../helpers/platform';
import { getJson, post, refused, startService } from '../helpers/service';

function platform(extra: Record<string, unknown> = {}) {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  return { root, config: configIn(root, { policy: { hold_down_sec: 0 }, ...extra }) };
}

function series(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith(name + '{') || line.startsWith(name + ' ')) {
      const i = line.lastIndexOf(' ');
      out.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
  }
  return out;
}

const FAMILIES = [
  'selfheal_subsystem_status',
  'selfheal_overall_status',
  'selfheal_safety_policy',
  'selfheal_safety_policy_level',
  'selfheal_trading_allowed',
  'selfheal_requires_immediate_action',
  'selfheal_issues',
  'selfheal_recovery_recommendations',
  'selfheal_cpu_usage_ratio',
  'selfheal_memory_usage_ratio',
  'selfheal_open_connections',
  'selfheal_subsystem_check_duration_seconds',
  'selfheal_subsystem_consecutive_failures',
  'selfheal_subsystem_check_errors_total',
  'selfheal_subsystem_last_update_timestamp_seconds',
  'selfheal_last_check_timestamp_seconds',
  'selfheal_check_cycle_duration_seconds',
  'selfheal_policy_changes_total',
  'selfheal_build_info',
  'selfheal_recovery_actions_total',
  'selfheal_subsystems',
  'selfheal_subsystem_problem',
  'selfheal_overall_problem',
  'selfheal_safety_policy_restricted',
];

describe('metrics contract', () => {
  it('every family is present, state sets have exactly one 1, and promtool check metrics is clean', async () => {
    const { root, config } = platform();
    writeAged(join(root, 'data', 'recent_trades.json'), '{}', 400, Date.now());
    const { url } = await startService(config);
    const res = await fetch(`${url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain; version=0.0.4/);
    const text = await res.text();
    for (const f of FAMILIES) assert.match(text, new RegExp(`^# TYPE ${f} (gauge|counter)$`, 'm'), f);
    const status = series(text, 'selfheal_subsystem_status');
    assert.equal(status.size, BUILTIN_SUBSYSTEMS.length * HEALTH_STATUSES.length);
    for (const s of BUILTIN_SUBSYSTEMS) {
      const ones = HEALTH_STATUSES.filter((st) => status.get(`selfheal_subsystem_status{subsystem="${s}",status="${st}"}`) === 1);
      assert.equal(ones.length, 1, s);
    }
    assert.equal(status.get('selfheal_subsystem_status{subsystem="exchange_connection",status="degraded"}'), 1);
    assert.equal([...series(text, 'selfheal_overall_status').values()].filter((v) => v === 1).length, 1);
    const pol = series(text, 'selfheal_safety_policy');
    assert.equal(pol.size, SAFETY_POLICIES.length);
    assert.equal(pol.get('selfheal_safety_policy{policy="no_new_trades"}'), 1);
    assert.equal(series(text, 'selfheal_safety_policy_level').get('selfheal_safety_policy_level'), 2);
    assert.equal(series(text, 'selfheal_issues').size, ISSUE_SEVERITIES.length);
    assert.equal(series(text, 'selfheal_issues').get('selfheal_issues{severity="medium"}'), 1);
    assert.equal(series(text, 'selfheal_recovery_recommendations').size, RECOVERY_ACTIONS.length * 2, 'every action × auto true/false');
    assert.equal(
      series(text, 'selfheal_recovery_recommendations').get('selfheal_recovery_recommendations{action="reload_config",auto="false"}'),
      1,
    );
    const updated = series(text, 'selfheal_subsystem_last_update_timestamp_seconds');
    // ai_model's file_set has no single evidence time; every other check has one.
    assert.equal(updated.size, BUILTIN_SUBSYSTEMS.length - 1);
    assert.ok(![...updated.keys()].some((k) => k.includes('"ai_model"')));
    assert.match(text, /^selfheal_build_info\{version="\d+\.\d+\.\d+",revision="[^"]+",nodejs_version="v\d+\.\d+\.\d+"\} 1$/m);

    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.equal((lint.stdout + lint.stderr).trim(), '');
  });

  it('the sparse families carry what is wrong, mirror their state sets on every path, and vanish when it clears', async () => {
    const { root, config } = platform({ api: { token: 't' } });
    const { url } = await startService(config);
    const auth = { authorization: 'Bearer t' };
    const feed = join(root, 'data', 'universe_snapshot.json');
    const trades = join(root, 'data', 'recent_trades.json');
    const steps: [string, () => Promise<unknown>, [string, number][]][] = [
      ['healthy: none at all', async () => undefined, []],
      [
        'a stale trades file: exchange_connection degraded',
        async () => writeAged(trades, '{}', 400, Date.now()),
        [
          ['selfheal_overall_problem{status="degraded"}', 1],
          ['selfheal_safety_policy_restricted{policy="no_new_trades"}', 1],
          ['selfheal_subsystem_problem{subsystem="exchange_connection",status="degraded"}', 1],
        ],
      ],
      [
        'and a feed without symbols: data_feed critical',
        async () => writeAged(feed, '{"symbols": []}', 0),
        [
          ['selfheal_overall_problem{status="critical"}', 1],
          ['selfheal_safety_policy_restricted{policy="defensive_exit"}', 1],
          ['selfheal_subsystem_problem{subsystem="exchange_connection",status="degraded"}', 1],
          ['selfheal_subsystem_problem{subsystem="data_feed",status="critical"}', 1],
        ],
      ],
      ['all fixed: gone again (stale markers resolve the alerts)', async () => healthyPlatform(root, Date.now()), []],
      [
        'an operator override on a healthy platform: the policy is restricted, the status is not a problem',
        () => post(`${url}/policy/override`, { policy: 'defensive_exit', duration_sec: 600, reason: 'venue outage' }, auth),
        [['selfheal_safety_policy_restricted{policy="defensive_exit"}', 1]],
      ],
      ['the override lifted', () => fetch(`${url}/policy/override`, { method: 'DELETE', headers: auth }), []],
    ];
    for (const [what, act, want] of steps) {
      await act();
      await post(`${url}/health/force-check`, {});
      const text = await (await fetch(`${url}/metrics`)).text();
      const sparse = ['selfheal_overall_problem', 'selfheal_safety_policy_restricted', 'selfheal_subsystem_problem'].flatMap((f) => [
        ...series(text, f).entries(),
      ]);
      assert.deepEqual(sparse.sort(), want.sort(), what);
      // Each sparse family is its state set's 1 minus the healthy state (allow_all; healthy and unknown).
      const ones = (f: string, label: string, skip: string[]) =>
        [...series(text, f)]
          .filter(([k, v]) => v === 1 && !skip.some((x) => k.includes(`${label}="${x}"`)))
          .map(([k]) => k.slice(f.length));
      assert.deepEqual(
        ones('selfheal_safety_policy', 'policy', ['allow_all']),
        [...series(text, 'selfheal_safety_policy_restricted').keys()].map((k) => k.slice('selfheal_safety_policy_restricted'.length)),
        what,
      );
      assert.deepEqual(
        ones('selfheal_overall_status', 'status', ['healthy', 'unknown']),
        [...series(text, 'selfheal_overall_problem').keys()].map((k) => k.slice('selfheal_overall_problem'.length)),
        what,
      );
    }
  });

  it('a scrape does no I/O: it serves the last cycle even when the files change', async () => {
    const { root, config } = platform();
    const { url } = await startService(config);
    const before = await (await fetch(`${url}/metrics`)).text();
    writeAged(join(root, 'data', 'universe_snapshot.json'), '{"symbols": []}', 0);
    const again = await (await fetch(`${url}/metrics`)).text();
    assert.equal(again, before);
    await post(`${url}/health/force-check`, {});
    const after = await (await fetch(`${url}/metrics`)).text();
    assert.equal(series(after, 'selfheal_subsystem_status').get('selfheal_subsystem_status{subsystem="data_feed",status="critical"}'), 1);
  });
});

describe('HTTP API', () => {
  it("endpoints answer in the guide's shapes", async () => {
    const { config } = platform();
    const { url } = await startService(config);
    const home = await (await fetch(`${url}/`)).text();
    assert.match(home, /<h1>selfheal /);
    assert.match(home, /<script type="module" src="\/console\/app.js"><\/script>/); // the console (test/console/)
    assert.equal((await fetch(`${url}/-/healthy`)).status, 200);
    assert.equal((await fetch(`${url}/-/ready`)).status, 200);
    const sys = await getJson(`${url}/health/system`);
    assert.deepEqual(Object.keys(sys.body).sort(), [
      'critical_issues',
      'directives',
      'issues',
      'overall_status',
      'safety_policy',
      'summary',
      'trading_allowed',
    ]);
    assert.equal(sys.body.overall_status, 'healthy');
    const fc = await post(`${url}/health/force-check`, {});
    assert.deepEqual(Object.keys(fc.body).sort(), ['issues', 'status', 'timestamp']);
    const rep = await getJson(`${url}/report`);
    for (const k of [
      'timestamp',
      'overall_status',
      'current_safety_policy',
      'subsystem_health',
      'detected_issues',
      'recovery_recommendations',
      'trading_should_continue',
      'requires_immediate_action',
      'summary',
    ]) {
      assert.ok(k in rep.body, k);
    }
    const pol = await getJson(`${url}/policy`);
    assert.deepEqual(
      Object.keys(pol.body).sort(),
      [
        'directives',
        'high_risk',
        'level',
        'manual_intervention_required',
        'max_leverage',
        'new_positions_allowed',
        'policy',
        'position_size_multiplier',
        'reasons',
        'timestamp',
        'trading_allowed',
        'valid_until',
      ].sort(),
    );
    assert.deepEqual(
      [pol.body.policy, pol.body.level, pol.body.new_positions_allowed, pol.body.position_size_multiplier],
      ['allow_all', 0, true, 1],
    );
    await refused(getJson(`${url}/nope`), 404, /^not found$/);
  });

  it('safe_risk_profile serves max leverage 5 and size multiplier 0.5', async () => {
    const { config } = platform({ api: { token: 't' } });
    const { url } = await startService(config);
    const r = await post(
      `${url}/policy/override`,
      { policy: 'safe_risk_profile', duration_sec: 60, reason: 'volatility' },
      { authorization: 'Bearer t' },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(
      [r.body.policy, r.body.max_leverage, r.body.position_size_multiplier, r.body.new_positions_allowed],
      ['safe_risk_profile', 5, 0.5, true],
    );
    assert.ok((r.body.reasons as string[]).includes('override by operator: volatility'));
  });

  it('mutating endpoints require the operator token', async () => {
    const { config } = platform({ api: { token: 'op-secret' } });
    const { url } = await startService(config);
    const body = { policy: 'no_new_trades', duration_sec: 60, reason: 'x' };
    await refused(post(`${url}/policy/override`, body), 401, /^missing Authorization header$/);
    await refused(post(`${url}/policy/override`, body, { authorization: 'Bearer wrong' }), 401, /^invalid credentials$/);
    await refused(post(`${url}/policy/reset`, { reason: 'x' }), 401, /^missing Authorization header$/);
    await refused(getJson(`${url}/policy/override`, { method: 'DELETE' }), 401, /^missing Authorization header$/);
    const ok = await post(`${url}/policy/override`, body, { authorization: 'Bearer op-secret' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.policy, 'no_new_trades');
    // bad input: named field and reason, never a crash
    const bad = await post(
      `${url}/policy/override`,
      { policy: 'yolo', duration_sec: 1, reason: 'x' },
      { authorization: 'Bearer op-secret' },
    );
    assert.deepEqual(
      [bad.status, bad.body.error],
      [400, 'policy: expected one of safe_risk_profile, no_new_trades, defensive_exit, emergency_shutdown'],
    );
    // An override to allow_all would change nothing (an override only tightens): refused, naming the field.
    const loose = await post(
      `${url}/policy/override`,
      { policy: 'allow_all', duration_sec: 60, reason: 'x' },
      { authorization: 'Bearer op-secret' },
    );
    assert.deepEqual(
      [loose.status, loose.body.error],
      [400, 'policy: allow_all is not stricter than allow_all; DELETE /policy/override lifts an override'],
    );
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades', 'the override in place is untouched');
    await refused(
      post(`${url}/policy/override`, { policy: 'no_new_trades', duration_sec: 5 }, { authorization: 'Bearer op-secret' }),
      400,
      /^reason: required/,
    );
    const malformed = await post(`${url}/policy/reset`, '{"reason": ', { authorization: 'Bearer op-secret' });
    assert.equal(malformed.status, 400);
    assert.match(String(malformed.body.error), /malformed JSON/);
    await refused(
      post(`${url}/policy/reset`, { reason: 'not latched' }, { authorization: 'Bearer op-secret' }),
      409,
      /^emergency_shutdown is not latched$/,
    );
    assert.equal((await fetch(`${url}/-/healthy`)).status, 200);
  });

  it('with no token configured, only loopback callers may mutate', () => {
    const req = (addr: string) => ({ socket: { remoteAddress: addr }, headers: {} }) as never;
    const none = { bearer: null, basic: null };
    assert.equal(checkCredentials(req('127.0.0.1'), none).ok, true);
    assert.equal(checkCredentials(req('::1'), none).ok, true);
    assert.equal(checkCredentials(req('::ffff:127.0.0.1'), none).ok, true);
    const far = checkCredentials(req('10.1.2.3'), none);
    assert.equal(far.ok, false);
    assert.equal(!far.ok && far.status, 403);
    assert.match(!far.ok ? far.reason : '', /only loopback callers/);
  });

  it('emergency_shutdown latches until an authenticated reset with a reason', async () => {
    // A trading-critical subsystem that reports failed (here: its state file missing, configured as failed).
    const { root, config } = platform({ api: { token: 'op' }, subsystems: { event_executor: { missing_status: 'failed' } } });
    const state = join(root, 'data', 'event_executor_state.json');
    rmSync(state);
    const { url } = await startService(config);
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'emergency_shutdown');
    writeAged(state, JSON.stringify({ last_cycle_timestamp: new Date().toISOString() }), 0);
    await post(`${url}/health/force-check`, {});
    const still = await getJson(`${url}/policy`);
    assert.equal(still.body.policy, 'emergency_shutdown');
    assert.ok((still.body.reasons as string[]).some((r) => r.includes('latched')));
    await refused(post(`${url}/policy/reset`, {}, { authorization: 'Bearer op' }), 400, /^reason: required/);
    const reset = await post(`${url}/policy/reset`, { reason: 'executor state repaired' }, { authorization: 'Bearer op' });
    assert.equal(reset.status, 200);
    assert.equal(reset.body.policy, 'allow_all');
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.ok(Number(/^selfheal_policy_changes_total (\d+)/m.exec(m)?.[1]) >= 2);
  });

  it('a latched emergency_shutdown survives a restart of selfheal until an operator resets it (fail closed)', async () => {
    const { root, config } = platform({ api: { token: 'op' }, subsystems: { event_executor: { missing_status: 'failed' } } });
    const state = join(root, 'data', 'event_executor_state.json');
    rmSync(state);
    const first = await startService(config);
    assert.equal((await getJson(`${first.url}/policy`)).body.policy, 'emergency_shutdown');
    await first.stop();
    writeAged(state, JSON.stringify({ last_cycle_timestamp: new Date().toISOString() }), 0);
    const second = await startService(config);
    const after = await getJson(`${second.url}/policy`);
    assert.equal(after.body.policy, 'emergency_shutdown', 'a healthy platform after the restart does not release the latch');
    assert.ok((after.body.reasons as string[]).some((r) => r.includes('before a restart of selfheal')));
    assert.equal((await post(`${second.url}/policy/reset`, { reason: 'checked by the desk' }, { authorization: 'Bearer op' })).status, 200);
    await second.stop();
    const third = await startService(config);
    assert.equal((await getJson(`${third.url}/policy`)).body.policy, 'allow_all', 'reset is remembered too');
  });

  it('/policy/stream delivers one event per policy change', async () => {
    const { config } = platform({ api: { token: 'op' } });
    const { url } = await startService(config);
    const sse = await openSse(`${url}/policy/stream`);
    const next = (want: string) => sse.next(want);
    assert.equal((await next('policy')).policy, 'allow_all');
    await post(
      `${url}/policy/override`,
      { policy: 'defensive_exit', duration_sec: 30, reason: 'desk risk-off' },
      { authorization: 'Bearer op' },
    );
    const changed = await next('policy');
    assert.equal(changed.policy, 'defensive_exit');
    assert.equal(changed.new_positions_allowed, false);
    sse.close();
  });
});
