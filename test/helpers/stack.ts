// Real Prometheus and Alertmanager (the Debian binaries) on free loopback ports, for the dashboard
// query tests and the end-to-end suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after } from 'node:test';
import { stringify } from 'yaml';
import { rulesFile } from '../../src/deploy/rules';
import { DEFAULT_RULES_CONFIG, withFor } from '../../src/deploy/rules_config';
import { freePort, until } from './process';
import { tempDir } from './fs';

export const ROOT = resolve(__dirname, '../../..');

function track(proc: ChildProcess, name: string, logs: string[]): void {
  const keep = (b: Buffer) => {
    logs.push(b.toString('utf8'));
    if (logs.length > 200) logs.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.on('error', (err) => logs.push(`${name}: ${err.message}`));
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/**
 * The rules pack generated with every `for:` shortened and the sustained group run every second, so an
 * end-to-end run takes seconds, not minutes.
 */
export function fastRules(forDuration = '2s'): string {
  return rulesFile({ ...withFor(DEFAULT_RULES_CONFIG, forDuration), sustainedInterval: '1s' });
}

export interface Prometheus {
  url: string;
  port: number;
  logs: string[];
  query(
    expr: string,
  ): Promise<{ resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] }>;
  queryRange(expr: string, seconds: number, step: string): Promise<{ result: unknown[] }>;
  stop(): Promise<void>;
}

/**
 * `scrapeConfigs` replaces the default plain-HTTP `selfheal` job (TLS, basic auth, ...); `fileSd` reads
 * the targets from a file_sd file.
 */
export async function startPrometheus(opts: {
  targets: string[];
  rules: string;
  alertmanagers?: string[];
  interval?: string;
  scrapeConfigs?: Record<string, unknown>[];
  fileSd?: string;
}): Promise<Prometheus> {
  const dir = tempDir('selfheal-prom-');
  const port = await freePort();
  const interval = opts.interval ?? '1s';
  writeFileSync(join(dir, 'rules.yml'), opts.rules);
  const config: Record<string, unknown> = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: [join(dir, 'rules.yml')],
    scrape_configs: opts.scrapeConfigs ?? [
      opts.fileSd
        ? { job_name: 'selfheal', file_sd_configs: [{ files: [opts.fileSd], refresh_interval: '1s' }] }
        : { job_name: 'selfheal', static_configs: [{ targets: opts.targets }] },
    ],
  };
  if (opts.alertmanagers?.length) config.alerting = { alertmanagers: [{ static_configs: [{ targets: opts.alertmanagers }] }] };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  mkdirSync(join(dir, 'data'));
  const logs: string[] = [];
  const proc = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  track(proc, 'prometheus', logs);
  after(() => stop(proc));
  const url = `http://127.0.0.1:${port}`;
  await until('prometheus ready', async () => (await fetch(`${url}/-/ready`)).ok);
  const api = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: never; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    port,
    logs,
    query: (expr) => api(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    queryRange: (expr, seconds, step) => {
      const end = Date.now() / 1000;
      return api(`/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - seconds}&end=${end}&step=${step}`);
    },
    stop: () => stop(proc),
  };
}

export interface Alertmanager {
  url: string;
  port: number;
  clusterPort: number;
  logs: string[];
  stop(): Promise<void>;
}

export async function startAlertmanager(opts: { config: string; peers?: number[]; clusterPort?: number }): Promise<Alertmanager> {
  const dir = tempDir('selfheal-am-');
  const port = await freePort();
  const clusterPort = opts.clusterPort ?? (await freePort());
  writeFileSync(join(dir, 'alertmanager.yml'), opts.config);
  const args = [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${dir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--cluster.listen-address=127.0.0.1:${clusterPort}`,
    '--cluster.peer-timeout=2s',
    '--cluster.gossip-interval=100ms',
    '--cluster.pushpull-interval=1s',
    '--log.level=warn',
    ...(opts.peers ?? []).map((p) => `--cluster.peer=127.0.0.1:${p}`),
  ];
  const logs: string[] = [];
  const proc = spawn('prometheus-alertmanager', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(proc, 'alertmanager', logs);
  after(() => stop(proc));
  const url = `http://127.0.0.1:${port}`;
  await until('alertmanager ready', async () => (await fetch(`${url}/-/ready`)).ok);
  return { url, port, clusterPort, logs, stop: () => stop(proc) };
}
