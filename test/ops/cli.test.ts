// The single-host operator commands against a real service on an ephemeral port: done (0), refused by
// the service (1, its message shown), unreachable (2), usage (3).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { cli } from '../helpers/cli';
import { NOW, tempDir } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';
import { delivery, postHook, startWithReceiver } from '../helpers/receiver';
import { BIN, freePort } from '../helpers/process';

const TOKEN = 'op-token';

async function running() {
  const root = tempDir();
  healthyPlatform(root, NOW);
  const config = configIn(root, { policy: { hold_down_sec: 0 }, api: { token: TOKEN }, receiver: { bearer_token: 'hook-token' } });
  const s = await startWithReceiver(config, { clock: () => NOW });
  await s.svc.monitor.forceCheck();
  const tokenFile = join(root, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const wrongFile = join(root, 'wrong');
  writeFileSync(wrongFile, 'nope');
  return { url: s.url, tokenFile, wrongFile, svcPolicy: () => s.svc.policy() };
}

describe('selfheal policy / recovery against a running service', () => {
  let url = '';
  let tokenFile = '';
  let wrongFile = '';
  let svcPolicy: () => { policy: string; reasons: string[] } = () => ({ policy: '', reasons: [] });
  const u = () => ['--url', url];

  it('policy status: human and --json', async () => {
    ({ url, tokenFile, wrongFile, svcPolicy } = await running());
    const h = await cli(['policy', ...u()]);
    assert.equal(h.code, 0, h.err);
    assert.match(h.out, /^policy: allow_all \(level 0\)$/m);
    assert.match(h.out, /^trading allowed: yes; new positions: yes/m);
    const j = await cli(['policy', 'status', '--json', ...u()]);
    assert.equal(JSON.parse(j.out).policy, 'allow_all');
  });

  // A 401 names where the CLI reads the token, and which one it sent.
  const refused: [string, string[], Record<string, string>, RegExp, string][] = [
    ['no token', [], {}, /refused by the service \(HTTP 401\): missing Authorization header/, 'this command sent none'],
    [
      'wrong token (env)',
      [],
      { SELFHEAL_API_TOKEN: 'wrong' },
      /HTTP 401\): invalid credentials/,
      'this command sent the one from env SELFHEAL_API_TOKEN',
    ],
    [
      'wrong token (file)',
      ['--token-file', '<wrong>'],
      {},
      /HTTP 401\): invalid credentials/,
      'this command sent the one from --token-file <wrong>',
    ],
  ];
  for (const [name, extra, env, msg, sent] of refused) {
    it(`override with ${name} → exit 1, the service's message, nothing changed`, async () => {
      ({ url, tokenFile, wrongFile, svcPolicy } = await running());
      const args = extra.map((a) => (a === '<wrong>' ? wrongFile : a));
      const r = await cli(
        ['policy', 'override', '--policy', 'no_new_trades', '--duration', '10m', '--reason', 'test', ...args, ...u()],
        env,
      );
      assert.equal(r.code, 1);
      assert.match(r.err, msg);
      assert.ok(
        r.err.includes(
          `The operator token (the service's api.token) is read from --token-file FILE, else env SELFHEAL_API_TOKEN; ${sent.replace('<wrong>', wrongFile)}.`,
        ),
        r.err,
      );
      assert.equal(svcPolicy().policy, 'allow_all');
    });
  }

  it('override → lift, with the token from env and from --token-file', async () => {
    ({ url, tokenFile, wrongFile, svcPolicy } = await running());
    const o = await cli(['policy', 'override', '--policy', 'no_new_trades', '--duration', '10m', '--reason', 'venue halt', ...u()], {
      SELFHEAL_API_TOKEN: TOKEN,
    });
    assert.equal(o.code, 0, o.err);
    assert.match(o.out, /^policy: no_new_trades/m);
    assert.match(o.out, /override by operator: venue halt/);
    assert.equal(svcPolicy().policy, 'no_new_trades');
    const l = await cli(['policy', 'override', 'lift', '--token-file', tokenFile, ...u()]);
    assert.equal(l.code, 0, l.err);
    assert.equal(svcPolicy().policy, 'allow_all');
    const l2 = await cli(['policy', 'override', '--lift', '--token-file', tokenFile, '--json', ...u()]);
    assert.equal(JSON.parse(l2.out).policy, 'allow_all');
  });

  it('recovery maintenance start → list → stop against the real service; refused without the token', async () => {
    ({ url, tokenFile, wrongFile, svcPolicy } = await running());
    const refused = await cli(['recovery', 'maintenance', 'start', '--duration', '10m', '--reason', 'deploy', ...u()]);
    assert.equal(refused.code, 1, refused.err);
    assert.match(refused.err, /refused by the service \(HTTP 401\): missing Authorization header/);
    const start = await cli([
      'recovery',
      'maintenance',
      'start',
      '--subsystem',
      'event_executor',
      '--duration',
      '10m',
      '--reason',
      'deploy',
      '--token-file',
      tokenFile,
      ...u(),
    ]);
    assert.equal(start.code, 0, start.err);
    assert.match(start.out, /^event_executor\s+\S+Z\s+\S+Z\s+deploy$/m);
    const list = await cli(['recovery', 'maintenance', 'list', '--json', '--token-file', tokenFile, ...u()]);
    assert.deepEqual(
      (JSON.parse(list.out) as { maintenance: { subsystem: string }[] }).maintenance.map((w) => w.subsystem),
      ['event_executor'],
    );
    assert.ok(svcPolicy().reasons.some((r: string) => r.startsWith('maintenance: auto-recovery suspended for event_executor')));
    const unknown = await cli([
      'recovery',
      'maintenance',
      'start',
      '--subsystem',
      'nope',
      '--duration',
      '1m',
      '--reason',
      'x',
      '--token-file',
      tokenFile,
      ...u(),
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /HTTP 400\): subsystem: expected one of the enabled subsystems/);
    const stop = await cli([
      'recovery',
      'maintenance',
      'stop',
      '--subsystem',
      'event_executor',
      '--token-file',
      tokenFile,
      '--json',
      ...u(),
    ]);
    assert.equal(stop.code, 0, stop.err);
    assert.deepEqual(JSON.parse(stop.out), { maintenance: [] });
  });

  it('the service refuses a bad request (4xx) → exit 1 with its message', async () => {
    ({ url, tokenFile, wrongFile, svcPolicy } = await running());
    const bad = await cli([
      'policy',
      'override',
      '--policy',
      'no_new_trades',
      '--duration',
      '8d',
      '--reason',
      'x',
      '--token-file',
      tokenFile,
      ...u(),
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /HTTP 400\): duration_sec: expected a number of seconds, more than 0 and at most 604800/);
    const reset = await cli(['policy', 'reset', '--reason', 'x', '--token-file', tokenFile, ...u()]);
    assert.equal(reset.code, 1);
    assert.match(reset.err, /HTTP 409\): emergency_shutdown is not latched/);
  });

  it('recovery pending → approve; reject an unknown id → 1; history', async () => {
    ({ url, tokenFile, wrongFile, svcPolicy } = await running());
    const hook = await postHook(
      url,
      delivery([{ labels: { subsystem: 'data_feed', action: 'defensive_exit', issue_severity: 'critical' }, fingerprint: 'fp-de' }]),
    );
    assert.equal(hook.status, 200);
    const p = await cli(['recovery', 'pending', '--json', '--token-file', tokenFile, ...u()]);
    const [pending] = JSON.parse(p.out) as { id: string; action: string }[];
    assert.equal(pending.action, 'defensive_exit');
    const human = await cli(['recovery', 'pending', '--token-file', tokenFile, ...u()]);
    assert.match(
      human.out,
      new RegExp(
        `${pending.id}\\s+SelfHealSubsystemCritical\\s+data_feed\\s+defensive_exit\\s+waiting for approval \\(expires \\d\\d:\\d\\d:\\d\\d UTC\\)`,
      ),
    );
    const a = await cli(['recovery', 'approve', pending.id, '--reason', 'desk agrees', '--token-file', tokenFile, ...u()]);
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out, `defensive_exit on data_feed (${pending.id}): approved: runs now\n`, 'says what happens next');
    const again = await cli(['recovery', 'reject', pending.id, '--reason', 'late', '--token-file', tokenFile, ...u()]);
    assert.equal(again.code, 1);
    assert.match(again.err, /HTTP 409\): action is .*, not pending_approval/);
    const none = await cli(['recovery', 'reject', 'no-such-id', '--reason', 'x', '--token-file', tokenFile, ...u()]);
    assert.equal(none.code, 1);
    assert.match(none.err, /HTTP 404\): no such action/);
    const h = await cli(['recovery', 'history', '--limit', '5', '--token-file', tokenFile, ...u()]);
    assert.equal(h.code, 0);
    assert.match(h.out, /^CREATED\s+ID\s+ALERT\s+SUBSYSTEM\s+ACTION\s+STATE\s+REASON$/m);
    assert.match(h.out, /defensive_exit/);
  });

  it('recovery status: the overall stage and one row per subsystem, human and --json (no token needed)', async () => {
    ({ url, tokenFile, wrongFile, svcPolicy } = await running());
    const h = await cli(['recovery', 'status', ...u()]);
    assert.equal(h.code, 0, h.err);
    assert.match(h.out, /^stage: healthy; local recovery path: on; maintenance: none$/m);
    assert.match(h.out, /^SUBSYSTEM +STATUS +STAGE +EPISODE SINCE +FAILURES +LAST ACTION$/m);
    assert.match(h.out, /^event_executor +healthy +healthy +- +0 +-$/m);
    assert.equal(h.out.trim().split('\n').length, 2 + 13, 'the head, the header and the 13 subsystems');
    const j = await cli(['recovery', 'status', '--json', ...u()]);
    assert.equal(j.code, 0, j.err);
    const body = JSON.parse(j.out) as { stage: string; subsystems: Record<string, { stage: string }> };
    assert.equal(body.stage, 'healthy');
    assert.equal(body.subsystems.data_feed.stage, 'healthy');
  });

  const usage: [string[], RegExp][] = [
    [['recovery', 'status', 'extra'], /status: unexpected argument "extra"/],
    [['policy', 'override', '--policy', 'no_new_trades', '--duration', '10m'], /--reason: required/],
    [
      ['policy', 'override', '--policy', 'no_new_trades', '--duration', 'soon', '--reason', 'x'],
      /--duration: expected a duration like 90s/,
    ],
    [
      ['policy', 'override', '--policy', 'no_new_trades', '--duration', '30', '--reason', 'x'],
      /--duration: "30" has no unit: write 30s, 30m or 30h \(the console's field is in minutes: 30m\)/,
    ],
    [
      ['policy', 'override', '--policy', 'allow_all', '--duration', '10m', '--reason', 'x'],
      /--policy: allow_all is not stricter than allow_all/,
    ],
    [['policy', 'override', '--policy', 'all_in', '--duration', '10m', '--reason', 'x'], /--policy: expected one of safe_risk_profile, /],
    [['policy', '--timeout', '5'], /--timeout: "5" has no unit: write 5s, 5m or 5h/],
    [['recovery', 'maintenance', 'start', '--duration', '15', '--reason', 'x'], /--duration: "15" has no unit/],
    [['policy', 'reset'], /--reason: required/],
    [['policy', 'pause'], /unknown policy command "pause"/],
    [['policy', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['policy', '--url', 'ftp://x'], /--url: expected an http\(s\) URL/],
    [['policy', '--token-file', '/nonexistent/token'], /--token-file: cannot read \/nonexistent\/token: ENOENT/],
    [['recovery'], /recovery: which command\?/],
    [['recovery', 'approve', '--reason', 'x'], /approve: expected 1 argument/],
    [['recovery', 'history', '--limit', '0'], /--limit: expected an integer from 1 to 1000/],
    [['recovery', 'maintenance', 'start', '--reason', 'x'], /--duration: required/],
    [['recovery', 'maintenance', 'pause'], /unknown maintenance command "pause"/],
  ];
  for (const [args, msg] of usage) {
    it(`usage: ${args.join(' ')} → exit 3`, async () => {
      const r = await cli(args);
      assert.equal(r.code, 3);
      assert.match(r.err, msg);
      assert.match(r.err, /Usage:/);
    });
  }
});

