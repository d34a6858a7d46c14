import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { loadConfigFile } from '../../src/config/load';
import { createLogger } from '../../src/log/logger';
import { Reloader } from '../../src/serve/reload';
import { loadWebConfig } from '../../src/http/web_config';
import { tempDir, writeAged } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { startService } from '../helpers/service';
import { TLS_DIR, tlsGet } from '../helpers/tls';

const BASE =
  'data_dir: data\nlog_dir: logs\nmodels_dir: models\ndatabase_path: db/quantum_trader.db\nmax_cpu_percent: 100\nmax_memory_percent: 100\n';

async function setup(yaml: string, webYaml?: string) {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const file = join(root, 'selfheal.yml');
  writeFileSync(file, BASE + yaml);
  const webFile = webYaml === undefined ? null : join(root, 'web.yml');
  if (webFile) writeFileSync(webFile, webYaml!);
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });
  const config = loadConfigFile(file);
  const s = await startService(config, { logger, web: webFile ? loadWebConfig(webFile) : null });
  const reloader = new Reloader(s.svc, { loadConfig: () => loadConfigFile(file), webConfigFile: webFile });
  const rewrite = (y: string) => writeFileSync(file, BASE + y);
  const rewriteWeb = (y: string) => writeFileSync(webFile!, y);
  const metric = async (name: string) => {
    const text = await (await fetch(`${s.url}/metrics`, { headers: s.svc.web ? {} : {} })).text();
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  };
  return { ...s, root, file, logs, reloader, rewrite, rewriteWeb, metric };
}

const del = (url: string, token?: string) =>
  fetch(`${url}/policy/override`, { method: 'DELETE', headers: token ? { authorization: `Bearer ${token}` } : {} }).then((r) => r.status);

