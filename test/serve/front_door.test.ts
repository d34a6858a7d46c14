// Issue 22 item 4 and 8: the front door. DNS rebinding (Host) on every route, cross-site requests
// (Origin, Sec-Fetch-Site), and POSTs without a body (`curl -X POST .../-/reload`), through the real
// service on real sockets. The route table is derived from the running app and docs/openapi.yaml, so a
// route added to either is in the table without editing it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load';
import { fixedResources } from '../../src/detect/resources';
import { silentLogger } from '../../src/log/logger';
import { Reloader } from '../../src/serve/reload';
import { createReceiver } from '../../src/serve/receiver';
import { Service } from '../../src/serve/service';
import { tempDir } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { delivery } from '../helpers/receiver';

const run = promisify(execFile);
const DOC = parse(readFileSync(resolve(__dirname, '../../../docs/openapi.yaml'), 'utf8')) as { paths: Record<string, object> };
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One request with exactly these headers (fetch cannot set Host); a stream is cut after its head. */
function hit(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const u = new URL(url);
  return new Promise((done, fail) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers, agent: false }, (res) => {
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        res.destroy();
        return done({ status: res.statusCode ?? 0, headers: res.headers, body: {} });
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = { text };
        }
        done({ status: res.statusCode ?? 0, headers: res.headers, body: json });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** A service with the receiver and a reloadable config file; no operator token unless `yaml` sets one. */
async function service(yaml = '', opts: { host?: string; receiver?: string } = {}) {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const file = join(root, 'selfheal.yml');
  const base =
    'data_dir: data\nlog_dir: logs\nmodels_dir: models\ndatabase_path: db/quantum_trader.db\nmax_cpu_percent: 100\nmax_memory_percent: 100\n' +
    `instance: trader-1:8477\nreceiver: ${opts.receiver ?? '{ bearer_token: hook }'}\npolicy: { hold_down_sec: 0 }\n`;
  writeFileSync(file, base + yaml);
  const config = loadConfigFile(file);
  const host = opts.host ?? '127.0.0.1';
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger(), watchFiles: false, schedule: false });
  const receiver = createReceiver(svc, { schedule: false });
  svc.use(receiver);
  const url = `http://${host}:${(await svc.start(host, 0)).port}`;
  after(() => svc.stop());
  new Reloader(svc, { loadConfig: () => loadConfigFile(file), webConfigFile: null });
  const port = new URL(url).port;
  const rewrite = (y: string) => writeFileSync(file, base + y);
  return { svc, receiver, url, port, rewrite };
}

/** Every route: what the running app serves (Express's router and the hot paths) and what the API document lists. */
function routeTable(svc: Service): { method: string; path: string }[] {
  const keys = new Set(svc.routeList());
  for (const [path, item] of Object.entries(DOC.paths))
    for (const m of ['get', 'post', 'put', 'patch', 'delete'])
      if (m in item) keys.add(`${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
  return [...keys].sort().map((k) => {
    const [method, path] = k.split(' ');
    return { method, path: path.replace(/:\w+/g, 'x') };
  });
}

/** What a page at http://attacker.example:PORT sends once its name resolves to 127.0.0.1. */
const rebound = (port: string) => ({
  host: `attacker.example:${port}`,
  origin: `http://attacker.example:${port}`,
  'sec-fetch-site': 'same-origin',
  'content-type': 'application/json',
});

