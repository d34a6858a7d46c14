// `selfheal fleet policy ...` against three real services on ephemeral ports: concurrent fan-out,
// one row per host, and an exit code that says whether every host confirmed.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { NOW, tempDir } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';
import { startService } from '../helpers/service';
import { cli } from '../helpers/cli';
import { freePort } from '../helpers/process';

const TOKEN = 'fleet-op-token';

async function fleet(n: number) {
  const hosts = [];
  for (let i = 1; i <= n; i++) {
    const root = tempDir();
    healthyPlatform(root, NOW);
    const s = await startService(configIn(root, { instance: `h${i}`, policy: { hold_down_sec: 0 }, api: { token: TOKEN } }), {
      clock: () => NOW,
    });
    await s.svc.monitor.forceCheck();
    hosts.push({ instance: `h${i}`, url: s.url, labels: { venue: i === 2 ? 'kraken' : 'binance' }, svc: s.svc });
  }
  return hosts;
}

function inventoryFile(entries: { instance: string; url: string; labels: Record<string, string> }[]): string {
  const f = join(tempDir(), 'inventory.yml');
  writeFileSync(f, stringify({ instances: entries.map(({ instance, url, labels }) => ({ instance, url, labels })) }));
  return f;
}

const rows = (out: string) =>
  Object.fromEntries(
    out
      .trim()
      .split('\n')
      .slice(1, -1)
      .map((l) => {
        const c = l.split(/\s{2,}/);
        return [c[0], { result: c[1], after: c[2] }];
      }),
  );

