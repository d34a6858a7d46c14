import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/schema/reader';
import { loadWebConfig, parseGoDuration, parseWebConfig, type WebConfig } from '../../src/http/web_config';
import { configIn } from '../helpers/config';
import { tempDir } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { startService } from '../helpers/service';
import { startPrometheus, ROOT } from '../helpers/stack';
import { until } from '../helpers/process';
import { TLS_DIR, tlsGet } from '../helpers/tls';

// Cost 4 keeps the tests quick; the format is what htpasswd -nBC 10 prints ($2y$), which bcryptjs spells $2b$.
const HASH = bcrypt.hashSync('s3cret', 4).replace(/^\$2b\$/, '$2y$');
const basic = (user: string, pass: string) => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
const tls = (extra: Record<string, unknown> = {}) => ({
  cert_file: join(TLS_DIR, 'server.crt'),
  key_file: join(TLS_DIR, 'server.key'),
  ...extra,
});

function web(raw: Record<string, unknown>): WebConfig {
  return parseWebConfig(raw, TLS_DIR);
}

async function service(webRaw: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const config = configIn(root, { policy: { hold_down_sec: 0 }, ...extra });
  const s = await startService(config, { web: web(webRaw) });
  const port = Number(new URL(s.url).port);
  return { ...s, port, https: `https://127.0.0.1:${port}` };
}

