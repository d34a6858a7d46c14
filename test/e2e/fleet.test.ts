// Fleet end to end: three `selfheal serve` processes (each with its `instance`), one real Prometheus
// scraping them through the generated file_sd targets, an HA pair of real Alertmanagers on the generated
// per-instance routes. A stalled executor on instance 2 is restarted on instance 2, exactly once;
// instances 1 and 3 run nothing and stay allow_all; a fleet override reaches all three.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load';
import { cli } from '../helpers/cli';
import { FixturePlatform, slowSubsystems, WEBHOOK_TOKEN } from '../helpers/e2e';
import { tempDir } from '../helpers/fs';
import { freePort, processConfig, ready, serve, until } from '../helpers/process';
import { fastRules, startAlertmanager, startPrometheus } from '../helpers/stack';

const OPERATOR_TOKEN = 'fleet-e2e-operator';

interface Rec {
  alertname: string;
  action: string | null;
  subsystem: string | null;
  state: string;
  status: string;
  started_at: number | null;
  labels: Record<string, string>;
}

/** Each instance's config. Restarts must come through Alertmanager here (that is what is under test): no local path. */
function instanceConfig(port: number, instance: string | null): Record<string, unknown> {
  return processConfig(port, {
    ...(instance ? { instance } : {}),
    api: { token: OPERATOR_TOKEN },
    receiver: { bearer_token: WEBHOOK_TOKEN },
    recovery: { local: false, settle_sec: 2, cooldown_sec: 0, backoff_initial_sec: 1, backoff_max_sec: 4 },
    subsystems: slowSubsystems({
      data_feed: { critical_after_sec: 60 },
      event_executor: { degraded_after_sec: 2, critical_after_sec: 4 },
    }),
  });
}

/**
 * The rules pack (fast) without the host CPU and memory alerts: the three "hosts" share this one loaded
 * test machine, so its real CPU would page all three at once and remediate on each.
 */
function fleetRules(): string {
  const doc = parse(fastRules('1s')) as { groups: { rules: { alert?: string; labels?: Record<string, string> }[] }[] };
  for (const g of doc.groups) g.rules = g.rules.filter((r) => !['cpu', 'memory'].includes(r.labels?.signal ?? ''));
  return stringify(doc);
}

async function sink(): Promise<string> {
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  after(() => new Promise((r) => srv.close(r)));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
}

