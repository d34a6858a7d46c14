// Issue 23: the Dockerfile built with `docker build` and run for real, then the selfheal + Prometheus +
// Alertmanager part of docker-compose.yml run from local images with plain `docker run` (Compose v2 is
// not on this machine; Debian's docker-compose v1 cannot read the file's `secrets.environment`).
// Host networking, loopback only, ephemeral ports: the compose file's own files and values, with the
// service names resolved to 127.0.0.1 (--add-host) and each port swapped for a free one.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { docker, ensureImages, removeContainers, uniqueName, type TestImages } from '../helpers/docker';
import { tempDir } from '../helpers/fs';
import { freePort, until } from '../helpers/process';

const ROOT = resolve(__dirname, '../../..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, { image?: string; command?: string[]; volumes?: string[]; secrets?: string[] }>;
};
const IMAGE = compose.services.selfheal.image ?? 'selfheal:local';
const WEBHOOK_TOKEN = 'image-test-webhook-token';
const API_TOKEN = 'image-test-api-token';

/** `docker build` of the repository's Dockerfile on the local base image, npm's settings as BuildKit secrets. */
function buildImage(images: TestImages): string {
  const secrets: string[] = [];
  const npmrc = join(homedir(), '.npmrc');
  if (existsSync(npmrc)) secrets.push('--secret', `id=npmrc,src=${npmrc}`);
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  if (existsSync(ca)) secrets.push('--secret', `id=npm_ca,src=${ca}`);
  docker(['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${images.nodeBase}`, ...secrets, '-t', IMAGE, ROOT], {
    env: { ...process.env, DOCKER_BUILDKIT: '1' },
  });
  return IMAGE;
}

/** A file readable by the image's non-root user, bind-mounted read-only where compose mounts it. */
function mount(dir: string, name: string, text: string, target: string): string[] {
  const p = join(dir, name);
  writeFileSync(p, text, { mode: 0o644 });
  return ['-v', `${p}:${target}:ro`];
}

/** deploy/selfheal/selfheal.yml on a free loopback port, with short thresholds for event_executor. */
function selfhealConfig(port: number, extra: Record<string, unknown> = {}): string {
  const cfg = parse(read('deploy/selfheal/selfheal.yml')) as Record<string, unknown>;
  return stringify({
    ...cfg,
    host: '127.0.0.1',
    port,
    check_interval: 1,
    critical_check_interval: 1,
    max_cpu_percent: 100,
    max_memory_percent: 100,
    subsystems: { event_executor: { degraded_after_sec: 2, critical_after_sec: 4 } },
    ...extra,
  });
}

const HOSTS = ['selfheal', 'prometheus', 'alertmanager'].flatMap((h) => ['--add-host', `${h}:127.0.0.1`]);

/** Runs a container on the host network; removed after the test. */
function run(name: string, args: string[]): void {
  after(() => removeContainers(name));
  docker(['run', '-d', '--name', name, '--network', 'host', ...HOSTS, ...args]);
}