describe('web config file: parsing (exporter-toolkit format)', () => {
  it('reads the documented keys', () => {
    const w = web({
      tls_server_config: tls({
        client_auth_type: 'RequireAndVerifyClientCert',
        client_ca_file: 'ca.crt',
        min_version: 'TLS13',
        cipher_suites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
        curve_preferences: ['X25519', 'CurveP256'],
        client_allowed_sans: ['bot.selfheal.test'],
      }),
      http_server_config: {
        http2: true,
        headers: { 'X-Frame-Options': 'deny', 'Strict-Transport-Security': 'max-age=31536000', 'Content-Security-Policy': '' },
      },
      basic_auth_users: { alice: HASH },
      rate_limit: { interval: '1s', burst: 20 },
    });
    assert.equal(w.tls?.minVersion, 'TLSv1.3');
    assert.equal(w.tls?.maxVersion, 'TLSv1.3');
    assert.equal(w.tls?.requestCert, true);
    assert.equal(w.tls?.rejectUnauthorized, true);
    assert.match(w.tls?.ca ?? '', /BEGIN CERTIFICATE/);
    assert.equal(w.tls?.ciphers, 'ECDHE-ECDSA-AES128-GCM-SHA256');
    assert.equal(w.tls?.ecdhCurve, 'X25519:P-256');
    assert.deepEqual(w.headers, [
      ['X-Frame-Options', 'deny'],
      ['Strict-Transport-Security', 'max-age=31536000'],
    ]);
    assert.equal(w.users.get('alice'), HASH);
    assert.deepEqual(w.rateLimit, { intervalMs: 1000, burst: 20 });
  });
  it('an empty file turns nothing on', () => {
    const w = web({});
    assert.equal(w.tls, null);
    assert.equal(w.users.size, 0);
  });
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['unknown top-level key', { tls_config: {} }, /^tls_config: unknown key/],
    ['cert without key', { tls_server_config: { cert_file: join(TLS_DIR, 'server.crt') } }, /^tls_server_config\.key_file: required/],
    [
      'unreadable cert',
      { tls_server_config: tls({ cert_file: 'nope.crt' }) },
      /^tls_server_config\.cert_file: cannot read nope\.crt: ENOENT/,
    ],
    ['inline and file', { tls_server_config: tls({ cert: 'x' }) }, /^tls_server_config\.cert_file: give either cert or cert_file/],
    [
      'bad client_auth_type',
      { tls_server_config: tls({ client_auth_type: 'Yes' }) },
      /^tls_server_config\.client_auth_type: expected one of NoClientCert/,
    ],
    [
      'CA without a policy',
      { tls_server_config: tls({ client_ca_file: 'ca.crt' }) },
      /^tls_server_config\.client_ca_file: a client CA is configured without a client_auth_type/,
    ],
    [
      'min above max',
      { tls_server_config: tls({ min_version: 'TLS13', max_version: 'TLS12' }) },
      /^tls_server_config\.min_version: TLS13 is above max_version TLS12/,
    ],
    [
      'unknown cipher',
      { tls_server_config: tls({ cipher_suites: ['TLS_RSA_WITH_RC4_128_SHA'] }) },
      /^tls_server_config\.cipher_suites\[0\]: unknown or insecure/,
    ],
    [
      'SANs without a required cert',
      { tls_server_config: tls({ client_allowed_sans: ['x'] }) },
      /^tls_server_config\.client_allowed_sans: needs client_auth_type/,
    ],
    [
      'unsupported header',
      { http_server_config: { headers: { 'X-Powered-By': 'me' } } },
      /^http_server_config\.headers\.X-Powered-By: not a supported header/,
    ],
    [
      'bad header value',
      { http_server_config: { headers: { 'X-Content-Type-Options': 'sniff' } } },
      /^http_server_config\.headers\.X-Content-Type-Options: invalid value/,
    ],
    ['plain-text password', { basic_auth_users: { alice: 's3cret' } }, /^basic_auth_users\.alice: expected a bcrypt hash/],
    ['bad duration', { rate_limit: { interval: 'soon', burst: 1 } }, /^rate_limit\.interval: expected a duration/],
  ];
  for (const [name, raw, re] of bad) {
    it(`rejects: ${name}`, () => {
      assert.throws(
        () => web(raw),
        (err: Error) => err instanceof ConfigError && re.test(err.message),
      );
    });
  }
  it('a file error names the file', () => {
    const dir = tempDir();
    const f = join(dir, 'web.yml');
    writeFileSync(f, 'basic_auth_users:\n  alice: plain\n');
    assert.throws(() => loadWebConfig(f), new RegExp(`^ConfigError: web config file ${f}: basic_auth_users\\.alice:`));
    assert.throws(() => loadWebConfig(join(dir, 'missing.yml')), /web config file .*missing\.yml: ENOENT/);
  });
  it("agrees with Prometheus's own validator (promtool check web-config) on every case both versions know", () => {
    const dir = tempDir();
    for (const f of ['server.crt', 'server.key', 'ca.crt']) copyFileSync(join(TLS_DIR, f), join(dir, f));
    const t = (extra: Record<string, unknown> = {}) => ({ cert_file: 'server.crt', key_file: 'server.key', ...extra });
    const cases: [string, Record<string, unknown>, boolean][] = [
      ['empty', {}, true],
      ['basic auth', { basic_auth_users: { alice: HASH } }, true],
      ['plain-text password', { basic_auth_users: { alice: 'pw' } }, false],
      ['TLS', { tls_server_config: t() }, true],
      ['cert without key', { tls_server_config: { cert_file: 'server.crt' } }, false],
      ['missing cert file', { tls_server_config: t({ cert_file: 'nope.crt' }) }, false],
      ['unknown key', { tls_config: t() }, false],
      ['bad client_auth_type', { tls_server_config: t({ client_auth_type: 'Yes' }) }, false],
      ['CA without a policy', { tls_server_config: t({ client_ca_file: 'ca.crt' }) }, false],
      ['verify with a CA', { tls_server_config: t({ client_auth_type: 'VerifyClientCertIfGiven', client_ca_file: 'ca.crt' }) }, true],
      ['verify with the default roots', { tls_server_config: t({ client_auth_type: 'RequireAndVerifyClientCert' }) }, true],
      [
        'ciphers and curves',
        {
          tls_server_config: t({
            cipher_suites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
            curve_preferences: ['X25519'],
          }),
        },
        true,
      ],
      ['insecure cipher', { tls_server_config: t({ cipher_suites: ['TLS_RSA_WITH_RC4_128_SHA'] }) }, false],
      ['headers', { http_server_config: { http2: true, headers: { 'X-Frame-Options': 'deny' } } }, true],
      ['unsupported header', { http_server_config: { headers: { 'X-Powered-By': 'me' } } }, false],
      ['bad header value', { http_server_config: { headers: { 'X-Content-Type-Options': 'sniff' } } }, false],
    ];
    for (const [name, raw, valid] of cases) {
      const file = join(dir, 'web.yml');
      writeFileSync(file, stringify(raw));
      const promtool = spawnSync('promtool', ['check', 'web-config', file], { encoding: 'utf8' });
      assert.equal(promtool.status === 0, valid, `promtool on ${name}: ${promtool.stdout}${promtool.stderr}`);
      let ours = true;
      try {
        loadWebConfig(file);
      } catch {
        ours = false;
      }
      assert.equal(ours, valid, `ours on ${name}`);
    }
  });
  it('Go durations', () => {
    for (const [s, ms] of [
      ['1s', 1000],
      ['250ms', 250],
      ['1m30s', 90_000],
      ['0', 0],
    ] as const)
      assert.equal(parseGoDuration(s), ms);
    assert.equal(parseGoDuration('1 s'), null);
  });
});

