// The selfheal image and the compose stack's parts run with plain `docker run` on the host network:
// the compose file's own configs, service names resolved to 127.0.0.1, each port swapped for a free one.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after } from 'node:test';
import { parse, stringify } from 'yaml';
import { spawnSync } from 'node:child_process';
import { docker, DOCKER, removeContainers } from './docker';

export const ROOT = resolve(__dirname, '../../..');
export const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
export const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, { image?: string; command?: string[]; volumes?: string[]; secrets?: string[] }>;
};
export const IMAGE = compose.services.selfheal.image ?? 'selfheal:local';
export const WEBHOOK_TOKEN = 'image-test-webhook-token';
export const API_TOKEN = 'image-test-api-token';

/** A file readable by the image's non-root user, bind-mounted read-only where compose mounts it. */
export function mount(dir: string, name: string, text: string, target: string): string[] {
  const p = join(dir, name);
  writeFileSync(p, text, { mode: 0o644 });
  return ['-v', `${p}:${target}:ro`];
}

/** deploy/selfheal/selfheal.yml on a free loopback port, with short thresholds for event_executor. */
export function selfhealConfig(port: number, extra: Record<string, unknown> = {}): string {
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
export function run(name: string, args: string[]): void {
  after(() => removeContainers(name));
  docker(['run', '-d', '--name', name, '--network', 'host', ...HOSTS, ...args]);
}

export const health = (name: string) => docker(['inspect', '-f', '{{.State.Health.Status}}', name]);
export const logs = (name: string): string => {
  const r = spawnSync(DOCKER, ['logs', '--tail', '15', name], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim();
};