describe('reload (SIGHUP, POST /-/reload)', () => {
  it('a good reload changes thresholds, tokens and the hold-down live, and says what changed', async () => {
    const t = await setup('api: { token: old-token }\npolicy: { hold_down_sec: 0 }\n');
    writeAged(join(t.root, 'data', 'universe_snapshot.json'), JSON.stringify({ symbols: ['BTCUSDT'] }), 100, Date.now());
    await t.svc.monitor.forceCheck();
    assert.equal(t.svc.monitor.report?.subsystem_health.data_feed.status, 'healthy');
    assert.equal(await t.metric('selfheal_config_last_reload_successful'), 1);
    const before = Date.now() / 1000;

    t.rewrite('api: { token: new-token }\npolicy: { hold_down_sec: 0 }\nstale_data_threshold_sec: 50\n');
    const r = await t.reloader.reload();
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(r.changed.sort(), ['api.token', 'stale_data_threshold_sec', 'subsystems.data_feed.degraded_after_sec']);
    await t.svc.monitor.forceCheck();
    assert.equal(t.svc.monitor.report?.subsystem_health.data_feed.status, 'degraded');
    assert.equal(t.svc.policy().policy, 'no_new_trades');
    assert.equal(await del(t.url, 'old-token'), 401);
    assert.equal(await del(t.url, 'new-token'), 200);
    assert.equal(await t.metric('selfheal_config_last_reload_successful'), 1);
    assert.ok((await t.metric('selfheal_config_last_reload_success_timestamp_seconds')) >= before);
    assert.ok(t.logs.some((l) => l.level === 'info' && l.msg === 'Completed loading of configuration file'));

    // A longer hold-down applies to the wait in progress: back to health, the served policy holds.
    t.rewrite('api: { token: new-token }\npolicy: { hold_down_sec: 3600 }\n');
    assert.equal((await t.reloader.reload()).ok, true);
    await t.svc.monitor.forceCheck();
    assert.equal(t.svc.monitor.report?.subsystem_health.data_feed.status, 'healthy');
    assert.equal(t.svc.policy().policy, 'no_new_trades');
    assert.ok(
      t.svc.policy().reasons.some((x) => /hold-down/.test(x)),
      JSON.stringify(t.svc.policy().reasons),
    );
  });

  it('a bad reload keeps the running config, sets the metric to 0 and logs the error naming the key', async () => {
    const t = await setup('api: { token: old-token }\n');
    const cases: [string, RegExp][] = [
      ['api: { token: [unclosed\n', /invalid YAML/],
      ['api: { token: new-token }\ncheck_interval: soon\n', /check_interval: expected a number, got "soon"/],
      ['api: { token: new-token }\nport: 9999\n', /^port: changed, which needs a restart/],
      [
        'api: { token: new-token }\nsubsystems: { logging: { enabled: false } }\n',
        /^subsystems\.logging\.enabled: changed, which needs a restart/,
      ],
      ['api: { token: new-token }\nrecovery: { cooldown_sec: 1 }\n', /^recovery\.cooldown_sec: changed, which needs a restart/],
    ];
    for (const [yaml, re] of cases) {
      t.logs.length = 0;
      t.rewrite(yaml);
      const r = await t.reloader.reload();
      assert.equal(r.ok, false, yaml);
      assert.match(r.error ?? '', re);
      assert.equal(await t.metric('selfheal_config_last_reload_successful'), 0);
      assert.equal(await del(t.url, 'old-token'), 200, 'the old token still works');
      assert.equal(await del(t.url, 'new-token'), 401);
      const last = t.logs.filter((l) => /reloading/.test(String(l.msg))).at(-1)!;
      assert.equal(last.level, 'error');
      assert.match(String(last.err), re);
    }
    const stamp = await t.metric('selfheal_config_last_reload_success_timestamp_seconds');
    t.rewrite('api: { token: new-token }\n');
    assert.equal((await t.reloader.reload()).ok, true);
    assert.equal(await t.metric('selfheal_config_last_reload_successful'), 1);
    assert.ok((await t.metric('selfheal_config_last_reload_success_timestamp_seconds')) >= stamp);
    assert.equal(await del(t.url, 'new-token'), 200);
  });

  it('POST /-/reload is an operator endpoint and answers the outcome', async () => {
    const t = await setup('api: { token: op }\n');
    const anonymous = await fetch(`${t.url}/-/reload`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), { error: 'missing Authorization header' });
    const ok = await fetch(`${t.url}/-/reload`, {
      method: 'POST',
      headers: { authorization: 'Bearer op', 'content-type': 'application/json' },
    });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { ok: boolean }).ok, true);
    t.rewrite('api: { token: op }\nbogus: 1\n');
    const bad = await fetch(`${t.url}/-/reload`, {
      method: 'POST',
      headers: { authorization: 'Bearer op', 'content-type': 'application/json' },
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /bogus: unknown key/);
  });

  it('reloads the web config: new basic auth users at once; TLS on/off needs a restart', async () => {
    const hash = (p: string) => bcrypt.hashSync(p, 4);
    const auth = (u: string, p: string) => ({ authorization: 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64') });
    const t = await setup('', `basic_auth_users: { alice: "${hash('a')}" }\n`);
    assert.equal((await fetch(`${t.url}/-/healthy`, { headers: auth('alice', 'a') })).status, 200);
    t.rewriteWeb(`basic_auth_users: { bob: "${hash('b')}" }\n`);
    assert.equal((await t.reloader.reload()).ok, true);
    assert.equal((await fetch(`${t.url}/-/healthy`, { headers: auth('alice', 'a') })).status, 401);
    assert.equal((await fetch(`${t.url}/-/healthy`, { headers: auth('bob', 'b') })).status, 200);
    t.rewriteWeb(`tls_server_config: { cert_file: ${join(TLS_DIR, 'server.crt')}, key_file: ${join(TLS_DIR, 'server.key')} }\n`);
    const r = await t.reloader.reload();
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /tls_server_config: turning TLS on or off needs a restart/);
    assert.equal((await fetch(`${t.url}/-/healthy`, { headers: auth('bob', 'b') })).status, 200);
  });

  it('swaps the TLS certificate on reload', async () => {
    const tlsYaml = (name: string) =>
      `tls_server_config: { cert_file: ${join(TLS_DIR, `${name}.crt`)}, key_file: ${join(TLS_DIR, `${name}.key`)} }\n`;
    const t = await setup('', tlsYaml('server'));
    const https = t.url.replace('http:', 'https:');
    const first = (await tlsGet(`${https}/-/healthy`)).fingerprint;
    t.rewriteWeb(tlsYaml('server2'));
    assert.equal((await t.reloader.reload()).ok, true);
    const second = (await tlsGet(`${https}/-/healthy`)).fingerprint;
    assert.ok(first && second && first !== second, `${first} vs ${second}`);
  });
});