describe('web config file: basic auth on every endpoint', () => {
  it('good credentials pass, bad or absent ones get 401 with WWW-Authenticate: Basic — on every path', async () => {
    const { url, svc } = await service({
      basic_auth_users: { alice: HASH },
      http_server_config: { headers: { 'X-Content-Type-Options': 'nosniff' } },
    });
    const paths: [string, string][] = [
      ['GET', '/metrics'],
      ['GET', '/policy'],
      ['GET', '/report'],
      ['GET', '/-/healthy'],
      ['GET', '/recovery/history'],
      ['POST', '/health/force-check'],
      ['GET', '/no/such/path'],
      ['GET', '/'],
    ];
    for (const [method, path] of paths) {
      for (const [auth, want] of [
        [undefined, 401],
        [basic('alice', 'wrong'), 401],
        [basic('mallory', 's3cret'), 401],
        ['Bearer s3cret', 401],
        [basic('alice', 's3cret'), null],
      ] as const) {
        const res = await fetch(url + path, { method, headers: auth ? { authorization: auth } : {} });
        await res.arrayBuffer();
        if (want === null) assert.notEqual(res.status, 401, `${method} ${path} good credentials`);
        else {
          assert.equal(res.status, want, `${method} ${path} ${auth}`);
          assert.equal(res.headers.get('www-authenticate'), 'Basic');
        }
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${method} ${path} header`);
      }
    }
    // One bcrypt per distinct credential: every later request is a hash lookup.
    assert.equal(svc.web!.verifications, 3);
  });
  it('a reload keeps the verified credentials of users whose hash is unchanged; a changed hash is checked afresh', async () => {
    const { url, svc } = await service({ basic_auth_users: { alice: HASH, bob: HASH } });
    const status = async (auth: string) => (await fetch(`${url}/policy`, { headers: { authorization: auth } })).status;
    assert.deepEqual([await status(basic('alice', 's3cret')), await status(basic('bob', 's3cret'))], [200, 200]);
    assert.equal(svc.web!.verifications, 2);
    // A reload (SIGHUP) re-reads the same file, then one that changes bob's password.
    svc.swapWeb(web({ basic_auth_users: { alice: HASH, bob: HASH } }));
    assert.deepEqual([await status(basic('alice', 's3cret')), await status(basic('bob', 's3cret'))], [200, 200]);
    assert.equal(svc.web!.verifications, 2, 'no bcrypt after a reload that changed nothing');
    svc.swapWeb(web({ basic_auth_users: { alice: HASH, bob: bcrypt.hashSync('n3w', 4) } }));
    assert.deepEqual([await status(basic('alice', 's3cret')), await status(basic('bob', 's3cret'))], [200, 401]);
    assert.equal(await status(basic('bob', 'n3w')), 200);
    assert.equal(svc.web!.verifications, 4, "bob's old and new password checked against his new hash; alice still cached");
  });

  it('the operator token stays required behind basic auth (in X-Selfheal-Token, since Authorization carries the web user)', async () => {
    const { url } = await service({ basic_auth_users: { alice: HASH } }, { api: { token: 'op-token' } });
    const body = JSON.stringify({ policy: 'no_new_trades', duration_sec: 60, reason: 'test' });
    const h = { 'content-type': 'application/json', authorization: basic('alice', 's3cret') };
    const override = (headers: Record<string, string>) => fetch(`${url}/policy/override`, { method: 'POST', headers, body });
    // Past the web user, the operator check refuses (JSON naming the credential) ...
    for (const res of [await override(h), await override({ ...h, 'x-selfheal-token': 'wrong' })]) {
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: 'invalid credentials' });
    }
    assert.equal((await override({ ...h, 'x-selfheal-token': 'op-token' })).status, 200);
    // ... and without the web user the gate refuses first, as the exporter toolkit does.
    const gate = await override({ 'content-type': 'application/json', authorization: 'Bearer op-token' });
    assert.equal(gate.status, 401);
    assert.equal(gate.headers.get('www-authenticate'), 'Basic');
    assert.equal(await gate.text(), 'Unauthorized\n');
  });
  it('rate_limit answers 429 beyond the burst', async () => {
    const { url } = await service({ rate_limit: { interval: '1h', burst: 3 } });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await fetch(`${url}/-/healthy`)).status);
    assert.deepEqual(codes, [200, 200, 200, 429, 429]);
  });
});

describe('web config file: TLS', () => {
  it('serves HTTPS with the configured certificate; plain HTTP gets nothing', async () => {
    const { https, port } = await service({
      tls_server_config: tls(),
      http_server_config: { headers: { 'Strict-Transport-Security': 'max-age=300' } },
    });
    const r = await tlsGet(`${https}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.body, /^selfheal_build_info/m);
    assert.equal(r.headers['strict-transport-security'], 'max-age=300');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));
  });
  it('min_version TLS13 refuses a TLS 1.2 client', async () => {
    const { https } = await service({ tls_server_config: tls({ min_version: 'TLS13' }) });
    await assert.rejects(tlsGet(`${https}/-/healthy`, { maxVersion: 'TLSv1.2' }));
    assert.equal((await tlsGet(`${https}/-/healthy`)).status, 200);
  });
  const modes: [string, Record<string, unknown>, Record<'none' | 'client' | 'client2' | 'rogue', boolean>][] = [
    ['NoClientCert', {}, { none: true, client: true, client2: true, rogue: true }],
    ['RequireAnyClientCert', { client_auth_type: 'RequireAnyClientCert' }, { none: false, client: true, client2: true, rogue: true }],
    [
      'VerifyClientCertIfGiven',
      { client_auth_type: 'VerifyClientCertIfGiven', client_ca_file: 'ca.crt' },
      { none: true, client: true, client2: true, rogue: false },
    ],
    [
      'RequireAndVerifyClientCert',
      { client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: 'ca.crt' },
      { none: false, client: true, client2: true, rogue: false },
    ],
    [
      'RequireAndVerifyClientCert + client_allowed_sans',
      { client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: 'ca.crt', client_allowed_sans: ['bot.selfheal.test'] },
      { none: false, client: true, client2: false, rogue: false },
    ],
  ];
  for (const [name, extra, want] of modes) {
    it(`client_auth_type ${name}`, async () => {
      const { https } = await service({ tls_server_config: tls(extra) });
      for (const who of ['none', 'client', 'client2', 'rogue'] as const) {
        const p = tlsGet(`${https}/-/healthy`, who === 'none' ? {} : { client: who });
        if (want[who]) assert.equal((await p).status, 200, who);
        else await assert.rejects(p, Error, who);
      }
    });
  }
});

