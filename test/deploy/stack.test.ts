// Issue 23: the selfheal + Prometheus + Alertmanager part of docker-compose.yml, run from local images
// (Prometheus and Alertmanager from Debian's packages) with plain `docker run`: Compose v2 is not on this
// machine, and Debian's docker-compose v1 cannot read the file's `secrets.environment`. Grafana's image
// cannot be had here; its provisioning is checked by structure (compose.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';
import { buildSelfhealImage, docker, DOCKER, ensureImages, removeContainers, uniqueName, type TestImages } from '../helpers/docker';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../helpers/fs';
import { API_TOKEN, compose, health, IMAGE, logs, mount, read, run, selfhealConfig, WEBHOOK_TOKEN } from '../helpers/image';
import { freePort, until } from '../helpers/process';

let images: TestImages;
before(
  async () => {
    images = await ensureImages(['nodeBase', 'prometheus']);
    buildSelfhealImage(images);
  },
  { timeout: 900_000 },
);

describe('the stack from docker-compose.yml, run from local images', () => {
  it(
    'the stack: Prometheus scrapes selfheal and loads the pack; a demo fault reaches the receiver through Alertmanager',
    { timeout: 170_000 },
    async () => {
      const dir = tempDir();
      const [port, promPort, amPort, amCluster] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const sink = createServer((req, res) => req.resume().on('end', () => res.end('ok')));
      await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
      after(() => new Promise((r) => sink.close(r)));
      const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;
      const vols = { platform: uniqueName('platform'), state: uniqueName('state') };
      // Registered first, so it runs last: the containers using the volumes are gone by then (run() removes them).
      const containers: string[] = [];
      after(() => {
        removeContainers(...containers);
        spawnSync(DOCKER, ['volume', 'rm', '-f', vols.platform, vols.state], { stdio: 'ignore' });
      });
      // Alertmanager routes to the receiver; its recovery path stays off so only Alertmanager's delivery heals.
      const cfg = selfhealConfig(port, { recovery: { ...(parse(read('deploy/selfheal/selfheal.yml')).recovery as object), local: false } });
      const common = [
        ...mount(dir, 'selfheal.yml', cfg, '/etc/selfheal/selfheal.yml'),
        '-v',
        `${vols.platform}:/var/lib/selfheal/platform`,
      ];
      // Each service gets the secrets the compose file gives it.
      const secretFiles: Record<string, string> = { selfheal_webhook_token: WEBHOOK_TOKEN, selfheal_api_token: API_TOKEN };
      const secretsOf = (svc: string) =>
        (compose.services[svc].secrets ?? []).flatMap((n) => mount(dir, `secret-${n}`, secretFiles[n], `/run/secrets/${n}`));
      const secrets = secretsOf('selfheal');
      const selfheal = uniqueName('selfheal');
      containers.push(selfheal);
      run(selfheal, [
        '-e',
        `SELFHEAL_HEALTH_URL=http://127.0.0.1:${port}/-/healthy`,
        ...common,
        '-v',
        `${vols.state}:/var/lib/selfheal/state`,
        ...secrets,
        IMAGE,
        ...(compose.services.selfheal.command ?? []),
      ]);
      const simulator = uniqueName('simulator');
      containers.push(simulator);
      run(simulator, [...common, ...secretsOf('simulator'), IMAGE, ...(compose.services.simulator.command ?? [])]);

      // Prometheus: the compose file's config and the pack it mounts, on a 1 s cadence.
      const prom = parse(read('deploy/prometheus/prometheus.yml')) as Record<string, unknown> & {
        global: Record<string, string>;
        alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
        scrape_configs: { static_configs: { targets: string[] }[] }[];
      };
      prom.global = { scrape_interval: '1s', evaluation_interval: '1s' };
      prom.alerting.alertmanagers[0].static_configs[0].targets = [`alertmanager:${amPort}`];
      prom.scrape_configs[0].static_configs[0].targets = [`selfheal:${port}`];
      const prometheus = uniqueName('prometheus');
      containers.push(prometheus);
      run(prometheus, [
        ...mount(dir, 'prometheus.yml', stringify(prom), '/etc/prometheus/prometheus.yml'),
        ...mount(dir, 'rules.yml', read('rules/selfheal.rules.yml'), '/etc/prometheus/rules/selfheal.rules.yml'),
        images.prometheus,
        'prometheus',
        '--config.file=/etc/prometheus/prometheus.yml',
        '--storage.tsdb.path=/tmp/prometheus',
        `--web.listen-address=127.0.0.1:${promPort}`,
      ]);

      // Alertmanager: the generated config, its pager and dead man's switch sent to a local sink, no 30 s group wait.
      // Debian's Alertmanager is 0.25: the generated config for it (no webhook timeout), routes as the compose file's.
      const am = read('deploy/alertmanager/alertmanager-0.25.yml')
        .replace(/http:\/\/selfheal:8477\//, `http://selfheal:${port}/`)
        .replace(/http:\/\/[a-z-]+\.invalid\/[^\s]*/g, sinkUrl)
        .replace('group_wait: 30s', 'group_wait: 1s');
      const alertmanager = uniqueName('alertmanager');
      containers.push(alertmanager);
      run(alertmanager, [
        ...mount(dir, 'alertmanager.yml', am, '/etc/alertmanager/alertmanager.yml'),
        ...mount(dir, 'am-webhook', WEBHOOK_TOKEN, '/run/secrets/selfheal_webhook_token'),
        images.prometheus,
        'prometheus-alertmanager',
        '--config.file=/etc/alertmanager/alertmanager.yml',
        '--storage.path=/tmp/alertmanager',
        `--web.listen-address=127.0.0.1:${amPort}`,
        `--cluster.listen-address=127.0.0.1:${amCluster}`,
      ]);

      const explain = async (err: Error) => {
        const report = await fetch(`http://127.0.0.1:${port}/report`).then((r) => r.text(), String);
        const all = [selfheal, simulator, prometheus, alertmanager].map((n) => `--- ${n}:\n${logs(n)}`).join('\n');
        return new Error(`${err.message}\n--- report: ${report.slice(0, 3000)}\n${all}`);
      };
      const api = (path: string) => fetch(`http://127.0.0.1:${promPort}${path}`).then((r) => r.json() as Promise<{ data: unknown }>);
      await until(
        'Prometheus scrapes selfheal healthy',
        async () => {
          const { data } = (await api('/api/v1/query?query=' + encodeURIComponent('selfheal_overall_status{status="healthy"}'))) as {
            data: { result: { value: [number, string] }[] };
          };
          return data.result[0]?.value[1] === '1';
        },
        60_000,
        500,
      ).catch(async (err: Error) => {
        throw await explain(err);
      });
      const rules = (await api('/api/v1/rules')) as { data: { groups: { name: string; rules: unknown[] }[] } };
      const packed = parse(read('rules/selfheal.rules.yml')) as { groups: { name: string; rules: unknown[] }[] };
      assert.deepEqual(
        rules.data.groups.map((g) => `${g.name}: ${g.rules.length}`).sort(),
        packed.groups.map((g) => `${g.name}: ${g.rules.length}`).sort(),
        'the pack is loaded whole',
      );

      docker(['exec', simulator, 'node', 'bin/selfheal.js', 'demo', 'fault', 'event_executor', '--config', '/etc/selfheal/selfheal.yml']);
      const history = async () =>
        (await (
          await fetch(`http://127.0.0.1:${port}/recovery/history`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
        ).json()) as { alertname: string; subsystem: string | null; status: string; action: string | null; state: string }[];
      await until(
        'Alertmanager delivered SelfHealSubsystemCritical for event_executor to the receiver',
        async () =>
          (await history()).some(
            (r) => r.alertname === 'SelfHealSubsystemCritical' && r.subsystem === 'event_executor' && r.status === 'firing',
          ),
        110_000,
        1000,
      ).catch(async (err: Error) => {
        throw await explain(err);
      });
      const delivered = (await history()).find((r) => r.alertname === 'SelfHealSubsystemCritical' && r.subsystem === 'event_executor')!;
      assert.equal(delivered.action, 'restart_subsystem');
      assert.equal(health(selfheal), 'healthy');
    },
  );
});