describe('DNS rebinding: in loopback-only mode (no api.token) every route checks the Host', () => {
  it('a rebinding Host is refused on every route, reads included, naming api.allowed_hosts; a loopback Host is not', async () => {
    const t = await service();
    const table = routeTable(t.svc);
    assert.ok(table.length >= 27, `${table.length} routes: ${JSON.stringify(table)}`);
    const served = t.svc.routeList();
    for (const r of [
      'GET /metrics',
      'GET /policy/stream',
      'GET /report',
      'POST /alertmanager/webhook',
      'GET /',
      'POST /recovery/:id/approve',
    ])
      assert.ok(served.includes(r), `${r} not among ${served.join(', ')}`);
    for (const { method, path } of table) {
      const body = SAFE.has(method) ? undefined : '{"reason":"rebound"}';
      const a = await hit(t.url, method, path, rebound(t.port), body);
      assert.equal(a.status, 403, `${method} ${path}: ${JSON.stringify(a.body)}`);
      assert.match(String(a.body.error), /^Host "attacker\.example:\d+" refused: .*api\.allowed_hosts/, `${method} ${path}`);
      assert.equal(a.headers.connection, 'close');
    }
    // The same requests addressed to loopback get past the front door (whatever the route then answers).
    for (const host of [`127.0.0.1:${t.port}`, `localhost:${t.port}`, `[::1]:${t.port}`]) {
      for (const { method, path } of table) {
        const body = SAFE.has(method) ? undefined : '{"reason":"rebound"}';
        const headers = { ...rebound(t.port), host, origin: `http://${host}` };
        const a = await hit(t.url, method, path, headers, body);
        assert.ok(a.status !== 403 && a.status !== 415, `${host} ${method} ${path}: ${a.status} ${JSON.stringify(a.body)}`);
      }
    }
  });

  it('which names a loopback request may address: localhost, IP literals, the instance, api.allowed_hosts (live on reload)', async () => {
    const t = await service();
    const table: [string, boolean][] = [
      [`localhost:${t.port}`, true],
      ['LOCALHOST', true],
      ['localhost.', true],
      ['127.0.0.1', true],
      ['127.0.1.1:8477', true],
      ['[::1]', true],
      ['10.1.2.3:8477', true], // Prometheus scraping by IP: a literal cannot be rebound
      ['[fd00::2]:8477', true],
      ['trader-1:8477', true], // the instance name (fleet scraping by name)
      ['trader-1.prod.example:8477', false],
      ['selfheal.internal:8477', false],
      ['localhost.attacker.example', false],
      ['127.0.0.1.nip.io', false],
      ['attacker.example', false],
    ];
    const status = async (host: string) => {
      const [policy, report] = await Promise.all([hit(t.url, 'GET', '/policy', { host }), hit(t.url, 'GET', '/report', { host })]);
      assert.equal(policy.status, report.status, host);
      return policy.status;
    };
    for (const [host, ok] of table) assert.equal(await status(host), ok ? 200 : 403, host);

    t.rewrite('api: { allowed_hosts: [selfheal.internal, Trader-1.Prod.Example] }\n');
    const r = await hit(t.url, 'POST', '/-/reload', { host: '127.0.0.1' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.changed, ['api.allowed_hosts']);
    assert.equal(await status('selfheal.internal:8477'), 200);
    assert.equal(await status('trader-1.prod.example:8477'), 200);
    assert.equal(await status('attacker.example'), 403);
  });

  it('with api.token set the Host is not checked (the token is what an attacker lacks); origins still are', async () => {
    const t = await service('api: { token: op }\n');
    assert.equal((await hit(t.url, 'GET', '/policy', { host: 'attacker.example' })).status, 200);
    const reset = await hit(t.url, 'DELETE', '/policy/override', { ...rebound(t.port), origin: 'http://evil.example' });
    assert.equal(reset.status, 403);
    assert.match(String(reset.body.error), /cross-origin request refused/);
  });

  it('with api.token set but no receiver credential the webhook trusts loopback, so it checks the Host; other routes do not', async () => {
    const t = await service('api: { token: op }\n', { receiver: '{ enabled: true }' });
    const alerts = JSON.stringify(delivery([{ labels: { subsystem: 'data_feed', issue_severity: 'critical' }, fingerprint: 'feed' }]));
    const recorded = async () =>
      (
        (await hit(t.url, 'GET', '/recovery/history', { host: `127.0.0.1:${t.port}`, authorization: 'Bearer op' }))
          .body as unknown as unknown[]
      ).length;
    for (const path of ['/alertmanager/webhook', '/alertmanager/webhook?x=1']) {
      const a = await hit(t.url, 'POST', path, rebound(t.port), alerts);
      assert.equal(a.status, 403, path);
      assert.match(String(a.body.error), /Host "attacker\.example:\d+" refused: with no receiver credential/);
    }
    assert.equal((await hit(t.url, 'GET', '/policy', { host: 'attacker.example' })).status, 200, 'a read needs no Host check here');
    assert.equal((await hit(t.url, 'GET', '/recovery/pending', { host: 'attacker.example' })).status, 401, 'the token guards the rest');
    assert.equal(await recorded(), 0, 'nothing the page sent was recorded');
    const direct = { host: `127.0.0.1:${t.port}`, 'content-type': 'application/json' };
    assert.equal((await hit(t.url, 'POST', '/alertmanager/webhook', direct, alerts)).status, 200, 'addressed to 127.0.0.1 it is accepted');
    assert.equal(await recorded(), 1);
  });

  it('a caller that is not on loopback is not Host-checked: it gets nothing a direct client would not (no operator rights)', async (ctx) => {
    const ip = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!ip) return void ctx.skip('no non-loopback IPv4 address on this machine');
    const t = await service('', { host: ip });
    assert.equal((await hit(t.url, 'GET', '/policy', { host: `trader-1.prod.example:${t.port}` })).status, 200);
    const reset = await hit(t.url, 'POST', '/policy/reset', { host: `trader-1.prod.example:${t.port}` });
    assert.equal(reset.status, 403);
    assert.match(String(reset.body.error), /only loopback callers/);
  });
});

