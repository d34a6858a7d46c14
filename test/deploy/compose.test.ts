// The stack's structure: every mounted file exists and every target, URL, secret and port lines up with
// a service defined in docker-compose.yml. (test/deploy/image.test.ts runs its selfheal, Prometheus and
// Alertmanager part for real; Grafana's image cannot be had here, so its provisioning is checked here only.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load';
import { tempDir } from '../helpers/fs';

const ROOT = resolve(__dirname, '../../..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
interface Service {
  image?: string;
  build?: string;
  ports?: string[];
  volumes?: string[];
  secrets?: string[];
  environment?: Record<string, string>;
  command?: string[];
}
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, Service>;
  secrets: Record<string, { environment?: string; file?: string }>;
  volumes: Record<string, unknown>;
};
const S = compose.services;
const mountOf = (svc: string, target: string) => (S[svc].volumes ?? []).map((v) => v.split(':')).find(([, t]) => t === target)?.[0];
const publishes = (svc: string, port: number) => (S[svc].ports ?? []).some((p) => p.endsWith(`:${port}`));

describe('docker-compose.yml', () => {
  it('has the whole stack', () =>
    assert.deepEqual(Object.keys(S).sort(), ['alertmanager', 'grafana', 'prometheus', 'selfheal', 'simulator']));

  it('every bind-mounted file or folder exists; named volumes are declared', () => {
    for (const [name, svc] of Object.entries(S)) {
      for (const v of svc.volumes ?? []) {
        const src = v.split(':')[0];
        if (src.startsWith('.')) assert.ok(existsSync(join(ROOT, src)), `${name}: ${src} is missing`);
        else assert.ok(src in compose.volumes, `${name}: volume ${src} is not declared`);
      }
    }
  });

  it('official images at pinned versions; selfheal built from the Dockerfile', () => {
    for (const [name, svc] of Object.entries(S)) {
      if (name === 'selfheal' || name === 'simulator') {
        assert.equal(svc.image, 'selfheal:local');
        continue;
      }
      assert.match(svc.image ?? '', /^(prom\/prometheus|prom\/alertmanager|grafana\/grafana):v?\d+\.\d+\.\d+$/, name);
    }
    assert.equal(S.selfheal.build, '.');
  });

  it('no credential is written in the file: secrets come from the environment', () => {
    for (const sec of Object.values(compose.secrets)) assert.ok(sec.environment && !sec.file);
    for (const svc of Object.values(S)) {
      for (const [k, v] of Object.entries(svc.environment ?? {})) {
        if (/PASSWORD|TOKEN|SECRET/.test(k)) assert.match(k, /__FILE$/, `${k} must come from a file`);
        assert.doesNotMatch(String(v), /^(admin|password|secret|changeme)$/i);
      }
    }
    for (const svc of Object.values(S)) for (const s of svc.secrets ?? []) assert.ok(s in compose.secrets, s);
  });

  it('Prometheus scrapes the selfheal service on its port, loads the mounted rules and alerts the alertmanager service', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml'));
    const scrape = prom.scrape_configs.find((c: { job_name: string }) => c.job_name === 'selfheal');
    assert.ok(scrape, 'the job is named selfheal (the exporter-down alert uses it)');
    const [host, port] = scrape.static_configs[0].targets[0].split(':');
    assert.equal(host, 'selfheal');
    const cfg = parse(read('deploy/selfheal/selfheal.yml'));
    assert.equal(Number(port), cfg.port);
    assert.equal(cfg.host, '0.0.0.0', 'reachable from the other containers');
    assert.ok(publishes('selfheal', cfg.port));
    for (const rf of prom.rule_files) assert.equal(mountOf('prometheus', rf), './rules/selfheal.rules.yml');
    assert.equal(mountOf('prometheus', '/etc/prometheus/prometheus.yml'), './deploy/prometheus/prometheus.yml');
    const [amHost, amPort] = prom.alerting.alertmanagers[0].static_configs[0].targets[0].split(':');
    assert.equal(amHost, 'alertmanager');
    assert.ok(publishes('alertmanager', Number(amPort)));
  });

  it('promtool check config accepts the Prometheus config (rule path mapped to the repository)', () => {
    const dir = tempDir();
    const text = read('deploy/prometheus/prometheus.yml').replace(
      '/etc/prometheus/rules/selfheal.rules.yml',
      join(ROOT, 'rules/selfheal.rules.yml'),
    );
    writeFileSync(join(dir, 'prometheus.yml'), text);
    const r = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('Alertmanager posts to the selfheal service with the shared secret', () => {
    assert.equal(mountOf('alertmanager', '/etc/alertmanager/alertmanager.yml'), './deploy/alertmanager/alertmanager.yml');
    const am = parse(read('deploy/alertmanager/alertmanager.yml'));
    const hook = am.receivers.find((r: { name: string }) => r.name === 'selfheal-recovery').webhook_configs[0];
    const url = new URL(hook.url);
    const cfg = parse(read('deploy/selfheal/selfheal.yml'));
    assert.equal(url.hostname, 'selfheal');
    assert.equal(Number(url.port), cfg.port);
    assert.equal(url.pathname, '/alertmanager/webhook');
    const file = hook.http_config.authorization.credentials_file as string;
    assert.equal(file, cfg.receiver.bearer_token_file, 'both sides read the same secret');
    const secret = file.replace('/run/secrets/', '');
    assert.ok(S.alertmanager.secrets?.includes(secret) && S.selfheal.secrets?.includes(secret));
    assert.equal(hook.timeout, '10s');
    assert.match(S.alertmanager.image ?? '', /:v0\.(2[89]|[3-9]\d)\./, 'webhook timeout needs Alertmanager >= 0.28');
  });

  it('Grafana provisions the Prometheus service and the dashboards folder it mounts', () => {
    const ds = parse(read('grafana/provisioning/datasources/prometheus.yml'));
    const url = new URL(ds.datasources[0].url);
    assert.equal(url.hostname, 'prometheus');
    assert.ok(publishes('prometheus', Number(url.port)));
    const prov = parse(read('grafana/provisioning/dashboards/selfheal.yml'));
    assert.equal(mountOf('grafana', prov.providers[0].options.path), './grafana/dashboards');
    assert.ok(S.grafana.secrets?.includes('grafana_admin_password'));
  });

  it('the selfheal config of the stack is valid', () => {
    const dir = tempDir();
    for (const s of ['selfheal_api_token', 'selfheal_webhook_token']) writeFileSync(join(dir, s), 'x\n');
    const raw = parse(read('deploy/selfheal/selfheal.yml').replaceAll('/run/secrets/', `${dir}/`));
    const c = parseConfig(raw, '/');
    assert.equal(c.receiver.bearer_token, 'x');
    assert.equal(c.api.token, 'x');
  });

  it('Dockerfile: Node 20 slim by default, non-root, healthcheck (image.test.ts builds and runs it)', () => {
    const df = read('Dockerfile');
    assert.match(df, /^ARG BASE_IMAGE=node:20-slim\s*$/m);
    assert.deepEqual(df.match(/^FROM .*$/gm), ['FROM ${BASE_IMAGE} AS build', 'FROM ${BASE_IMAGE}']);
    assert.match(df, /^USER node$/m);
    assert.match(df, /^ENV SELFHEAL_HEALTH_URL=http:\/\/127\.0\.0\.1:8477\/-\/healthy$/m);
    assert.match(df, /^HEALTHCHECK .*\n?.*SELFHEAL_HEALTH_URL/m);
    // npm's settings only as BuildKit secrets: no COPY or ARG of an .npmrc.
    assert.match(df, /--mount=type=secret,id=npmrc/);
    assert.doesNotMatch(df, /^(COPY|ADD|ARG|ENV).*npmrc/im);
    // An init as PID 1 (handler children are reaped), in the image and in compose.
    assert.match(df, /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node"/m);
    assert.match(df, /apt-get install .*\btini\b/);
    assert.equal(parse(read('docker-compose.yml')).services.selfheal.init, true);
  });
});
