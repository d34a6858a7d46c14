// selfheal beside a real supervisor: a busybox container, or a unit under systemd in a container,
// writing event_executor's heartbeat into a bind-mounted directory (HEARTBEAT_SCRIPT: it stops
// while /hb/hang exists and forgets the hang when restarted). No flag file, no simulator.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import { fixedResources } from '../../src/detect/resources';
import type { JournalRecord } from '../../src/execute/journal';
import { silentLogger } from '../../src/log/logger';
import { createReceiver, type Receiver } from '../../src/serve/receiver';
import { Service } from '../../src/serve/service';
import { configIn } from './config';
import { docker, removeContainers, uniqueName, type TestImages } from './docker';
import { until } from './process';

export const OPERATOR_TOKEN = 'supervisors-operator-token';
export const HEARTBEAT = 'event_executor_state.json';

/** Short intervals: checked every second, degraded at 2 s without a heartbeat, critical at 3 s. */
export const TIMING = { critical_check_interval: 1, degraded_after_sec: 2, critical_after_sec: 3, settle_sec: 1 };

/** Only event_executor, its heartbeat in `hb`, restarted by `handler` (the handler's kind key and options). */
export function supervisedConfig(
  root: string,
  hb: string,
  handler: Record<string, unknown>,
  recovery: Record<string, unknown> = {},
): Config {
  const others = parseConfig({}, tmpdir())
    .subsystems.map((s) => s.name)
    .filter((n) => n !== 'event_executor');
  return configIn(root, {
    check_interval: 1,
    critical_check_interval: TIMING.critical_check_interval,
    max_cpu_percent: 100,
    max_memory_percent: 100,
    policy: { hold_down_sec: 1, valid_for_sec: 5 },
    api: { token: OPERATOR_TOKEN },
    recovery: {
      local: true,
      settle_sec: TIMING.settle_sec,
      cooldown_sec: 0,
      backoff_initial_sec: 1,
      backoff_max_sec: 2,
      breaker_max_executions: 100,
      handlers: [{ action: 'restart_subsystem', subsystem: 'event_executor', timeout_sec: 20, ...handler }],
      ...recovery,
    },
    subsystems: {
      ...Object.fromEntries(others.map((n) => [n, { enabled: false }])),
      event_executor: {
        path: join(hb, HEARTBEAT),
        degraded_after_sec: TIMING.degraded_after_sec,
        critical_after_sec: TIMING.critical_after_sec,
      },
    },
  });
}

export interface Selfheal {
  svc: Service;
  receiver: Receiver;
  url: string;
  history(): JournalRecord[];
  restarts(): JournalRecord[];
  policy(): Promise<string>;
  metrics(): Promise<string>;
}

/** `selfheal serve` in-process with its own schedule (the monitor's timers and the recovery worker). */
export async function startSelfheal(config: Config): Promise<Selfheal> {
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger() });
  const receiver = createReceiver(svc);
  svc.use(receiver);
  const addr = await svc.start('127.0.0.1', 0);
  after(() => svc.stop());
  const url = `http://127.0.0.1:${addr.port}`;
  const history = () => receiver.store.history(1000);
  return {
    svc,
    receiver,
    url,
    history,
    restarts: () => history().filter((r) => r.action === 'restart_subsystem' && r.subsystem === 'event_executor' && r.state !== 'ignored'),
    policy: async () => ((await (await fetch(`${url}/policy`)).json()) as { policy: string }).policy,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
  };
}

/** The heartbeat's own timestamp (unix seconds), or null before the first one. */
export function heartbeatSec(hb: string): number | null {
  const p = join(hb, HEARTBEAT);
  if (!existsSync(p)) return null;
  try {
    return (JSON.parse(readFileSync(p, 'utf8')) as { last_cycle_timestamp: number }).last_cycle_timestamp;
  } catch {
    return null; // mid-rename on a slow disk: next poll
  }
}

/** Stops the heartbeat; the process keeps running (a hung executor). Returns the last heartbeat (unix s). */
export async function hang(hb: string): Promise<number> {
  writeFileSync(join(hb, 'hang'), '');
  // Let a write already past its check land: the loop sleeps 0.2 s between beats.
  await new Promise((r) => setTimeout(r, 600));
  const last = heartbeatSec(hb);
  if (last === null) throw new Error('no heartbeat before the hang');
  return last;
}

/** A busybox container running the heartbeat loop (no network), its directory bind-mounted. Removed after the test. */
export async function startBusyboxExecutor(images: TestImages, hb: string): Promise<string> {
  const name = uniqueName('executor');
  after(() => removeContainers(name));
  docker(['run', '-d', '--name', name, '--network', 'none', '-v', `${hb}:/hb`, images.busybox]);
  await until('the container writes heartbeats', async () => heartbeatSec(hb) !== null, 30_000);
  return name;
}

/**
 * A real systemd as PID 1 in a container (no network) running heartbeat.service; its D-Bus system
 * socket appears in a directory of this host (the container's /run/dbus is bind-mounted there).
 * Cleanup goes to `cleanup` (default: the current test's after hook; a suite's before hook passes
 * its own list, as an after registered there would run before the suite's tests).
 */
export async function startSystemdExecutor(
  images: TestImages,
  hb: string,
  cleanup: (fn: () => void) => void = after,
): Promise<{ name: string; address: string }> {
  const name = uniqueName('systemd');
  const bus = mkdtempSync(join(tmpdir(), 'selfheal-bus-'));
  cleanup(() => {
    removeContainers(name);
    rmSync(bus, { recursive: true, force: true });
  });
  docker([
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'none',
    '--cap-add',
    'SYS_ADMIN',
    '-v',
    '/sys/fs/cgroup:/sys/fs/cgroup:ro',
    '--tmpfs',
    '/run',
    '--tmpfs',
    '/run/lock',
    '-v',
    `${bus}:/run/dbus`,
    '-v',
    `${hb}:/hb`,
    images.systemd,
  ]);
  await until(
    'systemd runs heartbeat.service and its bus socket is there',
    async () => existsSync(join(bus, 'system_bus_socket')) && heartbeatSec(hb) !== null,
    60_000,
  );
  return { name, address: `unix:path=${join(bus, 'system_bus_socket')}` };
}