const health = (name: string) => docker(['inspect', '-f', '{{.State.Health.Status}}', name]);
const logs = (name: string) => {
  try {
    return docker(['logs', '--tail', '30', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    return (err as Error).message;
  }
};

let images: TestImages;
before(
  async () => {
    images = await ensureImages(['nodeBase', 'prometheus']);
    buildImage(images);
  },
  { timeout: 900_000 },
);

describe('the image, built from the Dockerfile', () => {
  it('runs as a non-root user under tini, turns healthy, serves /metrics and /policy on loopback', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const port = await freePort();
    const name = uniqueName('selfheal');
    run(name, [
      '-e',
      `SELFHEAL_HEALTH_URL=http://127.0.0.1:${port}/-/healthy`,
      ...mount(dir, 'selfheal.yml', selfhealConfig(port), '/etc/selfheal/selfheal.yml'),
      ...mount(dir, 'webhook', WEBHOOK_TOKEN, '/run/secrets/selfheal_webhook_token'),
      ...mount(dir, 'api', API_TOKEN, '/run/secrets/selfheal_api_token'),
      IMAGE,
    ]);
    await until(`the HEALTHCHECK turns healthy (logs: ${logs(name)})`, async () => health(name) === 'healthy', 90_000, 500);
    assert.equal(docker(['exec', name, 'id', '-u']), '1000', 'non-root');
    assert.equal(docker(['exec', name, 'id', '-un']), 'node');
    assert.match(docker(['exec', name, 'cat', '/proc/1/cmdline']).replace(/\0/g, ' '), /^\/usr\/bin\/tini -- node bin\/selfheal\.js serve/);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^selfheal_build_info\{version="[^"]+",revision="[^"]+",nodejs_version="v20\.[^"]+"\} 1$/m);
    const policy = (await (await fetch(`http://127.0.0.1:${port}/policy`)).json()) as { policy: string };
    assert.ok(typeof policy.policy === 'string');
    // No npm credential or registry setting in any layer of the image.
    const npmrc = docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'ls -a /root /home/node 2>/dev/null; echo ---; env',
    ]);
    assert.doesNotMatch(npmrc, /\.npmrc|NPM_CONFIG_CAFILE/);
  });

  it(
    'the stack: Prometheus scrapes selfheal and loads the pack; a demo fault reaches the receiver through Alertmanager',
    { timeout: 240_000 },
    async () => {
      const dir = tempDir();
      const [port, promPort, amPort, amCluster] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const sink = createServer((req, res) => req.resume().on('end', () => res.end('ok')));
      await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
      after(() => new Promise((r) => sink.close(r)));
      const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;
      const vols = { platform: uniqueName('platform'), state: uniqueName('state') };
      after(() => docker(['volume', 'rm', '-f', vols.platform, vols.state]));
      // Alertmanager routes to the receiver; its recovery path stays off so only Alertmanager's delivery heals.
      const cfg = selfhealConfig(port, { recovery: { ...(parse(read('deploy/selfheal/selfheal.yml')).recovery as object), local: false } });
      const common = [
        ...mount(dir, 'selfheal.yml', cfg, '/etc/selfheal/selfheal.yml'),
        '-v',
        `${vols.platform}:/var/lib/selfheal/platform`,
      ];
      const selfheal = uniqueName('selfheal');
      run(selfheal, [
        '-e',
        `SELFHEAL_HEALTH_URL=http://127.0.0.1:${port}/-/healthy`,
        ...common,
        '-v',
        `${vols.state}:/var/lib/selfheal/state`,
        ...mount(dir, 'webhook', WEBHOOK_TOKEN, '/run/secrets/selfheal_webhook_token'),
        ...mount(dir, 'api', API_TOKEN, '/run/secrets/selfheal_api_token'),
        IMAGE,
        ...(compose.services.selfheal.command ?? []),
      ]);
      const simulator = uniqueName('simulator');
      run(simulator, [...common, IMAGE, ...(compose.services.simulator.command ?? [])]);

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
      const am = read('deploy/alertmanager/alertmanager.yml')
        .replace(/http:\/\/selfheal:8477\//, `http://selfheal:${port}/`)
        .replace(/http:\/\/[a-z-]+\.invalid\/[^\s]*/g, sinkUrl)
        .replace('group_wait: 30s', 'group_wait: 1s');
      const alertmanager = uniqueName('alertmanager');
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

      const api = (path: string) => fetch(`http://127.0.0.1:${promPort}${path}`).then((r) => r.json() as Promise<{ data: unknown }>);
      await until(
        `Prometheus scrapes selfheal (logs: ${logs(prometheus)})`,
        async () => {
          const { data } = (await api('/api/v1/query?query=' + encodeURIComponent('selfheal_overall_status{status="healthy"}'))) as {
            data: { result: { value: [number, string] }[] };
          };
          return data.result[0]?.value[1] === '1';
        },
        90_000,
        500,
      );
      const rules = (await api('/api/v1/rules')) as { data: { groups: { name: string; rules: unknown[] }[] } };
      const packed = parse(read('rules/selfheal.rules.yml')) as { groups: { name: string; rules: unknown[] }[] };
      assert.deepEqual(
        rules.data.groups.map((g) => [g.name, g.rules.length]),
        packed.groups.map((g) => [g.name, g.rules.length]),
        'the pack is loaded whole',
      );

      docker(['exec', simulator, 'node', 'bin/selfheal.js', 'demo', 'fault', 'event_executor', '--config', '/etc/selfheal/selfheal.yml']);
      const history = async () =>
        (await (
          await fetch(`http://127.0.0.1:${port}/recovery/history`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
        ).json()) as { alertname: string; subsystem: string | null; status: string; action: string | null; state: string }[];
      await until(
        `Alertmanager delivered SelfHealSubsystemCritical for event_executor to the receiver (logs: ${logs(alertmanager)})`,
        async () =>
          (await history()).some(
            (r) => r.alertname === 'SelfHealSubsystemCritical' && r.subsystem === 'event_executor' && r.status === 'firing',
          ),
        150_000,
        1000,
      );
      const delivered = (await history()).find((r) => r.alertname === 'SelfHealSubsystemCritical' && r.subsystem === 'event_executor')!;
      assert.equal(delivered.action, 'restart_subsystem');
      assert.equal(health(selfheal), 'healthy');
    },
  );
});
