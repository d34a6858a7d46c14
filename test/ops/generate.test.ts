// `selfheal generate fleet`: per-instance routes checked by the real amtool, the file_sd targets,
// and clear errors for a bad inventory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { inhibitRules } from '../../src/deploy/alertmanager';
import { tempDir } from '../helpers/fs';
import { cli } from '../helpers/cli';

const INVENTORY = {
  instances: [
    { instance: 'trader-1.prod:8477', url: 'http://trader-1.prod:8477', labels: { venue: 'binance', strategy: 'momentum' } },
    { instance: 'trader-2.prod:8477', url: 'https://trader-2.prod:8477/', labels: { venue: 'kraken' } },
    { instance: 'trader-3', url: 'http://10.0.0.3:9000/selfheal', labels: { region: 'eu' } },
  ],
};

function amtool(args: string[]) {
  const r = spawnSync('amtool', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`amtool could not run (${r.error.message}); npm test installs it via scripts/ensure-tools.js`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function generate(inventory: unknown, extra: string[] = []) {
  const dir = tempDir();
  const inv = join(dir, 'inventory.yml');
  writeFileSync(inv, typeof inventory === 'string' ? inventory : stringify(inventory));
  const out = join(dir, 'out');
  return { ...(await cli(['generate', 'fleet', '--inventory', inv, '--out', out, ...extra])), out };
}

describe('selfheal generate fleet', () => {
  it('writes both Alertmanager variants (amtool check-config clean), targets.json and a README', async () => {
    const g = await generate(INVENTORY, ['--token-file', '/etc/alertmanager/selfheal_token', '--pager-url', 'http://pager.example/hook']);
    assert.equal(g.code, 0, g.err);
    for (const f of ['alertmanager.yml', 'alertmanager-0.25.yml']) {
      const r = amtool(['check-config', join(g.out, f)]);
      // Debian's amtool is 0.25: it rejects the >= 0.28 variant's webhook timeout, and only that.
      if (f === 'alertmanager.yml' && r.code !== 0) assert.match(r.out, /timeout/, r.out);
      else assert.equal(r.code, 0, r.out);
    }
    const newer = parse(readFileSync(join(g.out, 'alertmanager.yml'), 'utf8'));
    const older = parse(readFileSync(join(g.out, 'alertmanager-0.25.yml'), 'utf8'));
    for (const r of newer.receivers) for (const w of r.webhook_configs) if (w.timeout) delete w.timeout;
    assert.deepEqual(newer, older, 'the variants differ only by the webhook timeout');
    const byName = Object.fromEntries(
      older.receivers.map((r: { name: string; webhook_configs: { url: string; http_config?: unknown }[] }) => [
        r.name,
        r.webhook_configs[0],
      ]),
    );
    assert.equal(byName['selfheal/trader-1.prod:8477'].url, 'http://trader-1.prod:8477/alertmanager/webhook');
    assert.equal(byName['selfheal/trader-2.prod:8477'].url, 'https://trader-2.prod:8477/alertmanager/webhook');
    assert.equal(byName['selfheal/trader-3'].url, 'http://10.0.0.3:9000/selfheal/alertmanager/webhook');
    assert.deepEqual(byName['selfheal/trader-3'].http_config, {
      authorization: { type: 'Bearer', credentials_file: '/etc/alertmanager/selfheal_token' },
    });
    assert.equal(byName.pager.url, 'http://pager.example/hook');
    assert.deepEqual(older.inhibit_rules, inhibitRules(), 'the same inhibitions as the single-host config');
    assert.deepEqual(JSON.parse(readFileSync(join(g.out, 'targets.json'), 'utf8')), [
      { targets: ['trader-1.prod:8477'], labels: { instance: 'trader-1.prod:8477', venue: 'binance', strategy: 'momentum' } },
      { targets: ['trader-2.prod:8477'], labels: { instance: 'trader-2.prod:8477', venue: 'kraken', __scheme__: 'https' } },
      { targets: ['10.0.0.3:9000'], labels: { instance: 'trader-3', region: 'eu', __metrics_path__: '/selfheal/metrics' } },
    ]);
    assert.match(readFileSync(join(g.out, 'README.md'), 'utf8'), /file_sd_configs/);
  });

  it('amtool config routes test: every instance to its own receiver (critical also pages), gaps page', async () => {
    const g = await generate(INVENTORY);
    const cfg = join(g.out, 'alertmanager-0.25.yml');
    const cases: [string[], string][] = [
      ...INVENTORY.instances.flatMap((e): [string[], string][] => [
        [
          ['alertname=SelfHealSubsystemCritical', 'severity=warning', 'subsystem=event_executor', `instance=${e.instance}`],
          `selfheal/${e.instance}`,
        ],
        [['alertname=SelfHealOverallFailed', 'severity=critical', `instance=${e.instance}`], `pager,selfheal/${e.instance}`],
        [['alertname=SelfHealOverallDegraded', 'severity=info', `instance=${e.instance}`], `selfheal/${e.instance}`],
      ]),
      [['alertname=SelfHealSubsystemCritical', 'severity=warning', 'instance=trader-9.prod:8477'], 'fleet-unrouted'],
      [['alertname=SelfHealExporterAbsent', 'severity=critical'], 'pager'],
      [['alertname=SelfHealWatchdog', 'severity=info'], 'deadmans-switch'],
    ];
    for (const [labels, want] of cases) {
      const r = amtool(['config', 'routes', 'test', `--config.file=${cfg}`, `--verify.receivers=${want}`, ...labels]);
      assert.equal(r.code, 0, `${labels.join(' ')} → ${want}: ${r.out}`);
    }
  });

  it("the README's check commands, run as it says with this host's real amtool: the right file per version, the routes it states", async () => {
    const g = await generate(INVENTORY);
    const readme = readFileSync(join(g.out, 'README.md'), 'utf8');
    const version = /version (\d+)\.(\d+)/.exec(amtool(['--version']).out);
    assert.ok(version, 'amtool --version');
    const minor = Number(version[1]) * 1000 + Number(version[2]);
    // The README's sh lines: a command, then "# " and what it says about it.
    const lines = [...readme.matchAll(/^(amtool [^#\n]+?) +# (.+)$/gm)].map((m) => ({ args: m[1].split(/\s+/).slice(1), says: m[2] }));
    const checks = lines.filter((l) => l.args[0] === 'check-config');
    assert.deepEqual(
      checks.map((l) => [l.args[1], l.says]),
      [
        ['alertmanager.yml', 'Alertmanager and amtool >= 0.28'],
        ['alertmanager-0.25.yml', 'Alertmanager and amtool 0.25 to 0.27'],
      ],
    );
    const mine = minor >= 28 ? 'alertmanager.yml' : 'alertmanager-0.25.yml';
    for (const l of checks) {
      const r = spawnSync('amtool', l.args, { cwd: g.out, encoding: 'utf8' });
      if (l.args[1] === mine) assert.equal(r.status, 0, `${l.args.join(' ')}: ${r.stdout}${r.stderr}`);
      else if (minor < 28)
        assert.match(`${r.stdout}${r.stderr}`, /field timeout not found/, 'the README names the error older amtool gives');
    }
    const routes = lines.filter((l) => l.args[0] === 'config');
    assert.equal(routes.length, 4);
    assert.match(readme, /critical one through `pager` \(its route matches first\), any other\s+through `fleet-unrouted`/);
    for (const l of routes) {
      const args = l.args.map((a) => (a === '--config.file=alertmanager.yml' ? `--config.file=${mine}` : a));
      const r = spawnSync('amtool', args, { cwd: g.out, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), l.says, args.join(' '));
    }
  });

  const bad: [string, unknown, RegExp][] = [
    [
      'duplicate instance',
      { instances: [INVENTORY.instances[0], { ...INVENTORY.instances[1], instance: 'trader-1.prod:8477' }] },
      /instances\[1\] \(trader-1\.prod:8477\): duplicate instance, already instances\[0\]/,
    ],
    [
      'bad URL',
      { instances: [{ instance: 'a:1', url: 'ftp://a:1' }] },
      /instances\[0\] \(a:1\): url: expected an http\(s\) base URL, got "ftp:\/\/a:1"/,
    ],
    ['not a URL', { instances: [{ instance: 'a:1', url: 'a:1' }] }, /instances\[0\] \(a:1\): url: expected an http\(s\) base URL/],
    ['missing url', { instances: [{ instance: 'a:1' }] }, /instances\[0\] \(a:1\): url: required/],
    ['missing instance', { instances: [{ url: 'http://a:1' }] }, /instances\[0\]: instance: required/],
    ['unknown key', { instances: [{ instance: 'a:1', url: 'http://a:1', lables: {} }] }, /instances\[0\] \(a:1\): unknown key "lables"/],
    [
      'bad label name',
      { instances: [{ instance: 'a:1', url: 'http://a:1', labels: { 've-nue': 'x' } }] },
      /instances\[0\] \(a:1\): labels\.ve-nue: not a valid Prometheus label name/,
    ],
    ['reserved label', { instances: [{ instance: 'a:1', url: 'http://a:1', labels: { job: 'x' } }] }, /labels\.job: reserved/],
    [
      'same url twice',
      {
        instances: [
          { instance: 'a:1', url: 'http://a:1' },
          { instance: 'b:1', url: 'http://a:1/' },
        ],
      },
      /instances\[1\] \(b:1\): url http:\/\/a:1 is already instances\[0\]'s/,
    ],
    ['empty', { instances: [] }, /instances: empty/],
    ['no list', { hosts: [] }, /expected a mapping with an "instances" list/],
    ['not YAML', 'instances: [', /not valid YAML\/JSON/],
  ];
  for (const [name, inv, msg] of bad) {
    it(`bad inventory (${name}) → exit 3 naming the entry, nothing written`, async () => {
      const g = await generate(inv);
      assert.equal(g.code, 3);
      assert.match(g.err, msg);
      assert.throws(() => readFileSync(join(g.out, 'alertmanager.yml')));
    });
  }
});