describe('web config file: Prometheus scrapes over TLS with basic auth and a client certificate', () => {
  it('up is 1 with the right credentials and 0 with a wrong password', async () => {
    const { port } = await service({
      tls_server_config: tls({ client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: 'ca.crt' }),
      basic_auth_users: { prometheus: HASH },
    });
    const tlsConfig = { ca_file: join(TLS_DIR, 'ca.crt'), cert_file: join(TLS_DIR, 'client.crt'), key_file: join(TLS_DIR, 'client.key') };
    const prom = await startPrometheus({
      targets: [`127.0.0.1:${port}`],
      rules: 'groups: []\n',
      scrapeConfigs: [
        {
          job_name: 'selfheal',
          scheme: 'https',
          tls_config: tlsConfig,
          basic_auth: { username: 'prometheus', password: 's3cret' },
          static_configs: [{ targets: [`127.0.0.1:${port}`] }],
        },
        {
          job_name: 'wrong_password',
          scheme: 'https',
          tls_config: tlsConfig,
          basic_auth: { username: 'prometheus', password: 'nope' },
          static_configs: [{ targets: [`127.0.0.1:${port}`] }],
        },
      ],
    });
    await until('both jobs scraped', async () => (await prom.query('up')).result.length === 2);
    await until('selfheal scraped over TLS', async () => (await prom.query('up{job="selfheal"} == 1')).result.length === 1);
    assert.equal((await prom.query('selfheal_build_info{job="selfheal"}')).result.length, 1);
    assert.equal((await prom.query('up{job="wrong_password"}')).result[0].value?.[1], '0');
  });
  it('the committed example web config is valid', () => {
    const dir = tempDir();
    for (const [from, to] of [
      ['server.crt', 'selfheal.crt'],
      ['server.key', 'selfheal.key'],
      ['ca.crt', 'clients-ca.crt'],
    ])
      copyFileSync(join(TLS_DIR, from), join(dir, to));
    copyFileSync(join(ROOT, 'deploy/selfheal/web-config.example.yml'), join(dir, 'web-config.yml'));
    const w = loadWebConfig(join(dir, 'web-config.yml'));
    assert.ok(w.tls);
    assert.ok(w.users.size > 0);
  });
});