describe('e2e: fleet of three', () => {
  it(
    'instance 2 is healed on instance 2, once; 1 and 3 untouched; the fleet override reaches all three',
    { timeout: 175_000 },
    async () => {
      const hosts: { instance: string; url: string; platform: FixturePlatform }[] = [];
      for (let i = 1; i <= 3; i++) {
        const root = tempDir(`selfheal-fleet${i}-`);
        const port = await freePort();
        const instance = `127.0.0.1:${port}`;
        const cfgPath = join(root, 'selfheal.yml');
        // Instance 2 takes its identity from the environment, the others from the config file.
        writeFileSync(cfgPath, stringify(instanceConfig(port, i === 2 ? null : instance)));
        const platform = new FixturePlatform(loadConfigFile(cfgPath));
        platform.start();
        after(() => platform.stop());
        const child = serve(cfgPath, i === 2 ? { SELFHEAL_INSTANCE: instance } : {});
        after(() => child.kill('SIGKILL'));
        hosts.push({ instance, url: `http://127.0.0.1:${port}`, platform });
      }
      for (const h of hosts) await ready(Number(h.url.split(':').at(-1)));

      // The fleet's files, generated from the inventory by the CLI.
      const dir = tempDir('selfheal-fleet-gen-');
      const inventory = join(dir, 'inventory.yml');
      writeFileSync(
        inventory,
        stringify({ instances: hosts.map((h, i) => ({ instance: h.instance, url: h.url, labels: { venue: `v${i + 1}` } })) }),
      );
      const tokenFile = join(dir, 'webhook_token');
      writeFileSync(tokenFile, WEBHOOK_TOKEN);
      const pager = await sink();
      const out = join(dir, 'out');
      const gen = await cli([
        'generate',
        'fleet',
        '--inventory',
        inventory,
        '--out',
        out,
        '--token-file',
        tokenFile,
        '--pager-url',
        pager,
        '--deadmans-switch-url',
        pager,
      ]);
      assert.equal(gen.code, 0, gen.err);
      // Debian ships Alertmanager 0.25: the 0.25 variant, with the test's short grouping timers.
      const am = parse(readFileSync(join(out, 'alertmanager-0.25.yml'), 'utf8'));
      Object.assign(am.route, { group_wait: '1s', group_interval: '1s', repeat_interval: '1h' });
      const am1 = await startAlertmanager({ config: stringify(am) });
      const am2 = await startAlertmanager({ config: stringify(am), peers: [am1.clusterPort] });
      const prom = await startPrometheus({
        targets: [],
        fileSd: join(out, 'targets.json'),
        rules: fleetRules(),
        alertmanagers: [`127.0.0.1:${am1.port}`, `127.0.0.1:${am2.port}`],
      });

      const get = async <T>(url: string) =>
        (await (await fetch(url, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } })).json()) as T;
      const history = (h: { url: string }) => get<Rec[]>(`${h.url}/recovery/history?limit=1000`);
      const policy = async (h: { url: string }) => (await get<{ policy: string }>(`${h.url}/policy`)).policy;
      let seen = '';
      await until(
        'all three scraped through file_sd, healthy, allow_all',
        async () => {
          const r = await prom.query('selfheal_overall_status{status="healthy"} == 1');
          const venues = r.result
            .map((x) => x.metric.venue)
            .sort()
            .join(',');
          const policies = await Promise.all(hosts.map(policy));
          seen = `venues ${venues}; policies ${policies.join(',')}`;
          return venues === 'v1,v2,v3' && policies.every((p) => p === 'allow_all');
        },
        90_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message} (last seen: ${seen}; prometheus: ${prom.logs.join('').slice(-1500)})`);
      });

      hosts[1].platform.faults.add('event_executor');
      const restarts = async () =>
        (await history(hosts[1])).filter((r) => r.action === 'restart_subsystem' && r.subsystem === 'event_executor');
      await until(
        'instance 2 restarted its executor, verified',
        async () => (await restarts()).some((r) => r.state === 'succeeded'),
        120_000,
      );
      // Wait for the resolved delivery of the critical alert: after it, no firing delivery of this episode can come.
      await until(
        'the critical alert resolved on instance 2',
        async () =>
          (await history(hosts[1])).some(
            (r) => r.alertname === 'SelfHealSubsystemCritical' && r.status === 'resolved' && r.labels.subsystem === 'event_executor',
          ),
        60_000,
      );
      const ran = (await restarts()).filter((r) => r.started_at !== null);
      assert.equal(ran.length, 1, 'one restart, though two Alertmanagers delivered');
      assert.equal(ran[0].labels.instance, hosts[1].instance);
      assert.deepEqual(
        hosts[1].platform.restarts.map((r) => r.subsystem),
        ['event_executor'],
      );
      for (const i of [0, 2]) {
        const h = hosts[i];
        assert.deepEqual(
          (await history(h)).filter((r) => r.started_at !== null),
          [],
          `instance ${i + 1} ran nothing`,
        );
        assert.deepEqual(h.platform.restarts, [], `instance ${i + 1} restarted nothing`);
        assert.equal(await policy(h), 'allow_all', `instance ${i + 1} stays allow_all`);
      }
      const foreign = await prom.query('sum(selfheal_webhook_alerts_foreign_total)');
      assert.equal(foreign.result[0]?.value?.[1], '0', 'every alert reached its own host');

      // The firm-level kill switch.
      const o = await cli(
        [
          'fleet',
          'policy',
          'override',
          '--inventory',
          inventory,
          '--policy',
          'no_new_trades',
          '--duration',
          '10m',
          '--reason',
          'e2e kill switch',
        ],
        { SELFHEAL_API_TOKEN: OPERATOR_TOKEN },
      );
      assert.equal(o.code, 0, o.out + o.err);
      for (const h of hosts) assert.match(o.out, new RegExp(`^${h.instance.replace(/\./g, '\\.')}\\s+ok\\s+no_new_trades$`, 'm'));
      assert.match(o.out, /^3\/3 confirmed$/m);
      for (const h of hosts) assert.equal(await policy(h), 'no_new_trades');
    },
  );
});