describe('selfheal fleet policy', () => {
  it('override reaches every host, the table says so; lift; status', async () => {
    const hosts = await fleet(3);
    const inv = inventoryFile(hosts);
    const env = { SELFHEAL_API_TOKEN: TOKEN };
    const o = await cli(
      ['fleet', 'policy', 'override', '--inventory', inv, '--policy', 'no_new_trades', '--duration', '30m', '--reason', 'venue outage'],
      env,
    );
    assert.equal(o.code, 0, o.out + o.err);
    assert.match(o.out, /^HOST\s+RESULT\s+POLICY AFTER$/m);
    assert.deepEqual(rows(o.out), {
      h1: { result: 'ok', after: 'no_new_trades' },
      h2: { result: 'ok', after: 'no_new_trades' },
      h3: { result: 'ok', after: 'no_new_trades' },
    });
    assert.match(o.out, /^3\/3 confirmed$/m);
    for (const h of hosts) assert.equal(h.svc.policy().policy, 'no_new_trades');
    const l = await cli(['fleet', 'policy', 'override', 'lift', '--inventory', inv, '--json'], env);
    assert.equal(l.code, 0, l.out);
    assert.deepEqual(
      (JSON.parse(l.out) as { instance: string; policy_after: string; confirmed: boolean }[]).map((r) => [
        r.instance,
        r.policy_after,
        r.confirmed,
      ]),
      [
        ['h1', 'allow_all', true],
        ['h2', 'allow_all', true],
        ['h3', 'allow_all', true],
      ],
    );
    const s = await cli(['fleet', 'policy', 'status', '--inventory', inv]);
    assert.equal(s.code, 0);
    assert.equal(Object.keys(rows(s.out)).length, 3);
  });

  it('--match picks hosts by inventory label (or instance); the rest are untouched', async () => {
    const hosts = await fleet(3);
    const inv = inventoryFile(hosts);
    const o = await cli(
      [
        'fleet',
        'policy',
        'override',
        '--inventory',
        inv,
        '--match',
        'venue=binance',
        '--policy',
        'defensive_exit',
        '--duration',
        '5m',
        '--reason',
        'binance incident',
      ],
      { SELFHEAL_API_TOKEN: TOKEN },
    );
    assert.equal(o.code, 0, o.out);
    assert.deepEqual(Object.keys(rows(o.out)), ['h1', 'h3']);
    assert.deepEqual(
      hosts.map((h) => h.svc.policy().policy),
      ['defensive_exit', 'allow_all', 'defensive_exit'],
    );
    const one = await cli(['fleet', 'policy', 'status', '--inventory', inv, '--match', 'instance=h2', '--match', 'venue=kraken']);
    assert.deepEqual(Object.keys(rows(one.out)), ['h2']);
    const none = await cli(['fleet', 'policy', 'status', '--inventory', inv, '--match', 'venue=nyse']);
    assert.equal(none.code, 3);
    assert.match(none.err, /no instance of the inventory matches venue=nyse/);
  });

  it('a host down, a host refusing and a host too slow: each row says which; non-zero exit', async () => {
    const hosts = await fleet(1);
    const downPort = await freePort();
    const slow = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    after(() => {
      slow.closeAllConnections();
      slow.close();
    });
    const entries = [
      ...hosts,
      { instance: 'down', url: `http://127.0.0.1:${downPort}`, labels: {} },
      { instance: 'slow', url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`, labels: {} },
    ];
    const inv = inventoryFile(entries);
    const started = Date.now();
    const o = await cli(
      [
        'fleet',
        'policy',
        'override',
        '--inventory',
        inv,
        '--policy',
        'no_new_trades',
        '--duration',
        '1m',
        '--reason',
        'x',
        '--timeout',
        '1s',
      ],
      { SELFHEAL_API_TOKEN: TOKEN },
    );
    assert.ok(Date.now() - started < 10_000, 'hosts are asked concurrently, each bounded by --timeout');
    assert.equal(o.code, 2, 'unreachable hosts: exit 2');
    const r = rows(o.out);
    assert.deepEqual(r.h1, { result: 'ok', after: 'no_new_trades' });
    assert.match(r.down.result, /^unreachable: .*ECONNREFUSED/);
    assert.match(r.slow.result, /^unreachable: .*no answer within 1 s/);
    assert.match(o.out, /^1\/3 confirmed$/m);
    const refused = await cli(
      [
        'fleet',
        'policy',
        'override',
        '--inventory',
        inventoryFile(hosts),
        '--policy',
        'no_new_trades',
        '--duration',
        '1m',
        '--reason',
        'x',
      ],
      { SELFHEAL_API_TOKEN: 'wrong' },
    );
    assert.equal(refused.code, 1, 'refused: exit 1');
    assert.match(rows(refused.out).h1.result, /^refused: HTTP 401: invalid credentials/);
    assert.match(
      refused.err,
      /read from --token-file FILE, else env SELFHEAL_API_TOKEN; this command sent the one from env SELFHEAL_API_TOKEN\./,
    );
  });

  it('reset: a host that is not latched is confirmed as "not latched"', async () => {
    const hosts = await fleet(2);
    const o = await cli(['fleet', 'policy', 'reset', '--inventory', inventoryFile(hosts), '--reason', 'all clear'], {
      SELFHEAL_API_TOKEN: TOKEN,
    });
    assert.equal(o.code, 0, o.out);
    assert.match(rows(o.out).h1.result, /^not latched: emergency_shutdown is not latched/);
  });

  const usage: [string[], RegExp][] = [
    [['fleet'], /fleet: which command\? \(policy\)/],
    [['fleet', 'policy', 'status'], /--inventory: required/],
    [
      ['fleet', 'policy', 'override', '--inventory', 'x', '--policy', 'all_in', '--duration', '1m', '--reason', 'x'],
      /--policy: expected one of safe_risk_profile, no_new_trades, defensive_exit, emergency_shutdown, got "all_in"/,
    ],
    [
      ['fleet', 'policy', 'override', '--inventory', 'x', '--policy', 'allow_all', '--duration', '1m', '--reason', 'x'],
      /--policy: allow_all is not stricter than allow_all/,
    ],
    [
      ['fleet', 'policy', 'override', '--inventory', 'x', '--policy', 'no_new_trades', '--duration', '30', '--reason', 'x'],
      /--duration: "30" has no unit/,
    ],
    [['fleet', 'policy', 'status', '--inventory', '/nonexistent.yml'], /--inventory: cannot read \/nonexistent.yml: ENOENT/],
    [['fleet', 'policy', 'status', '--inventory', 'x', '--match', 'venue'], /--match: expected label=value/],
    [['fleet', 'policy', 'status', '--url', 'http://x'], /--url: the fleet commands take the hosts from --inventory/],
  ];
  for (const [args, msg] of usage) {
    it(`usage: ${args.join(' ')} → exit 3`, async () => {
      const r = await cli(args);
      assert.equal(r.code, 3, r.out);
      assert.match(r.err, msg);
    });
  }
});