describe('cross-site requests (Go 1.25 CrossOriginProtection)', () => {
  it('a state-changing request is refused when a browser marks it cross-site or same-site, or its Origin is not its Host', async () => {
    const t = await service();
    const host = `127.0.0.1:${t.port}`;
    const table: [string, Record<string, string>, number, RegExp | null][] = [
      ['no browser headers (curl, the clients)', {}, 200, null],
      ['Sec-Fetch-Site: none (typed by the user)', { 'sec-fetch-site': 'none' }, 200, null],
      ['same-origin, matching Origin', { 'sec-fetch-site': 'same-origin', origin: `http://${host}` }, 200, null],
      ['Origin with the default port left out', { origin: 'http://localhost' }, 200, null],
      [
        'Sec-Fetch-Site: cross-site',
        { 'sec-fetch-site': 'cross-site' },
        403,
        /^cross-site request refused \(Sec-Fetch-Site: cross-site\)$/,
      ],
      ['Sec-Fetch-Site: same-site (another port of localhost)', { 'sec-fetch-site': 'same-site' }, 403, /Sec-Fetch-Site: same-site/],
      ['a foreign Origin', { origin: 'http://evil.example' }, 403, /Origin "http:\/\/evil\.example" does not match Host/],
      ['Origin: null (a sandboxed page)', { origin: 'null' }, 403, /Origin "null" does not match/],
      ['another port on loopback', { origin: 'http://127.0.0.1:1' }, 403, /does not match Host/],
    ];
    for (const [what, headers, status, error] of table) {
      for (const [method, path] of [
        ['POST', '/health/force-check'],
        ['DELETE', '/policy/override'],
      ]) {
        const h = { host, ...headers };
        if (what.startsWith('Origin with the default port')) h.host = 'localhost';
        const a = await hit(t.url, method, path, h);
        assert.equal(a.status, status, `${what}: ${method} ${path} ${JSON.stringify(a.body)}`);
        if (error) assert.match(String(a.body.error), error, what);
      }
    }
    // Reads are not state-changing: a cross-site GET is answered, and without CORS headers the page cannot read it.
    const read = await hit(t.url, 'GET', '/report', { host, 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' });
    assert.equal(read.status, 200);
    assert.equal(read.headers['access-control-allow-origin'], undefined);
  });
});

describe('the rebinding attack of issue 22, three requests: reset the latch, delete the floors, delete the override', () => {
  it('is refused, and the policy stays emergency_shutdown; the same requests from loopback by 127.0.0.1 would have worked', async () => {
    const t = await service();
    const direct = { host: `127.0.0.1:${t.port}`, 'content-type': 'application/json', authorization: 'Bearer hook' };
    const policy = async () => (await hit(t.url, 'GET', '/policy', { host: `127.0.0.1:${t.port}` })).body.policy;
    // A real pause floor (data_feed critical → pause_trading) and a close-all waiting for approval …
    const alerts = delivery([
      { labels: { subsystem: 'data_feed', issue_severity: 'critical' }, fingerprint: 'feed' },
      { labels: { subsystem: 'exchange_connection', action: 'close_all_positions', severity: 'critical' }, fingerprint: 'close' },
    ]);
    assert.equal((await hit(t.url, 'POST', '/alertmanager/webhook', direct, JSON.stringify(alerts))).status, 200);
    await t.svc.monitor.forceCheck();
    await t.receiver.executor.runDue();
    assert.equal(await policy(), 'no_new_trades');
    // … plus an operator's emergency override: emergency_shutdown, latched.
    const override = JSON.stringify({ policy: 'emergency_shutdown', duration_sec: 600, reason: 'desk call' });
    assert.equal((await hit(t.url, 'POST', '/policy/override', direct, override)).status, 200);
    assert.equal(await policy(), 'emergency_shutdown');
    const pending = await hit(t.url, 'GET', '/recovery/pending', direct);
    const id = (pending.body as unknown as { id: string }[])[0].id;

    const attack: [string, string, string | undefined][] = [
      ['POST', '/policy/reset', '{"reason":"all clear"}'],
      ['DELETE', '/recovery/floors', undefined],
      ['DELETE', '/policy/override', undefined],
      ['POST', `/recovery/${id}/approve`, '{"reason":"yes"}'],
      ['GET', '/recovery/history', undefined],
    ];
    for (const [method, path, body] of attack) {
      const a = await hit(t.url, method, path, rebound(t.port), body);
      assert.equal(a.status, 403, `${method} ${path}`);
    }
    assert.equal(await policy(), 'emergency_shutdown');
    assert.equal(t.svc.monitor.policy.isLatched, true);
    assert.equal(((await hit(t.url, 'GET', '/recovery/pending', direct)).body as unknown as unknown[]).length, 1, 'close-all still waits');

    // The control: the same three requests addressed to 127.0.0.1 are what an operator on this host may do.
    for (const [method, path, body] of attack.slice(0, 3)) {
      const a = await hit(t.url, method, path, direct, body);
      assert.equal(a.status, 200, `${method} ${path}: ${JSON.stringify(a.body)}`);
    }
    assert.equal(await policy(), 'allow_all', 'what the attack would have reached');
  });
});

describe('a POST without a body needs no content type; a body must be JSON', () => {
  it('curl -X POST .../-/reload and .../health/force-check work as on Prometheus; a form body is 415', async () => {
    const t = await service();
    const curl = async (...args: string[]) => {
      const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
      const lines = stdout.trimEnd().split('\n');
      return { status: Number(lines.at(-1)), body: lines.slice(0, -1).join('\n') };
    };
    const reload = await curl('-X', 'POST', `${t.url}/-/reload`);
    assert.equal(reload.status, 200, reload.body);
    assert.equal((JSON.parse(reload.body) as { ok: boolean }).ok, true);
    const force = await curl('-X', 'POST', `${t.url}/health/force-check`);
    assert.equal(force.status, 200, force.body);
    assert.ok((JSON.parse(force.body) as { timestamp: string }).timestamp);
    // Empty but declared (Content-Length: 0) is no body either.
    assert.equal((await curl('-X', 'POST', '-d', '', `${t.url}/-/reload`)).status, 200);

    const table: [string[], number][] = [
      [['-d', 'reason=x'], 415], // a form: what a cross-site <form> posts
      [['-H', 'content-type: text/plain', '-d', '{"reason":"x"}'], 415],
      [['-H', 'content-type: text/plain', '-H', 'transfer-encoding: chunked', '-d', '{}'], 415],
      [['-H', 'content-type: application/json', '-d', '{"reason":"x"}'], 409], // not latched: past the front door
      [['-H', 'content-type: application/json', '-d', '{'], 400], // malformed JSON
    ];
    for (const [args, status] of table) {
      const a = await curl('-X', 'POST', ...args, `${t.url}/policy/reset`);
      assert.equal(a.status, status, `${args.join(' ')}: ${a.body}`);
      if (status === 415) assert.match(a.body, /Content-Type: expected application\/json/);
    }
  });
});