describe('help', () => {
  for (const cmd of ['policy', 'recovery', 'fleet', 'generate']) {
    it(`selfheal ${cmd} --help → usage with the exit codes, exit 0`, async () => {
      const r = await cli([cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.out, /^Usage:/);
      assert.match(r.out, /Exit: 0 /);
    });
  }
});

describe('unreachable service', () => {
  it('a closed port → exit 2 (in a real process), the URL named', async () => {
    const port = await freePort();
    const r = spawnSync(process.execPath, [BIN, 'policy', 'status', '--url', `http://127.0.0.1:${port}`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`service unreachable or failing: http://127.0.0.1:${port}: ECONNREFUSED`));
  });
  it('a 5xx → exit 2; a silent service → exit 2 after --timeout', async () => {
    const srv = createServer((req: IncomingMessage, res) => {
      if (req.url === '/policy') res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"shutting down"}');
      // anything else: never answered
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    after(() => {
      srv.closeAllConnections();
      srv.close();
    });
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const five = await cli(['policy', '--url', base]);
    assert.equal(five.code, 2);
    assert.match(five.err, /HTTP 503: shutting down/);
    const silent = await cli(['recovery', 'history', '--url', base, '--timeout', '300ms']);
    assert.equal(silent.code, 2);
    assert.match(silent.err, /no answer within 0.3 s/);
  });
});

describe('recovery maintenance: the requests it makes (the service side is the maintenance contract)', () => {
  it('start / stop / list send the documented method, path and body with the token', async () => {
    const seen: { method: string; url: string; auth: string; body: string }[] = [];
    const srv = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            maintenance: [
              {
                subsystem: 'event_executor',
                reason: 'deploy',
                started_at: '2026-11-29T12:00:00.000Z',
                until: '2026-11-29T12:10:00.000Z',
              },
            ],
          }),
        );
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    after(() => srv.close());
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const env = { SELFHEAL_API_TOKEN: TOKEN };
    const start = await cli(
      ['recovery', 'maintenance', 'start', '--subsystem', 'event_executor', '--duration', '10m', '--reason', 'deploy', '--url', base],
      env,
    );
    assert.equal(start.code, 0, start.err);
    assert.match(start.out, /^event_executor\s+2026-11-29T12:10:00.000Z\s+2026-11-29T12:00:00.000Z\s+deploy$/m);
    assert.equal((await cli(['recovery', 'maintenance', 'stop', '--subsystem', 'event_executor', '--url', base], env)).code, 0);
    assert.equal((await cli(['recovery', 'maintenance', 'stop', '--url', base], env)).code, 0);
    assert.equal((await cli(['recovery', 'maintenance', 'list', '--url', base], env)).code, 0);
    assert.deepEqual(seen, [
      {
        method: 'POST',
        url: '/recovery/maintenance',
        auth: `Bearer ${TOKEN}`,
        body: JSON.stringify({ duration_sec: 600, reason: 'deploy', subsystem: 'event_executor' }),
      },
      { method: 'DELETE', url: '/recovery/maintenance?subsystem=event_executor', auth: `Bearer ${TOKEN}`, body: '' },
      { method: 'DELETE', url: '/recovery/maintenance', auth: `Bearer ${TOKEN}`, body: '' },
      { method: 'GET', url: '/recovery/maintenance', auth: `Bearer ${TOKEN}`, body: '' },
    ]);
  });
});
